"""Bankruptcy claims registers (``SearchClaims.pl`` HTML).

Layout: an ``<H2>`` "Claims Register" heading; a link to the docket whose text
is "<docket number> <case name>", optionally followed by a status label and
date ("Closed 11/14/2018"); a table of ``<B>Label:</B> value`` cells (judge,
chapter, office, trustee, claim deadlines); one ``table.complexReport`` per
claim; and a "Claims Register Summary" (case name, filing date, claim count).
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from ..errors import ParseError
from .casename import case_name
from .court import court_from_text, court_from_title
from .docket_number import docket_number_parts, find_docket_number
from .html_tree import br_lines
from .rss import pacer_doc_id_from_url
from .text import clean_value, decode_html, parse_date, strip_control_chars

__all__ = ["parse"]

_HEADER_LABELS = {
    "judge": "assigned_to_str",
    "chapter": "chapter",
    "office": "office",
    "trustee": "trustee_str",
    "last date to file claims": "date_last_to_file_claims",
    "last date to file (govt)": "date_last_to_file_govt",
}
_SUMMARY = {
    "case_name": re.compile(r"Case Name:\s*(.*?)\s*Case Number:", re.S),
    "chapter": re.compile(r"Chapter:\s*(\S+)"),
    "date_filed": re.compile(r"Date Filed:\s*([\d/]+)"),
    "total_number_of_claims": re.compile(r"Total Number Of Claims:\s*(\d+)"),
}
# DktRpt.pl?171908, or an iquery.pl nonce URL ending in the case id.
_CASE_ID = re.compile(r"DktRpt\.pl\?(\d+)|iquery\.pl\?\S*-(\d+)$")
_AMOUNT = re.compile(r"^(\w+)\s+claimed:\s*(\S*)", re.I)
_CLAIM_NO = re.compile(r"Claim No:\s*(\d+)")
_CREDITOR_ID = re.compile(r"\((\d+)\)")
_LINK_IDS = {
    "id": re.compile(r"claim_id=(\d+)"),
    "pacer_seq_no": re.compile(r"de_seq_num=(\d+)"),
    "pacer_dm_id": re.compile(r"dm_id=(\d+)"),
}
_HISTORY_NUMBER = re.compile(r"^(\d+)-(\d+)$")


_STATUS = re.compile(r"Status:(?P<status>.*?)Filed by:(?P<filed_by>.*?)Entered by:(?P<entered_by>.*?)Modified:(?P<modified>.*)", re.S)


def _claim_cell_fields(lines: list[str]) -> dict:
    """``Label: value`` lines of the claim's second cell."""
    fields = {}
    for line in lines:
        label, _, value = line.partition(":")
        fields[" ".join(label.split()).lower()] = clean_value(value)
    return fields


def _history(table: etree._Element, pacer_case_id: str | None) -> list[dict]:
    items = []
    for row in table.xpath(".//i[contains(., 'History')]/ancestor::td[1]//tr"):
        cells = row.xpath("./td")
        if len(cells) < 5:
            continue
        link = cells[2].xpath(".//a")
        number = clean_value(cells[2].text_content())
        m = _HISTORY_NUMBER.match(number)
        item = {
            "date_filed": parse_date(cells[3].text_content()),
            "description": clean_value(cells[4].text_content()),
            "type": "claim" if m else "docket_entry",
            "document_number": int(m.group(1)) if m else (int(number) if number.isdigit() else None),
            "attachment_number": int(m.group(2)) if m else None,
            "pacer_case_id": pacer_case_id,
        }
        if link:
            href = link[0].get("href", "")
            for key, pattern in _LINK_IDS.items():
                m = pattern.search(href)
                if m:
                    item[key] = m.group(1)
            if "/doc1/" in href:
                item["pacer_doc_id"] = pacer_doc_id_from_url(href)
        items.append(item)
    return items


def _claim(table: etree._Element, pacer_case_id: str | None) -> dict | None:
    rows = table.xpath("./tr | ./tbody/tr")
    if not rows:
        return None
    cells = rows[0].xpath("./td")
    if len(cells) < 3:
        return None
    creditor = [line for line in br_lines(cells[0]) if line]
    creditor_id = _CREDITOR_ID.search(creditor[0]) if creditor else None
    number = _CLAIM_NO.search(cells[1].text_content())
    dates = _claim_cell_fields(br_lines(cells[1])[1:])
    m = _STATUS.search(" ".join(br_lines(cells[2])))
    status = {k: clean_value(v) for k, v in m.groupdict().items()} if m else {}
    claim = {
        "claim_number": int(number.group(1)) if number else None,
        "creditor_id": creditor_id.group(1) if creditor_id else None,
        "creditor_details": "\n".join(clean_value(line) for line in creditor[1:]).removesuffix(" Claimant History"),
        "date_original_filed": parse_date(dates.get("original filed date", "")),
        "date_original_entered": parse_date(dates.get("original entered date", "")),
        "status": status.get("status", ""),
        "filed_by": status.get("filed_by", ""),
        "entered_by": status.get("entered_by", ""),
        "date_modified": parse_date(status.get("modified", "")),
        "description": "",
        "remarks": "",
    }
    for key in ("last amendment filed", "last amendment entered"):
        if key in dates:
            claim["date_" + key.replace(" ", "_")] = parse_date(dates[key])
    for amount_row in table.xpath(".//tr[td[contains(., 'claimed:')]]"):
        m = _AMOUNT.match(clean_value(amount_row.text_content()))
        if m:
            kind = m.group(1).lower()
            claim["amount_claimed" if kind == "amount" else f"{kind}_claimed"] = m.group(2)
    for label in ("Description", "Remarks"):
        cell = table.xpath(f".//td[.//i[starts-with(normalize-space(.), '{label}:')]]")
        if cell:
            claim[label.lower()] = clean_value(cell[-1].text_content()).split(":", 1)[1].strip()
    claim["history"] = _history(table, pacer_case_id)
    return claim


def _header(tree: lxml.html.HtmlElement) -> dict:
    fields: dict = {}
    for bold in tree.xpath("//td/b"):
        label = clean_value(bold.text_content()).rstrip(":").strip().lower()
        key = "assigned_to_str" if label.endswith("judge") else _HEADER_LABELS.get(label)
        if key and key not in fields:
            value = clean_value(bold.tail or "")
            fields[key] = parse_date(value) if key.startswith("date_") else value
    return fields


def _case_link(tree: lxml.html.HtmlElement) -> tuple[etree._Element, str, str]:
    """The heading's link to the case: the element, its text and its docket number."""
    for link in tree.xpath("//h2[contains(., 'Claims Register')]/following::a[position() <= 3]"):
        heading = clean_value(link.text_content())
        number = find_docket_number(heading, bankruptcy=True)
        if number:
            return link, heading, number
    raise ParseError("claims register without a case heading and docket number")


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse a claims register page into a record with a ``claims`` list."""
    text = strip_control_chars(decode_html(data))
    if re.search(r"No claims found", text, re.I):
        raise ParseError("claims register: no claims found for this case and selection")
    try:
        tree = lxml.html.fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    etree.strip_elements(tree, "script", "style", with_tail=False)
    link, heading, number = _case_link(tree)
    case_id = _CASE_ID.search(link.get("href", ""))
    pacer_case_id = (case_id.group(1) or case_id.group(2)) if case_id else None
    flat = " ".join(tree.text_content().split())
    summary_text = flat[flat.find("Claims Register Summary") :] if "Claims Register Summary" in flat else ""
    summary = {k: (m.group(1) if (m := p.search(summary_text)) else None) for k, p in _SUMMARY.items()}
    record: dict = {
        "court_id": court_from_text(text) or court_from_title(text, True) or court_id,
        "docket_number": number,
        "pacer_case_id": pacer_case_id,
        "case_name": case_name(summary["case_name"] or heading[heading.find(number) + len(number) :].split(" ", 1)[-1]),
        "date_filed": parse_date(summary["date_filed"] or ""),
        "total_number_of_claims": summary["total_number_of_claims"],
        "trustee_str": "",
        **_header(tree),
    }
    if "chapter" not in record and summary["chapter"]:
        record["chapter"] = summary["chapter"]
    status = link.getparent().xpath(".//span[@class='label']")
    if status:
        record["date_" + clean_value(status[0].text_content()).lower().replace(" ", "_")] = parse_date(
            status[0].tail or ""
        )
    full_number = heading[heading.find(number) :].split(" ", 1)[0]
    record.update(docket_number_parts(full_number))
    record["claims"] = [c for t in tree.xpath("//table[@class='complexReport']") if (c := _claim(t, pacer_case_id))]
    return record
