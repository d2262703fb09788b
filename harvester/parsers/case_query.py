"""Case summaries from the "Query" menu (``iquery.pl``).

The summary is a ``<center>`` block inside ``div#cmecfMainContent``, one item per
line (lines end at ``<br>``)::

    <B><FONT SIZE=+1>1:11-cv-10230-MLW</FONT></B> Arkansas Teacher v. State Street
    Mark L. Wolf, presiding
    Jane Doe, referral
    <B>Date filed:</B> 02/10/2011 <B>Date of last filing:</B> 06/06/2018

Bankruptcy summaries add ``Case type:``, ``Chapter:``, ``Asset:``, ``Vol:``,
``Judge:`` and discharge dates as labelled values. A summary whose lines are
neither labelled values nor judge lines (court notes written into the caption)
is rejected rather than guessed at, as are "Case not found." pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from ..errors import ParseError
from .casename import case_name
from .court import court_from_text, court_from_title, is_bankruptcy
from .docket_number import docket_number_parts, find_docket_number
from .text import clean_value, decode_html, parse_date, strip_control_chars

__all__ = ["parse"]

_PRESIDING = re.compile(r", (presiding|panel 1)$")
_REFERRAL = re.compile(r", referral$")
_RELATED = re.compile(r"Related case: (.*)")
_SKIPPED_JUDGE_LINE = re.compile(r"(panel [2-3]$|Probation)")
_LABEL_NAMES = {
    "date_of_last_filing": "date_last_filing",
    "plan_confirmed": "date_plan_confirmed",
    "debtor_discharged": "date_debtor_dismissed",
    "joint_debtor_discharged": "date_joint_debtor_dismissed",
}
# The judge's label carries the judge's rank: "Judge:", "Chief Judge:", "Chief
# Bankruptcy Judge:", "U.S. Magistrate Judge:"... all name the assigned judge.
_JUDGE_LABEL = re.compile(
    r"(?:(?:chief|senior|acting|visiting|presiding|recalled|retired|u\.s\.|united_states|us"
    r"|district|bankruptcy|magistrate)_)*judge"
)


@dataclass
class _Line:
    """One line of the summary (lines end at <br> or <p>).

    ``text`` is all of its text, ``plain`` the part outside bold elements, and
    ``bolds`` the bold elements that start on it.
    """

    text: str = ""
    plain: str = ""
    bolds: list[etree._Element] = field(default_factory=list)


def _split_lines(center: etree._Element) -> list[_Line]:
    lines = [_Line()]

    def add(text: str | None, in_bold: bool) -> None:
        lines[-1].text += text or ""
        if not in_bold:
            lines[-1].plain += text or ""

    def walk(el: etree._Element, in_bold: bool) -> None:
        if el.tag == "br":
            lines.append(_Line())
            return
        if not isinstance(el.tag, str):
            return
        if el.tag == "p":
            lines.append(_Line())
        if el.tag == "b":
            lines[-1].bolds.append(el)
            in_bold = True
        add(el.text, in_bold)
        for child in el:
            walk(child, in_bold)
            add(child.tail, in_bold)

    walk(center, False)
    return lines


def _label_value(bold: etree._Element) -> tuple[str, str | None] | None:
    """``<B>Date filed:</B> 02/10/2011`` -> ("date_filed", "2011-02-10")."""
    label = bold.text_content().strip()
    if not label.endswith(":"):
        return None
    key = label.lower().replace(" ", "_").replace("\xa0", "_").replace("(", "").replace(")", "")
    key = key.rstrip(":")
    key = "assigned_to_str" if _JUDGE_LABEL.fullmatch(key) else _LABEL_NAMES.get(key, key)
    value = (bold.tail or "").strip().lstrip(":").strip()
    if key.startswith("date_"):
        return key, parse_date(value) if value else None
    return key, clean_value(value)


def _judge_line(text: str) -> tuple[str, str]:
    """Field and value of an unlabelled line under the caption."""
    if _PRESIDING.search(text):
        return "assigned_to_str", _PRESIDING.sub("", text)
    if _REFERRAL.search(text):
        return "referred_to_str", _REFERRAL.sub("", text)
    related = _RELATED.search(text)
    if related:
        return "related_cases_str", related.group(1)
    raise ParseError(f"case summary line is neither a label nor a judge: {text!r}")


def _summary_fields(lines: list[_Line]) -> dict:
    data: dict = {}
    for number, line in enumerate(lines[1:-1], start=1):
        text = clean_value(line.text)
        if not line.bolds:
            if not text or _SKIPPED_JUDGE_LINE.search(text):
                continue
            if number > 3:
                raise ParseError(f"case summary has an unlabelled line: {text!r}")
            key, value = _judge_line(text)
            data[key] = clean_value(value)
        for bold in line.bolds:
            pair = _label_value(bold)
            if pair:
                data[pair[0]] = pair[1]
    return data


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse an iquery.pl case summary into a record."""
    text = strip_control_chars(decode_html(data))
    if re.search(r"Case not found\.", text):
        raise ParseError("case query: case not found")
    try:
        tree = lxml.html.fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    centers = tree.xpath('//div[@id="cmecfMainContent"]//center')
    if not centers:
        raise ParseError("case query page without a case summary (sealed or restricted case?)")
    lines = _split_lines(centers[0])
    caption = lines[0]
    fonts = centers[0].xpath(".//font")
    if not caption.bolds or not fonts:
        raise ParseError("case summary without a docket number")
    fields = _summary_fields(lines)
    bankruptcy_page = "case_type" in fields or "chapter" in fields
    court = court_from_text(text) or court_from_title(text, bankruptcy_page) or court_id
    bankruptcy = bankruptcy_page or is_bankruptcy(court)
    number_text = fonts[0].text_content()
    docket_number = find_docket_number(number_text, bankruptcy=bankruptcy) or find_docket_number(
        number_text, bankruptcy=True
    )
    if not docket_number:
        raise ParseError(f"case summary without a recognisable docket number: {number_text!r}")
    raw_name = clean_value(caption.plain)
    record = {
        "court_id": court,
        "docket_number": docket_number,
        "case_name_raw": raw_name,
        "case_name": case_name(raw_name),
        **fields,
    }
    full_number = number_text.strip()[number_text.strip().find(docket_number) :]
    record.update(docket_number_parts(full_number))
    return record
