"""CM/ECF RSS feeds: district/bankruptcy ``rss_outside.pl`` and appellate ``RSSGenerator``.

Each ``<item>`` is one docket event: title ``"<docket number> <case name>"``, link
to the docket, pubDate, and a description ``[short description] (<a href=doc1
URL>document number</a>)``, which bankruptcy courts prefix with ``Type: ..
Office: .. Chapter: .. Trustee: ..``. The record is ``{"court_id", "dockets"}``:
one docket per item, each with its one new entry. CM/ECF writes an entry filed
under several event types as several items with the same case, time and
document; those are merged into one entry whose short description joins the
event names with " AND ".
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from email.utils import parsedate_tz

from lxml import etree

from ..errors import ParseError
from .casename import harmonize
from .court import court_from_url, is_appellate, is_bankruptcy
from .docket_number import docket_number_parts, empty_parts, find_docket_number
from .text import clean_string, clean_value

__all__ = ["parse", "pacer_doc_id_from_url"]

_SHORT_DESCRIPTION = re.compile(r"\[(.*?)\]")
_DOCUMENT_NUMBER = re.compile(r"[\"'] ?>(\d+)</a>")
_DOC1_URL = re.compile(r"href=[\"'](.*/doc1/.*?)[\"']")
_DOCS1_URL = re.compile(r"href=[\"'](.*/docs1/.*?)[\"']")
_DOC_ID = re.compile(r"/docs?\d*/(\d+)")
_SEQ_NO = re.compile(r"de_seq_num=(\d+)")
_CASE_ID = re.compile(r"(?:caseid=|\?)(\d+)")
_BANKRUPTCY_HEADER = re.compile(
    r"^Type:(?P<type>.*?)Office:(?P<office>.*?)Chapter:(?P<chapter>.*?)(?:Trustee:(?P<trustee>.*?))?\[",
    re.S,
)
# US zone abbreviations CM/ECF servers put in pubDate (email.utils knows only some).
_ZONES = {
    "GMT": 0, "UT": 0, "UTC": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "HDT": -9,
    "AST": -4, "ADT": -3, "CHST": 10, "SST": -11,
}  # fmt: skip


def pacer_doc_id_from_url(url: str) -> str | None:
    """Document id of a ``/doc1/`` or ``/docs1/`` URL, with the fourth digit zeroed.

    The fourth digit only says whether PACER shows the attachment menu, so the
    same document appears with a 0 or a 1 there.
    """
    m = _DOC_ID.search(url)
    if not m:
        return None
    doc_id = m.group(1)
    if len(doc_id) > 3:
        doc_id = doc_id[:3] + "0" + doc_id[4:]
    return doc_id


def parse_pub_date(text: str | None) -> str | None:
    """RFC 822 date with a US zone abbreviation -> ISO 8601 with offset."""
    if not text:
        return None
    text = text.strip()
    zone = text.rsplit(None, 1)[-1].upper() if text else ""
    parsed = parsedate_tz(text)
    if parsed is None:
        return None
    offset = parsed[9]
    if zone in _ZONES:
        offset = _ZONES[zone] * 3600
    tz = _dt.timezone(_dt.timedelta(seconds=offset or 0))
    try:
        moment = _dt.datetime(*parsed[:6], tzinfo=tz)
    except ValueError:
        return None
    return moment.isoformat()


def _case_name(title: str) -> str:
    parts = title.split(" ", 1)
    if len(parts) < 2:
        return "Unknown Case Title"
    return clean_value(clean_string(harmonize(html.unescape(parts[1]))))


def _entry(description: str, published: str, appellate: bool) -> dict:
    number = _DOCUMENT_NUMBER.search(description)
    short = _SHORT_DESCRIPTION.search(description)
    entry = {
        "date_filed": published,
        "description": "",
        "document_number": number.group(1) if number else None,
        "short_description": clean_value(html.unescape(short.group(1))) if short else "",
        "pacer_doc_id": "",
        "pacer_seq_no": None,
    }
    doc1 = _DOC1_URL.search(description)
    docs1 = _DOCS1_URL.search(description)
    if doc1:
        entry["pacer_doc_id"] = pacer_doc_id_from_url(doc1.group(1)) or ""
        seq = _SEQ_NO.search(doc1.group(1))
        entry["pacer_seq_no"] = seq.group(1) if seq else None
    elif docs1:
        entry["pacer_doc_id"] = pacer_doc_id_from_url(docs1.group(1)) or ""
    if appellate and entry["pacer_doc_id"] and not entry["document_number"]:
        # Appellate entries are known by their document id.
        entry["document_number"] = entry["pacer_doc_id"]
    return entry


def _bankruptcy_fields(description: str) -> dict | None:
    m = _BANKRUPTCY_HEADER.search(description)
    if not m:
        return None
    return {
        "type": clean_value(m.group("type")),
        "office": clean_value(m.group("office")),
        "chapter": clean_value(m.group("chapter")),
        "trustee_str": clean_value(m.group("trustee") or ""),
    }


def _docket(item: etree._Element, court_id: str | None) -> dict | None:
    """One docket record for an item, or None for items that name no case."""
    title = (item.findtext("title") or "").strip()
    link = (item.findtext("link") or "").strip()
    published = parse_pub_date(item.findtext("pubDate"))
    description = html.unescape(item.findtext("description") or "").strip()
    if not link or not published:
        return None
    appellate = is_appellate(court_id) or "TransportRoom" in link
    bankruptcy = is_bankruptcy(court_id)
    docket_number = find_docket_number(title, bankruptcy=bankruptcy, appellate=appellate)
    if not docket_number:
        return None
    docket: dict[str, object] = {
        "court_id": court_id,
        "pacer_case_id": None,
        "docket_number": docket_number,
        "case_name": _case_name(title),
        "date_filed": None,
        "date_terminated": None,
        "date_converted": None,
        "date_discharged": None,
        "assigned_to_str": "",
        "referred_to_str": "",
        "cause": "",
        "nature_of_suit": "",
        "jury_demand": "",
        "demand": "",
        "jurisdiction": "",
        "trustee_str": "",
        "type": "",
        "office": "",
        "chapter": "",
    }
    if appellate:
        docket.update(empty_parts())
    else:
        case_id = _CASE_ID.search(link)
        docket["pacer_case_id"] = case_id.group(1) if case_id else None
        full_number = title[title.find(docket_number) :].split(None, 1)[0]
        docket.update(docket_number_parts(full_number))
    if bankruptcy:
        # Items without the "Type: .. Office: .." prefix keep these fields empty.
        docket.update(_bankruptcy_fields(description) or {})
    docket["parties"] = None
    docket["docket_entries"] = [_entry(description, published, appellate)]
    return docket


def _event_key(docket: dict) -> tuple:
    entry = docket["docket_entries"][0]
    return (docket["docket_number"], docket["pacer_case_id"], entry["date_filed"], entry["pacer_doc_id"])


def _merge_event(seen: dict, docket: dict) -> None:
    """Fold another event type of the same docket entry into ``seen``."""
    entry = seen["docket_entries"][0]
    names = [n.strip() for n in entry["short_description"].split("AND")]
    names.append(docket["docket_entries"][0]["short_description"])
    entry["short_description"] = " AND ".join(sorted(names))


def _channel_court(root: etree._Element) -> str | None:
    for path in ("channel/link", "channel/item/link", "channel/image/link"):
        for node in root.iterfind(path):
            court = court_from_url(node.text or "")
            if court:
                return court
    return None


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse an RSS feed into ``{"court_id": ..., "dockets": [...]}``."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a readable RSS feed: {exc}") from None
    if root is None or root.tag != "rss" or root.find("channel") is None:
        raise ParseError("not an RSS feed: no <rss><channel>")
    court = _channel_court(root) or court_id
    dockets: list[dict] = []
    by_event: dict[tuple, dict] = {}
    for item in root.iterfind("channel/item"):
        docket = _docket(item, court)
        if docket is None:
            continue
        key = _event_key(docket)
        if key in by_event:
            _merge_event(by_event[key], docket)
        else:
            by_event[key] = docket
            dockets.append(docket)
    return {"court_id": court, "dockets": dockets}
