"""What CM/ECF expects on the wire: URLs and forms of the reports the harvester asks for.

Pure functions (no Scrapy): a request is described by :class:`HttpCall`, which the
spiders turn into Scrapy requests. Form field names follow CM/ECF itself: district forms use
``date_range_type``, bankruptcy forms ``date_type``; CM/ECF wants multipart/form-data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, urlencode

from harvester.parsers.court import is_appellate, is_bankruptcy

# Courts of appeals whose TransportRoom lives under /cmecf/ instead of /n/beam/.
CMECF_SERVLET_COURTS = {"ca5", "ca7", "ca11"}
# Always send a start date: without one a large docket answers with an interstitial.
EARLIEST = date(1960, 1, 1)


@dataclass(frozen=True)
class HttpCall:
    method: str
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def court_base(court_url_template: str, court: str) -> str:
    """``https://ecf.{court}.uscourts.gov`` + ``cand`` -> ``https://ecf.cand.uscourts.gov/``."""
    return court_url_template.replace("{court}", court).rstrip("/") + "/"


def rss_feed(base: str, court: str) -> HttpCall:
    """The court's free RSS feed (district/bankruptcy) or RSSGenerator (appellate)."""
    if is_appellate(court):
        return HttpCall("GET", _transport_room(base, court) + "?servlet=RSSGenerator")
    return HttpCall("GET", base + "cgi-bin/rss_outside.pl")


def possible_case_numbers(base: str, docket_number: str) -> HttpCall:
    """Docket number -> pacer_case_id lookup (XML)."""
    return HttpCall("GET", base + "cgi-bin/possible_case_numbers.pl?" + quote(docket_number, safe=":-"))


def docket_report(
    base: str,
    court: str,
    pacer_case_id: str,
    *,
    entered_since: date | None = None,
    numbered_from: int | None = None,
    parties: bool = True,
) -> HttpCall:
    """A district/bankruptcy DktRpt.pl report: whole, entered since a date, or numbered from a document on.

    A whole report is filtered by filing date from 1960 on, like CM/ECF's own form; so
    is one by document number (a start date is always sent).
    """
    bankruptcy = is_bankruptcy(court)
    date_type = "Entered" if entered_since else "Filed"
    fields: list[tuple[str, str]] = [
        ("all_case_ids", pacer_case_id),
        ("case_num", pacer_case_id),
        ("date_type", date_type.lower()) if bankruptcy else ("date_range_type", date_type),
        ("date_from", _mdy(entered_since or EARLIEST)),
        ("date_to", ""),
        ("documents_numbered_from_", "" if numbered_from is None else str(numbered_from)),
        ("documents_numbered_to_", ""),
    ]
    if parties:
        fields += [("list_of_parties_and_counsel", "on"), ("terminated_parties", "on")]
    fields += [
        ("list_of_member_cases", ""),
        ("pdf_header", "1"),
        ("output_format", "html"),
        ("sort1", "document number ascending" if bankruptcy else "oldest date first"),
    ]
    body, content_type = multipart(fields)
    return HttpCall("POST", base + "cgi-bin/DktRpt.pl?1-L_1_0-1", body, {"Content-Type": content_type})


def appellate_docket(
    base: str, court: str, docket_number: str, *, since: date | None = None, parties: bool = True
) -> HttpCall:
    """A court of appeals' docket (TransportRoom CaseSummary.jsp), whole or since a date.

    Without ``parties`` the party and attorney list is left out (its box unticked), as
    on a district report: an incremental report pays for the new entries, not for the
    parties again.
    """
    params = {
        "servlet": "CaseSummary.jsp", "caseNum": docket_number, "incDktEntries": "Y",
        "incOrigDkt": "Y", "incPrior": "Y", "incAssoc": "Y", "incPanel": "Y",
        **({"incPtyAty": "Y"} if parties else {}),
        "incCaption": "long", "fullDocketReport": "Y", "actionType": "Run Docket Report",
    }  # fmt: skip
    if since is not None:
        params["dateFrom"] = _mdy(since)
    return HttpCall("GET", _transport_room(base, court) + "?" + urlencode(params))


def _transport_room(base: str, court: str) -> str:
    prefix = "cmecf" if court in CMECF_SERVLET_COURTS else "n/beam"
    return f"{base}{prefix}/servlet/TransportRoom"


def _mdy(day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year}"


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """Encode form fields as multipart/form-data; return (body, Content-Type)."""
    boundary = "----harvester" + secrets.token_hex(12)
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode("latin-1")
        )
    parts.append(f"--{boundary}--\r\n".encode("latin-1"))
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
