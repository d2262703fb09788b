"""The sandbox's routes: PACER login, court lookup, CM/ECF courts, admin endpoints.

URL layout (all on one host and port):

- ``POST /services/cso-auth``, ``POST /services/cso-logout`` (JSON)
- ``GET /file-case/court-cmecf-lookup/data.json``
- ``/ecf/{court}/cgi-bin/DktRpt.pl`` (multipart/form-data POST), ``iquery.pl``,
  ``possible_case_numbers.pl?<number>``, ``rss_outside.pl`` (free, no login)
- ``/ecf/{court}/n/beam/servlet/TransportRoom`` (``/cmecf/servlet/...`` for
  ca5, ca7, ca11): ``servlet=CaseSummary.jsp`` docket, ``servlet=RSSGenerator``
- ``GET /sandbox/clock``, ``POST /sandbox/advance``, ``GET|POST /sandbox/faults``,
  ``GET /sandbox/config``, ``GET /sandbox/cases[?court=]``
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Callable, TypeVar
from urllib.parse import parse_qsl

from . import markup, pages
from .acms import AcmsEmulation
from .clock import ClockError, SandboxClock
from .content import RealCase, real_feed
from .courts import Catalog, Court
from .documents import DocumentRoutes
from .faults import FaultError, FaultInjector, FaultPlan, FaultRule
from .login import LoginService
from .month import DOCKET_ENDPOINTS, MonthCase, MonthScenario, dump_truth
from .reports import QueryError, encode_page, error_page, finish, parse_appellate_query, parse_query
from .requestlog import mask_params
from .server import Request, Response
from .synthetic import DAY, Entry, SyntheticCase, SyntheticCourts

JSON = "application/json"
TOKEN_COOKIES = ("NextGenCSO", "PacerSession")
# A producer gets what its route found: the Court under /ecf/, None for the login and lookup services.
CourtOrNone = TypeVar("CourtOrNone", bound="Court | None")
Producer = Callable[[Request, dict, dict, CourtOrNone], Response]


def form_fields(request: Request) -> tuple[dict[str, str], str]:
    """Query-string and body fields of a request, and the body's media type."""
    fields: dict[str, str] = {}
    if request.query:
        pairs = parse_qsl(request.query, keep_blank_values=True)
        if pairs and "=" in request.query:
            fields.update(pairs)
        else:
            fields["_query"] = request.query
    ctype = request.headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data" and request.body:
        fields.update(_multipart(ctype, request.body))
    elif media == "application/x-www-form-urlencoded" and request.body:
        fields.update(parse_qsl(request.body.decode("latin-1"), keep_blank_values=True))
    return fields, media


_BOUNDARY_RE = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.I)
_NAME_RE = re.compile(rb'name="([^"]*)"', re.I)


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    """Fields of a multipart/form-data body (values as text; file parts alike)."""
    match = _BOUNDARY_RE.search(content_type)
    if not match:
        return {}
    delimiter = b"--" + (match.group(1) or match.group(2)).encode("latin-1")
    out = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, value = part.partition(b"\r\n\r\n")
        name = _NAME_RE.search(head)
        if sep and name:
            out[name.group(1).decode("utf-8", "replace")] = value.removesuffix(b"\r\n").decode("utf-8", "replace")
    return out


class SandboxApp:
    """Turns requests into responses and request-log records."""

    acms: AcmsEmulation | None = None  # the ACMS courts (ca2, ca9, cavc), set by the Sandbox

    def __init__(
        self,
        *,
        clock: SandboxClock,
        login: LoginService,
        faults: FaultInjector,
        catalog: Catalog,
        synthetic: SyntheticCourts | MonthScenario | None,  # month mode: the month's cases
        court_lookup: bytes,
        please_log_in: str,
        big_docket_entries: int,
        config: Callable[[], dict],
        month: MonthScenario | None = None,
    ) -> None:
        self.clock, self.login, self.faults, self.catalog = clock, login, faults, catalog
        self.synthetic = synthetic
        self.court_lookup = court_lookup
        self.please_log_in = please_log_in
        self.big_docket_entries = big_docket_entries
        self.config = config
        self.month = month
        self._docket_reports: dict[int, int] = {}  # month mode: docket reports per night
        self._synthetic_by_court: dict[str, list[SyntheticCase]] = {}
        for case in synthetic.cases if synthetic else ():
            self._synthetic_by_court.setdefault(case.court.court_id, []).append(case)
        self.documents = DocumentRoutes(self)

    # ------------------------------------------------------------------ entry point
    async def handle(self, request: Request) -> Response:
        """Route one request, applying the faults planned for it."""
        path = request.path
        if path.startswith("/acms/") and self.acms is not None:
            return self.acms.handle(self, request, path[len("/acms/"):])
        if path.startswith("/ecf/"):
            court_id, _, rest = path[5:].partition("/")
            return await self._court(request, court_id, rest)
        if path == "/services/cso-auth":
            return await self._with_faults(request, "login", "cso-auth", None, self._cso_auth)
        if path == "/services/cso-logout":
            return await self._with_faults(request, "login", "cso-logout", None, self._cso_logout)
        if path == "/file-case/court-cmecf-lookup/data.json":
            return await self._with_faults(request, "lookup", "court-lookup", None, self._lookup)
        if path.startswith("/sandbox/"):
            return self._admin(request, path[len("/sandbox/"):])
        return self._plain(request, 404, "Not Found", endpoint="unknown")

    async def _with_faults(
        self, request: Request, scope: str, endpoint: str, court: CourtOrNone, produce: Producer[CourtOrNone]
    ) -> Response:
        """Answer with ``produce(request, fields, record, court)``, unless a fault says otherwise."""
        plan = self.faults.plan(scope, endpoint)
        if self.month is not None and plan.terminal is None and scope not in ("login", "lookup"):
            plan.terminal = self._month_fault(self.month, scope, endpoint)
        if plan.delay:
            await asyncio.sleep(plan.delay)
        fields, media = form_fields(request)
        record = self._record(request, endpoint, court, fields, media, plan)
        rule = plan.terminal
        if rule is None or rule.kind == "truncate":
            response = produce(request, fields, record, court)
            if rule is not None and rule.style == "connection":
                response.action, response.action_fraction = "truncate", rule.fraction
            elif rule is not None:
                response.body = response.body[: int(len(response.body) * rule.fraction)]
        else:
            response = self._terminal(rule, court)
        response.log = record
        return response

    def _month_fault(self, month: MonthScenario, court_id: str, endpoint: str) -> FaultRule | None:
        """Month mode: tonight's failing feed or court outage; expire tokens when the month says so."""
        now_ts = self.clock.timestamp()
        rule = month.fault(court_id, endpoint, now_ts)
        if rule is None and endpoint in DOCKET_ENDPOINTS:
            night = month.night_of(now_ts)
            count = self._docket_reports[night] = self._docket_reports.get(night, 0) + 1
            expiry = month.events["token_expiry"]
            if night == expiry["night"] and count == expiry["after_docket_reports"] + 1:
                self.login.expire_tokens()
        return rule

    def _visible(self, case):
        """The case as the court shows it now, or None before it is filed (month mode)."""
        if case is None or not isinstance(case, MonthCase):
            return case
        now_ts = self.clock.timestamp()
        return case.at(now_ts) if case.filed_ts <= now_ts else None

    def _terminal(self, rule, court: Court | None) -> Response:
        """The response of a fault that replaces the real answer."""
        if rule.kind == "error":
            headers = [("Retry-After", str(rule.retry_after))] if rule.retry_after is not None else []
            return Response(rule.status, encode_page(pages.server_error_page(rule.status)), headers=headers)
        if rule.kind == "block":
            return Response(403, encode_page(pages.blocked_page(court.court_id if court else "pacer")))
        if rule.kind == "reset":
            return Response(action="reset")
        if rule.kind == "hang":
            return Response(action="hang", action_seconds=rule.seconds)
        if rule.kind == "garbage":
            return Response(200, random.Random(rule.fired).randbytes(4096))
        return Response(200, encode_page(self._login_page(court)))  # login_page

    def _record(self, request, endpoint, court, fields, media, plan) -> dict:
        token = self._token(request)
        account = self.login.owner_of(token) if token else None
        return {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "sandbox_time": self.clock.now().isoformat(timespec="seconds"),
            "account": account,
            "court": court.court_id if court else None,
            "endpoint": endpoint,
            "method": request.method,
            "path": request.path,
            "params": mask_params(fields) if fields else {},
            "content_type": media or None,
            "billable_pages": 0,
            "cost": 0.0,
            "entries": None,
            "case": None,
            "faults": plan.names,
        }

    def _plain(self, request: Request, status: int, text: str, endpoint: str) -> Response:
        record = self._record(request, endpoint, None, {}, "", FaultPlan())
        return Response(status, text.encode(), "text/plain", log=record)

    @staticmethod
    def _token(request: Request) -> str | None:
        cookies = request.cookies()
        return next((cookies[name] for name in TOKEN_COOKIES if cookies.get(name)), None)

    # ------------------------------------------------------------------ login server
    def _json_body(self, request: Request) -> dict:
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _cso_auth(self, request: Request, fields: dict, record: dict, court: None) -> Response:
        body = self._json_body(request)
        reply, login_id = self.login.login(body)
        record["account"] = login_id
        record["params"] = mask_params({k: str(v) for k, v in body.items()})
        record["login_result"] = reply["loginResult"]
        return Response(200, json.dumps(reply).encode(), JSON)

    def _cso_logout(self, request: Request, fields: dict, record: dict, court: None) -> Response:
        body = self._json_body(request)
        token = str(body.get("nextGenCSO") or self._token(request) or "")
        reply, login_id = self.login.logout(token)
        record["account"] = login_id or record["account"]
        record["params"] = mask_params({k: str(v) for k, v in body.items()})
        record["login_result"] = reply["loginResult"]
        return Response(200, json.dumps(reply).encode(), JSON)

    def _lookup(self, request: Request, fields: dict, record: dict, court: None) -> Response:
        return Response(200, self.court_lookup, JSON)

    # ------------------------------------------------------------------ courts
    async def _court(self, request: Request, court_id: str, rest: str) -> Response:
        court = self.catalog.courts.get(court_id)
        if court is None:
            return self._plain(request, 404, f"No such court: {court_id}", endpoint="unknown")
        document_endpoint = self.documents.endpoint(request, rest) if court.kind != "appellate" else None
        if document_endpoint:
            produce = self.documents.written_opinions if document_endpoint == "WrtOpRpt" else self.documents.doc1
            return await self._with_faults(request, court_id, document_endpoint, court, produce)
        if rest.startswith("cgi-bin/") and court.kind != "appellate":
            script = rest[len("cgi-bin/"):]
            routes = {
                "DktRpt.pl": ("DktRpt", self._docket),
                "iquery.pl": ("iquery", self._iquery),
                "possible_case_numbers.pl": ("possible_case_numbers", self._possible_case_numbers),
                "rss_outside.pl": ("rss_outside", self._rss),
            }
            if script in routes:
                endpoint, produce = routes[script]
                return await self._with_faults(request, court_id, endpoint, court, produce)
        if court.kind == "appellate" and rest == court.servlet_path:
            servlet = dict(parse_qsl(request.query)).get("servlet", "")
            if not servlet and request.body:
                servlet = form_fields(request)[0].get("servlet", "")
            if servlet == "RSSGenerator":
                return await self._with_faults(request, court_id, "RSSGenerator", court, self._rss)
            if servlet in ("CaseSummary.jsp", "DocketReportFilter.jsp"):
                return await self._with_faults(request, court_id, "CaseSummary", court, self._appellate_docket)
        return self._plain(request, 404, "Not Found", endpoint="unknown")

    def _login_page(self, court: Court | None) -> str:
        if court is not None and court.kind == "appellate":
            return pages.appellate_login(court.court_id)
        return pages.please_log_in(self.please_log_in, court.court_id if court else "cand")

    def _session(self, request: Request) -> tuple[str | None, str]:
        """(login id of a valid token or None, client code)."""
        login_id = self.login.account_for(self._token(request))
        return login_id, request.cookies().get("PacerClientCode", "")

    def _html(self, html: str, status: int = 200) -> Response:
        return Response(status, encode_page(html))

    def _docket(self, request: Request, fields: dict, record: dict, court: Court) -> Response:
        login_id, client_code = self._session(request)
        if login_id is None:
            return self._html(self._login_page(court))
        title = f"CM/ECF - {court.name}-Docket Report"
        if request.method != "POST":
            return self._html(pages.message_page(title, "<h3>Docket Sheet</h3><p>Use the form to run a docket report.</p>", court.kind))
        case = self._case_from_form(court, fields)
        if case is None:
            return self._html(pages.case_not_found(title, court.kind))
        record["case"] = case.pacer_case_id
        try:
            query = parse_query(fields)
        except QueryError as exc:
            return self._html(error_page(exc, title, court.kind))
        now_ts = self.clock.timestamp()
        timeline = case.timeline(now_ts) if isinstance(case, SyntheticCase) else None
        total = len(timeline) if timeline is not None else case.entry_count(now_ts)
        if total == 0:
            return self._html(pages.no_documents(title, court.kind))
        if query.date_from is None and total > self.big_docket_entries:
            return self._html(pages.big_docket(title, court.kind, self.clock.now().date()))
        report = case.report(query) if timeline is None else markup.synthetic_report(case, query, timeline)
        billed = finish(
            report, now=self.clock.now(), login=login_id, client_code=client_code,
            criteria=query.criteria(case.docket_number, court.kind),
        )
        record.update(billable_pages=billed.billable_pages, cost=billed.cost, entries=billed.entries)
        return Response(200, billed.body)

    def _case_from_form(self, court: Court, fields: dict):
        case_id = str(fields.get("all_case_ids") or fields.get("_query") or "").strip()
        if case_id and case_id.isdigit():
            found = self._visible(self.catalog.get(court.court_id, case_id))
            if found is not None:
                return found
        number = str(fields.get("case_num") or "").strip()
        if number:
            matches = self._search(court.court_id, number)
            if len(matches) == 1:
                return matches[0]
        return None

    def _search(self, court_id: str, number: str) -> list:
        return [c for c in map(self._visible, self.catalog.search(court_id, number)) if c is not None]

    def _iquery(self, request: Request, fields: dict, record: dict, court: Court) -> Response:
        login_id, _ = self._session(request)
        if login_id is None:
            return self._html(self._login_page(court))
        case = self._case_from_form(court, fields)
        if case is None:
            return self._html(pages.case_not_found(f"CM/ECF - {court.name}-Query", court.kind))
        record["case"] = case.pacer_case_id
        return self._html(markup.case_summary(case, self.clock.timestamp()))

    def _possible_case_numbers(self, request: Request, fields: dict, record: dict, court: Court) -> Response:
        number = fields.get("_query") or fields.get("case_num") or ""
        login_id, _ = self._session(request)
        xml = markup.possible_case_numbers(number, self._search(court.court_id, number), login_id is not None)
        return Response(200, xml.encode("latin-1", errors="xmlcharrefreplace"), "text/xml")

    def _appellate_docket(self, request: Request, fields: dict, record: dict, court: Court) -> Response:
        login_id, client_code = self._session(request)
        if login_id is None:
            return self._html(self._login_page(court))
        case_num = str(fields.get("caseNum") or "").strip()
        case = self._visible(self.catalog.by_case_number(court.court_id, case_num))
        if case is None:
            return self._html(pages.appellate_not_found(court.court_id, case_num))
        record["case"] = case.case_number
        try:
            query = parse_appellate_query(fields)
        except QueryError as exc:
            return self._html(error_page(exc, f"{case_num} Docket", "appellate"))
        if isinstance(case, RealCase):
            report = case.report(query)
            report.description = "Docket Report (filtered)" if query.cuts_entries else "Docket Report (full)"
        else:
            report = markup.synthetic_report(case, query, case.timeline(self.clock.timestamp()))
        billed = finish(report, now=self.clock.now(), login=login_id, client_code=client_code, criteria=case.case_number)
        record.update(billable_pages=billed.billable_pages, cost=billed.cost, entries=billed.entries)
        return Response(200, billed.body)

    def _rss(self, request: Request, fields: dict, record: dict, court: Court) -> Response:
        now_ts = self.clock.timestamp()
        cases = self._synthetic_by_court.get(court.court_id)
        if self.month is not None and court.court_id in self.month.feeds:
            feed = self.month.feeds[court.court_id]
            if feed["kind"] == "none":
                return Response(404, encode_page(pages.message_page("Not Found", "<h3>Not Found</h3>", court.kind)))
            items: Sequence[tuple[SyntheticCase, Entry]] = self.month.feed_items(court.court_id, now_ts)
            record["entries"] = len(items)
            return Response(200, markup.rss_feed(court, items, now_ts, feed["types"]), "application/rss+xml")
        if cases:
            items = [(c, e) for c in cases for e in c.timeline(now_ts) if e.ts > now_ts - DAY]
            body = markup.rss_feed(court, items, now_ts)
            record["entries"] = len(items)
        else:
            body = real_feed(court.court_id) or markup.empty_feed(court, now_ts)
        return Response(200, body, "application/rss+xml")

    # ------------------------------------------------------------------ admin
    def _admin(self, request: Request, name: str) -> Response:
        record = self._record(request, "sandbox-admin", None, {}, "", FaultPlan())
        try:
            payload = self._admin_payload(request, name)
        except (ClockError, FaultError, ValueError, TypeError) as exc:
            return Response(400, json.dumps({"error": str(exc)}).encode(), JSON, log=record)
        if payload is None:
            return Response(404, json.dumps({"error": f"no admin endpoint {name!r}"}).encode(), JSON, log=record)
        return Response(200, json.dumps(payload).encode(), JSON, log=record)

    def _admin_payload(self, request: Request, name: str) -> dict | list | None:
        if name == "clock" and request.method == "GET":
            return self.clock.to_json()
        if name == "advance" and request.method == "POST":
            body = self._json_body(request)
            self.clock.advance(hours=body.get("hours"), to=body.get("to"))
            return self.clock.to_json()
        if name == "faults":
            if request.method == "POST":
                apply_admin_faults(self.faults, self.login, self._json_body(request))
            return {"faults": self.faults.snapshot()}
        if name == "config" and request.method == "GET":
            return self.config()
        if name == "cases" and request.method == "GET":
            court = dict(parse_qsl(request.query)).get("court")
            return [case_info(c) for c in map(self._visible, self.catalog.cases(court)) if c is not None]
        if name == "month" and request.method == "GET" and self.month is not None:
            return self.month.describe()
        if name == "truth" and request.method == "GET" and self.month is not None:
            params = dict(parse_qsl(request.query))
            keys = params["cases"].split(",") if params.get("cases") else None
            return dump_truth(self.month, params.get("at") or self.clock.timestamp(), keys)
        return None


def apply_admin_faults(faults: FaultInjector, login: LoginService, body: dict) -> None:
    """Apply a ``POST /sandbox/faults`` body (see the Sandbox docs for its keys)."""
    if body.get("clear"):
        faults.clear(None if body["clear"] is True else str(body["clear"]))
    if "court" in body:
        rules = body.get("faults", [])
        if not isinstance(rules, list):
            raise FaultError("'faults' must be a list")
        faults.set(str(body["court"]), rules)
    if body.get("expire_tokens"):
        login.expire_tokens(None if body["expire_tokens"] is True else str(body["expire_tokens"]))
    if body.get("lock_account"):
        login.lock_account(str(body["lock_account"]))
    if body.get("unlock_account"):
        login.unlock_account(str(body["unlock_account"]))


def case_info(case) -> dict:
    """A case as listed by ``GET /sandbox/cases``."""
    return {
        "court": case.court.court_id,
        "kind": case.court.kind,
        "pacer_case_id": case.pacer_case_id,
        "case_number": case.case_number,
        "docket_number": case.docket_number,
        "case_name": case.case_name,
        "date_filed": case.date_filed.isoformat() if case.date_filed else None,
        "date_terminated": case.date_terminated.isoformat() if case.date_terminated else None,
        "synthetic": isinstance(case, SyntheticCase),
    }

