"""What ACMS expects on the wire, and which system holds a case (pure: no Scrapy, no network).

ACMS is the case system of the 2nd and 9th Circuits and, for cases opened from
1 October 2026, of the Court of Appeals for Veterans Claims. It is a web
application on its own host per court, reached through PACER's central sign-on:

1. ``GET {acms}/`` without cookies answers with a redirect to the court's
   identity provider (SAML request in the URL);
2. ``GET`` of that address with the ``NextGenCSO`` cookie answers with a form that
   posts itself (hidden ``SAMLResponse`` and ``RelayState``) to ``{acms}/Saml2/Acs``;
3. ``POST`` of that form sets the court's ACMS session cookies.

With those cookies ``GET {acms}/Home/IndexContent?caseIdentifier=<docket number>``
gives the docket (``caseDetails`` + ``docketInfo``) and, beside it, the bearer
token the document-list API wants (``POST {api}/DocketEntryDocumentsByDocketId/<entry
GUID>``). Billing is PACER's page rule over the byte counts ACMS reports.

Which system holds a case (:class:`AcmsCourts`): a court marked ``ca9`` holds every
case in ACMS; ``cavc@2026-10-01`` marks a dual-system court whose cases opened from
that day are in ACMS while older ones stay in CM/ECF. The docket number's year
decides: years before the switch go to TransportRoom; later ones (and the switch
year itself) are asked of ACMS first, and a case ACMS does not know goes to
TransportRoom (the caller remembers that answer).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from html import unescape
from typing import Any
from urllib.parse import quote, urljoin

from harvester.cmecf import HttpCall
from harvester.config import ACMS_COURTS
from harvester.errors import HarvesterError
from harvester.parsers.court import is_appellate
from harvester.parsers.receipt import BYTES_PER_PAGE, PAGE_CAP

ACMS, CMECF = "acms", "cmecf"
PAGE_DOLLARS = 0.10
TOKEN_KEYS = ("authToken", "AuthToken", "token")  # where the docket answer carries the bearer token
ACS_PATH = "Saml2/Acs"
_DOCKET_YEAR = re.compile(r"^\s*(?:\d:)?(\d{2}|\d{4})-")
_INPUT = re.compile(r"(?is)<input\b[^>]*>")
_ATTR = re.compile(r"""(?is)\b(name|value|type)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_FORM_ACTION = re.compile(r"""(?is)<form\b[^>]*\baction\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class AcmsLayoutError(HarvesterError):
    """ACMS answered something this harvester does not recognise (its layout or protocol changed)."""


class AcmsConfigError(HarvesterError):
    """An ``acms.courts`` entry that cannot be read."""


@dataclass(frozen=True)
class AcmsCourt:
    court: str
    since: date | None  # None: every case is in ACMS

    @property
    def dual(self) -> bool:
        """Old cases stay in CM/ECF: a case ACMS does not know goes to TransportRoom."""
        return self.since is not None

    def system_for(self, docket_number: str | None) -> str:
        """ACMS or CM/ECF, by the year in the docket number (ACMS when it has none)."""
        year = docket_year(docket_number)
        if self.since is None or year is None:
            return ACMS
        return ACMS if year >= self.since.year else CMECF

    def describe(self) -> str:
        return (
            "ACMS" if self.since is None else f"ACMS for cases opened from {self.since.isoformat()}, older ones CM/ECF"
        )


class AcmsCourts:
    """The courts whose cases (all, or those opened from a date) live in ACMS."""

    def __init__(self, entries: list[str] | tuple[str, ...] = ACMS_COURTS) -> None:
        self.courts = {court.court: court for court in map(_court_entry, entries)}

    def get(self, court: str) -> AcmsCourt | None:
        return self.courts.get(court)

    def system_for(self, court: str, docket_number: str | None) -> str:
        """Which system holds the case: ACMS or CM/ECF (before any answer of the court)."""
        rule = self.courts.get(court)
        return rule.system_for(docket_number) if rule else CMECF

    def describe(self, court: str) -> str:
        """What ``harvester status`` shows for a watched court."""
        rule = self.courts.get(court)
        if rule is not None:
            return rule.describe()
        return "CM/ECF (TransportRoom)" if is_appellate(court) else "CM/ECF"


def _court_entry(entry: str) -> AcmsCourt:
    court, _, since = str(entry).strip().lower().partition("@")
    if not is_appellate(court):
        raise AcmsConfigError(f"acms.courts: {entry!r} is not a court of appeals id (ca2, ca9, cavc...)")
    if not since:
        return AcmsCourt(court, None)
    try:
        return AcmsCourt(court, date.fromisoformat(since))
    except ValueError:
        raise AcmsConfigError(f"acms.courts: {entry!r}: the date after @ must be YYYY-MM-DD") from None


def docket_year(docket_number: str | None) -> int | None:
    """2023 from ``23-7246`` (or ``2023-7246``); None when the number has no year."""
    match = _DOCKET_YEAR.match(docket_number or "")
    if not match:
        return None
    year = int(match.group(1))
    return year if year >= 1000 else (2000 + year if year < 70 else 1900 + year)


# ------------------------------------------------------------------ requests


def court_url(template: str, court: str) -> str:
    """``https://{court}-showdoc.azurewebsites.us`` + ``ca9`` -> ``https://ca9-showdoc.azurewebsites.us/``."""
    return template.replace("{court}", court).rstrip("/") + "/"


def sign_on_start(acms_base: str) -> HttpCall:
    return HttpCall("GET", acms_base, headers={"Accept": "text/html"})


def docket(acms_base: str, docket_number: str) -> HttpCall:
    url = urljoin(acms_base, "Home/IndexContent?caseIdentifier=" + quote(docket_number.strip(), safe="-:"))
    return HttpCall("GET", url, headers={"Accept": "application/json, text/html"})


def document_list(api_base: str, entry_id: str, *, restricted: bool = False) -> HttpCall:
    body = json.dumps({"isUserCaseParticipant": False, "restrictedPartyFilingDocketEntry": restricted}).encode()
    return HttpCall("POST", urljoin(api_base, "DocketEntryDocumentsByDocketId/" + quote(entry_id, safe="-")), body,
                    {"Content-Type": "application/json", "Accept": "application/json"})  # fmt: skip


def saml_form(body: bytes, page_url: str) -> tuple[str, dict[str, str]] | None:
    """The (action URL, hidden fields) of the identity provider's self-posting form, or None."""
    text = body.decode("utf-8", "replace")
    action = _FORM_ACTION.search(text)
    fields: dict[str, str] = {}
    for tag in _INPUT.findall(text):
        attrs = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(tag)}
        if attrs.get("type", "").lower() == "hidden" and attrs.get("name"):
            fields[unescape(attrs["name"])] = unescape(attrs.get("value") or "")
    if action is None or "SAMLResponse" not in fields:
        return None
    return urljoin(page_url, unescape(action.group(1) or action.group(2) or "")), fields


# ------------------------------------------------------------------ answers


def take_token(body: bytes) -> tuple[bytes, str | None]:
    """The answer without the bearer token ACMS puts beside the docket (never archived), and the token.

    Whatever the layout: an answer that is not a JSON object comes back unchanged.
    """
    try:
        doc = json.loads(body)
    except ValueError:
        return body, None
    if not isinstance(doc, dict) or not any(key in doc for key in TOKEN_KEYS):
        return body, None
    tokens = [str(doc.pop(key)) for key in TOKEN_KEYS if key in doc]
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8"), next((t for t in tokens if t), None)


def check_docket(body: bytes, court: str) -> dict[str, Any]:
    """The docket JSON; :class:`AcmsLayoutError` naming the court when it is not the layout this harvester knows."""
    try:
        doc = json.loads(body)
    except ValueError:
        raise AcmsLayoutError(
            f"{court}: ACMS docket answer is not JSON (the site's layout or protocol changed?)"
        ) from None
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("caseDetails"), dict)
        or not isinstance(doc.get("docketInfo"), dict)
    ):
        keys = ", ".join(sorted(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
        raise AcmsLayoutError(
            f"{court}: ACMS docket JSON without caseDetails/docketInfo (got: {keys}); the layout changed"
        )
    return doc


def billed_bytes(doc: dict[str, Any]) -> int | None:
    """The byte counts ACMS reports for a docket (case details + entries), or None."""
    counts = [
        part.get("byteCount") for part in (doc.get("caseDetails"), doc.get("docketInfo")) if isinstance(part, dict)
    ]
    numbers = [int(c) for c in counts if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return sum(numbers) if numbers else None


def receipt(body: bytes) -> dict[str, Any] | None:
    """ACMS's billing figures as a receipt (the shape of :func:`harvester.parsers.receipt.parse_receipt`).

    A docket is billed as PACER bills a report: 4,320 bytes a page of what ACMS
    counts, at least one page, at most 30. None when the answer carries no count.
    """
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    n_bytes = billed_bytes(doc)
    if n_bytes is None:
        return None
    pages = min(PAGE_CAP, max(1, math.ceil(n_bytes / BYTES_PER_PAGE)))
    details = doc.get("caseDetails")
    case = details if isinstance(details, dict) else {}
    return {"billable_pages": pages, "cost": round(pages * PAGE_DOLLARS, 2), "description": "ACMS docket",
            "search_criteria": str(case.get("caseNumber") or ""), "client_code": None, "timestamp": None}  # fmt: skip


def docket_estimate(known_bytes: int | None) -> int:
    """Pages to hold for an ACMS docket: what it cost last time, or the cap when unknown."""
    if not known_bytes:
        return PAGE_CAP
    return min(PAGE_CAP, max(1, math.ceil(known_bytes / BYTES_PER_PAGE)))
