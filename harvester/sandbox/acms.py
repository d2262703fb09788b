"""ACMS in the sandbox: sign-on through PACER's central login, per-court sessions, docket JSON.

Routes (under ``/acms/{court}/`` on the sandbox host; ca2, ca9 and cavc):

- ``GET /acms/{court}/``: with a valid ACMS session cookie a small home page, else
  a redirect to ``idp/sso`` (the court's identity provider);
- ``GET idp/sso``: with a valid ``NextGenCSO`` cookie a form that posts itself to
  ``Saml2/Acs`` (hidden ``SAMLResponse``, ``RelayState``); else a redirect to PACER's login;
- ``POST Saml2/Acs``: a SAML answer issued here (once) -> ``Set-Cookie`` of the
  court's session (``.AspNetCore.Cookies``), valid for that court only;
- ``GET Home/IndexContent?caseIdentifier=<docket number or GUID>``: the docket
  (``caseDetails``, ``docketInfo``, and ``authToken`` for the API), billed by
  PACER's page rule over its byte counts; an unknown case is a 404; an expired
  session a redirect to the identity provider;
- ``POST api/DocketEntryDocumentsByDocketId/<entry GUID>`` (bearer token): the
  entry's documents (free).

Cases: real ACMS dockets from the corpus (``data/acms``, see its ATTRIBUTION.md)
and synthetic ones that gain an entry a day of sandbox time. Faults:
:meth:`AcmsEmulation.expire_sessions` (now, or ``expire_every[court] = n``: after
every n-th docket) and :meth:`AcmsEmulation.change_layout`.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .server import Request, Response

DATA = Path(__file__).parent / "data" / "acms"
COURTS = ("ca2", "ca9", "cavc")
SESSION_COOKIE = ".AspNetCore.Cookies"
SESSION_SECONDS = 4 * 3600.0
BYTES_PER_PAGE, PAGE_CAP, PAGE_DOLLARS = 4320, 30, 0.10
JSON = "application/json"
# Synthetic cases per court: (docket number, days before the sandbox start it was opened, entries then).
SYNTHETIC = {
    "ca2": [("25-1801", 40, 6), ("26-2214", 12, 3)],
    "ca9": [("25-4410", 30, 5), ("26-1187", 9, 2)],
    "cavc": [("26-7001", 20, 2), ("26-7045", 6, 1)],
}


@dataclass
class AcmsCase:
    court: str
    docket_number: str
    guid: str
    details: dict[str, Any]
    entries: list[dict[str, Any]]  # real: fixed; synthetic: the first ``base`` of them, then one a day
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # entry GUID -> list (real ones)
    opened_ts: float | None = None  # synthetic: opened then with ``base`` entries, one more a day from ``epoch_ts``
    base: int = 0
    epoch_ts: float = 0.0

    def entries_at(self, now_ts: float) -> list[dict[str, Any]]:
        if self.opened_ts is None:
            return self.entries
        grown = max(0, int((now_ts - self.epoch_ts) // 86400))
        return [_synthetic_entry(self, n, self._entered_ts(n)) for n in range(1, self.base + grown + 1)]

    def _entered_ts(self, n: int) -> float:
        assert self.opened_ts is not None
        if n <= self.base:
            return self.opened_ts + (n - 1) * (self.epoch_ts - self.opened_ts) / max(1, self.base)
        return self.epoch_ts + (n - self.base) * 86400 - 3600


class AcmsEmulation:
    """The ACMS sites of the sandbox's ACMS courts."""

    def __init__(self, clock: Any, login: Any, *, synthetic: bool = True) -> None:
        self.clock, self.login = clock, login
        self.cases: dict[tuple[str, str], AcmsCase] = {}
        for case in [*_real_cases(), *(_synthetic_cases(clock.epoch_ts) if synthetic else [])]:
            self.cases[case.court, case.docket_number] = case
        self._assertions: dict[str, str] = {}  # SAMLResponse -> court (each usable once)
        self._sessions: dict[str, tuple[str, float]] = {}  # cookie -> (court, expires)
        self._tokens: dict[str, str] = {}  # bearer token -> court
        self.layout_changed: set[str] = set()
        self.sign_ons: dict[str, int] = {}
        self.expire_every: dict[str, int] = {}  # court -> its sessions end after that many dockets
        self.expire_pacer_too = False  # ...and so do the PACER tokens (NextGenCSO)
        self._served: dict[str, int] = {}

    # ------------------------------------------------------------------ control
    def expire_sessions(self, court: str | None = None) -> int:
        """End the ACMS sessions (of one court, or all) now, as ACMS does after a while."""
        gone = [c for c, (owner, _) in self._sessions.items() if court in (None, owner)]
        for cookie in gone:
            del self._sessions[cookie]
        return len(gone)

    def change_layout(self, court: str, changed: bool = True) -> None:
        """Serve ``court``'s dockets in a layout the harvester does not know (a site rebuild)."""
        (self.layout_changed.add if changed else self.layout_changed.discard)(court)

    def listing(self) -> list[dict[str, Any]]:
        """The cases, as ``GET /sandbox/cases`` lists them."""
        return [{"court": c.court, "kind": "appellate", "system": "acms", "pacer_case_id": c.docket_number,
                 "case_number": c.docket_number, "docket_number": c.docket_number, "acms_case_id": c.guid,
                 "case_name": c.details.get("name"), "date_filed": c.details.get("caseOpened"),
                 "date_terminated": None, "synthetic": c.opened_ts is not None}
                for c in self.cases.values()]  # fmt: skip

    # ------------------------------------------------------------------ routes
    def handle(self, app: Any, request: Request, rest: str) -> Response:
        court, _, path = rest.partition("/")
        if court not in COURTS:
            return Response(404, b"No such ACMS court", "text/plain")
        routes = {"": ("acms-home", self._home), "idp/sso": ("acms-idp", self._idp),
                  "Saml2/Acs": ("acms-acs", self._acs), "Home/IndexContent": ("acms-docket", self._docket)}  # fmt: skip
        endpoint, produce = routes.get(path, ("acms-documents", self._documents) if path.startswith(
            "api/DocketEntryDocumentsByDocketId/") else ("unknown", None))  # fmt: skip
        record = app._record(request, endpoint, None, dict(parse_qsl(request.query)), "", _NO_FAULTS)
        record["court"] = court
        response = produce(request, court, path, record) if produce else Response(404, b"Not Found", "text/plain")
        response.log = record
        return response

    def _home(self, request: Request, court: str, path: str, record: dict) -> Response:
        if self._session(request, court):
            return Response(200, b"<html><body>ACMS</body></html>")
        return self._to_idp(court)

    def _idp(self, request: Request, court: str, path: str, record: dict) -> Response:
        account = self.login.account_for(request.cookies().get("NextGenCSO"))
        record["account"] = account
        if account is None:  # no valid PACER session: off to PACER's login, as the central sign-on does
            return Response(302, b"", headers=[("Location", "/csologin/login.jsf?appurl=acms")])
        assertion = secrets.token_urlsafe(24)
        self._assertions[assertion] = court
        page = (f'<html><body onload="document.forms[0].submit()"><form method="post" action="/acms/{court}/Saml2/Acs">'
                f'<input type="hidden" name="RelayState" value="{html.escape(court)}"/>'
                f'<input type="hidden" name="SAMLResponse" value="{assertion}"/></form></body></html>')  # fmt: skip
        return Response(200, page.encode())

    def _acs(self, request: Request, court: str, path: str, record: dict) -> Response:
        fields = dict(parse_qsl(request.body.decode("latin-1"))) if request.method == "POST" else {}
        record["params"] = {"RelayState": fields.get("RelayState", ""), "SAMLResponse": "***"}
        if self._assertions.pop(fields.get("SAMLResponse", ""), None) != court:
            return Response(403, b"SAML response refused", "text/plain")
        cookie = secrets.token_urlsafe(24)
        self._sessions[cookie] = (court, self.clock.timestamp() + SESSION_SECONDS)
        self.sign_ons[court] = self.sign_ons.get(court, 0) + 1
        headers = [("Set-Cookie", f"{SESSION_COOKIE}={cookie}; path=/acms/{court}; secure; httponly"),
                   ("Location", f"/acms/{court}/")]  # fmt: skip
        return Response(302, b"", headers=headers)

    def _docket(self, request: Request, court: str, path: str, record: dict) -> Response:
        if not self._session(request, court):
            return self._to_idp(court)
        ident = dict(parse_qsl(request.query)).get("caseIdentifier", "").strip()
        case = self.cases.get((court, ident)) or next(
            (c for c in self.cases.values() if c.court == court and c.guid == ident), None
        )
        if case is None:
            return Response(404, json.dumps({"error": f"case {ident} not found"}).encode(), JSON)
        doc = self._docket_json(case)
        pages = min(
            PAGE_CAP,
            max(1, math.ceil((doc["caseDetails"]["byteCount"] + doc["docketInfo"]["byteCount"]) / BYTES_PER_PAGE)),
        )
        record.update({"billable_pages": pages, "cost": round(pages * PAGE_DOLLARS, 2), "case": case.docket_number,
                       "entries": len(doc["docketInfo"]["docketEntries"])})  # fmt: skip
        token = secrets.token_urlsafe(24)
        self._tokens[token] = court
        self._served[court] = self._served.get(court, 0) + 1
        if self.expire_every.get(court) and self._served[court] % self.expire_every[court] == 0:
            self.expire_sessions(court)  # the next request finds the session gone
            if self.expire_pacer_too:
                self.login.expire_tokens()
        if court in self.layout_changed:  # a rebuilt site: the same data under other names
            doc = {"case": doc["caseDetails"], "entries": doc["docketInfo"]["docketEntries"]}
        return Response(200, json.dumps({**doc, "authToken": token}).encode(), JSON)

    def _documents(self, request: Request, court: str, path: str, record: dict) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if self._tokens.get(bearer) != court:
            return Response(401, b'{"error": "unauthorized"}', JSON)
        entry_id = path.rsplit("/", 1)[-1]
        for case in self.cases.values():
            if case.court != court:
                continue
            for entry in case.entries_at(self.clock.timestamp()):
                if entry["docketEntryId"] == entry_id:
                    record["case"] = case.docket_number
                    docs = case.documents.get(entry_id) or _synthetic_documents(case, entry)
                    return Response(200, json.dumps(docs).encode(), JSON)
        return Response(404, b'{"error": "entry not found"}', JSON)

    # ------------------------------------------------------------------ helpers
    def _session(self, request: Request, court: str) -> bool:
        held = self._sessions.get(request.cookies().get(SESSION_COOKIE, ""))
        return held is not None and held[0] == court and held[1] > self.clock.timestamp()

    def _to_idp(self, court: str) -> Response:
        return Response(302, b"", headers=[("Location", f"/acms/{court}/idp/sso?SAMLRequest={uuid.uuid4().hex}")])

    def _docket_json(self, case: AcmsCase) -> dict[str, Any]:
        entries = case.entries_at(self.clock.timestamp())
        details = {**case.details, "byteCount": len(json.dumps(case.details))}
        info = {"isCaseSealed": False, "isUserCaseParticipant": False, "docketEntries": entries,
                "byteCount": len(json.dumps(entries))}  # fmt: skip
        return {"caseDetails": details, "docketInfo": info}


class _NoFaults:
    names: list[str] = []


_NO_FAULTS = _NoFaults()


def _real_cases() -> list[AcmsCase]:
    cases, lists = [], {}
    for path in sorted(DATA.glob("*.acms_json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if "docketEntryDocuments" in doc:
            lists[doc["docketEntry"]["docketEntryId"]] = doc["docketEntryDocuments"]
            continue
        court = path.name.split("_", 1)[0]
        details = doc["caseDetails"]
        cases.append(
            AcmsCase(court, details["caseNumber"], details["caseId"], details, doc["docketInfo"]["docketEntries"])
        )
    for case in cases:
        case.documents = {
            e["docketEntryId"]: lists[e["docketEntryId"]] for e in case.entries if e["docketEntryId"] in lists
        }
    return cases


def _guid(*parts: object) -> str:
    return str(uuid.UUID(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:32]))


def _synthetic_cases(epoch_ts: float) -> list[AcmsCase]:
    out = []
    for court, rows in SYNTHETIC.items():
        for number, age_days, base in rows:
            opened = epoch_ts - age_days * 86400
            day = date.fromtimestamp(opened)
            details = {
                "caseId": _guid(court, number), "caseNumber": number, "name": f"Synthetic Appellant {number} v. Respondent",
                "caseOpened": day.isoformat(), "receivedDate": f"{day.isoformat()}T15:00:00Z",
                "caseType": "Agency" if court == "cavc" else "Civil", "caseSubType": "Appeal", "caseSubSubType": None,
                "court": {"name": "Board of Veterans' Appeals" if court == "cavc" else "U.S. District Court", "identifier": "1"},
                "districtCourtName": None, "feeStatus": "Paid",
                "partyAttorneyList": "<table><tr><td> SYNTHETIC APPELLANT<br>&nbsp;&nbsp;&nbsp;&nbsp;Appellant, </td>"
                                     "<td><div>Pat Counsel, Attorney<br>Email: counsel@example.test<br>[Retained]<br>"
                                     "Example Law<br>1 Main St</div></td></tr></table>",
            }  # fmt: skip
            out.append(
                AcmsCase(
                    court, number, str(details["caseId"]), details, [], opened_ts=opened, base=base, epoch_ts=epoch_ts
                )
            )
    return out


def _synthetic_entry(case: AcmsCase, n: int, at_ts: float) -> dict[str, Any]:
    day = date.fromtimestamp(at_ts)
    text = "Case OPENED" if n == 1 else f"Filed order (Deputy Clerk) number {n} in {case.docket_number}"
    stamp = f"[Entered: {day:%m/%d/%Y} 10:{n % 60:02d} AM]"
    return {"endDate": day.isoformat(), "endDateFormatted": f"{day:%m/%d/%Y}", "entryNumber": n,
            "docketEntryText": f"<p><strong>{text}</strong>. {stamp}</p>", "docketEntryId": _guid(case.guid, n),
            "createdOn": f"{(day + timedelta(0)).isoformat()}T15:{n % 60:02d}:00Z", "documentCount": 1,
            "pageCount": 1 + n % 4, "fileSize": 100 + n, "restrictedPartyFilingDocketEntry": False,
            "restrictedDocsAvailable": False, "selected": False}  # fmt: skip


def _synthetic_documents(case: AcmsCase, entry: dict[str, Any]) -> list[dict[str, Any]]:
    n, pages = entry["entryNumber"], entry.get("pageCount") or 1
    name = f"{case.docket_number} {n:03d}-01 - Order - Order.pdf"
    return [{"billablePages": pages, "cost": round(pages * PAGE_DOLLARS, 2), "createdOn": entry["createdOn"],
             "docketDocumentDetailsId": _guid(entry["docketEntryId"], 1), "documentNumber": "1",
             "documentPermission": "Public", "fileSize": entry.get("fileSize"), "name": name, "pageCount": pages,
             "documentUrl": None, "caseFilingDocumentUrl": None, "searchTransaction": None, "searchValue": None}]  # fmt: skip
