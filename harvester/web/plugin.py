"""The harvester's Datasette plugin: links to CM/ECF and inline charts.

Registered by :mod:`harvester.web.serve` (not through an entry point), so a plain
``datasette`` run is unaffected.

- A ``pacer_case_id`` cell whose row also has ``court_id`` links to the case's
  docket on the court's CM/ECF host (``DktRpt.pl?<pacer_case_id>``; courts of
  appeals: the TransportRoom ``CaseSummary.jsp`` of the docket number). PACER
  asks for a login there and charges its usual fees. Cases whose ``origin`` is the
  sandbox (the row's ``origin`` column, else the database's runs) link to the local
  sandbox (``harvester sandbox``, at its default address), never to a real court.
- A document's ``local_path`` (table ``documents``), and an entry's ``pacer_doc_id``
  once its PDF is stored, link to the PDF served from the documents folder
  (:mod:`harvester.web.documents`).
  Cases harvested from ACMS (2nd, 9th Circuits, Veterans Claims) get no link: ACMS
  has no CM/ECF page for them.
- A canned query with a ``chart:`` key (see ``harvester/web/datasette/metadata.yaml``)
  gets an inline SVG chart of its results (:mod:`harvester.web.charts`) above its
  form; nothing is loaded from the network to draw it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

from datasette import hookimpl
from datasette.utils import derive_named_parameters
from markupsafe import Markup, escape

from harvester.cmecf import CMECF_SERVLET_COURTS, court_base
from harvester.config import PACER_COURT_URL
from harvester.config import default as config_default
from harvester.parsers.court import is_appellate
from harvester.store.dictionary import column_descriptions
from harvester.web import documents
from harvester.web.charts import ChartSpec, render_svg
from harvester.web.docket_page import docket_context
from harvester.web.morning import coverage, last_night
from harvester.web.search import LIMIT as SEARCH_LIMIT
from harvester.web.search import search

logger = logging.getLogger(__name__)

# ``harvester sandbox`` serves its courts here by default (port 8443).
SANDBOX_COURT_URL = "https://127.0.0.1:8443/ecf/{court}/"
# Per served database: "sandbox" when every run in it was a sandbox run (databases never mix).
_DATABASE_ORIGIN: dict[str, str] = {}


def pacer_case_url(court_id: str, pacer_case_id: str | None, docket_number: str | None = None,
                   origin: str = "pacer") -> str | None:  # fmt: skip
    """The case's docket page on its court's CM/ECF (the sandbox's for sandbox cases), or None when it cannot be named."""
    court = (court_id or "").strip().lower()
    if not court:
        return None
    base = court_base(SANDBOX_COURT_URL if origin == "sandbox" else PACER_COURT_URL, court)
    if is_appellate(court):
        number = docket_number or pacer_case_id
        if not number:
            return None
        prefix = "cmecf" if court in CMECF_SERVLET_COURTS else "n/beam"
        query = urlencode({"servlet": "CaseSummary.jsp", "caseNum": number, "incOrigDkt": "Y", "incDktEntries": "Y"})
        return f"{base}{prefix}/servlet/TransportRoom?{query}"
    if not pacer_case_id or not str(pacer_case_id).isdigit():
        return None
    return f"{base}cgi-bin/DktRpt.pl?{quote(str(pacer_case_id))}"


def _cell(row: Any, column: str) -> Any:
    """A column of a result row (sqlite3.Row or dict); an expanded foreign key gives its value."""
    try:
        value = row[column] if column in row.keys() else None
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    return value.get("value") if isinstance(value, dict) else value


def _in_acms(row: Any) -> bool:
    """Whether the row is a case harvested from ACMS (its ``extra`` keeps ACMS's case GUID)."""
    extra = _cell(row, "extra")
    return isinstance(extra, str) and '"acms_case_id"' in extra


@hookimpl
def startup(datasette: Any) -> Any:
    async def learn_origins() -> None:
        for name, db in datasette.databases.items():
            if name == "_internal" or "runs" not in await db.table_names():
                continue  # not a harvest database (Datasette logs every failed query: ask first)
            result = await db.execute("SELECT count(*), sum(mode = 'sandbox') FROM runs")
            runs, sandbox_runs = result.rows[0]
            _DATABASE_ORIGIN[name] = "sandbox" if runs and runs == sandbox_runs else "pacer"

    return learn_origins


def _document_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """A stored document's path links to its PDF; an entry's pacer_doc_id too, once its PDF is stored."""
    if column == "local_path" and table == "documents":
        url = documents.document_url(database, value)
        return documents.link(url, value) if url else None

    async def entry_link() -> Any:
        url = await documents.local_document(datasette, database, row, str(value))
        return documents.link(url, value) if url else None

    return entry_link if table in ("docket_entries", "entries") else None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if value in (None, ""):
        return None
    if column in ("local_path", "pacer_doc_id"):
        return _document_cell(row, value, column, table, database, datasette)
    if column in ("docket_number", "case_name", "case_id"):
        return _docket_link(row, value, column, table, database, datasette)
    if column != "pacer_case_id":
        return None
    court = _cell(row, "court_id")
    if not isinstance(court, str):
        return None
    if _in_acms(row):
        return None  # an ACMS case has no CM/ECF page; its docket opens only inside an ACMS session
    origin = _cell(row, "origin") or _DATABASE_ORIGIN.get(database, "pacer")
    url = pacer_case_url(court, str(value), _cell(row, "docket_number"), origin=origin)
    if url is None:
        return None
    title = "Docket in the local sandbox (harvester sandbox)" if origin == "sandbox" else \
        "Docket on CM/ECF (PACER login and fees)"  # fmt: skip
    return Markup(
        f'<a class="pacer-link" href="{escape(url)}" title="{title}" '
        f'rel="noopener noreferrer" target="_blank">{escape(value)}</a>'
    )


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None, request: Any, datasette: Any) -> Any:
    if request is None or database is None:
        return None
    if template == "row.html" and table == "cases":
        return _docket_vars(datasette, database, request)
    if template == "table.html" and table:
        return {"harvester_glossary": column_descriptions().get(table, {})}
    if not template.startswith("query"):
        return None
    name = (request.url_vars or {}).get("table")
    if not name:
        return None

    async def chart_vars() -> dict[str, Any]:
        query = await datasette.get_canned_query(database, name, request.actor)
        if not query or not query.get("chart"):
            return {}
        try:
            svg = await _chart(datasette, database, query, request)
        except Exception as exc:  # a broken chart must not break the results page
            logger.warning("chart of canned query %s failed: %s", name, exc)
            return {}
        return {"harvester_chart": Markup(svg)}

    return chart_vars


def _docket_link(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Docket numbers, case names and case ids link to the case's docket page wherever a row names its case."""
    case_id = _cell(row, "id") if table == "cases" else _cell(row, "case_id")
    if column == "case_id" and table in ("docket_entries", "parties", "case_judges", "documents"):
        return None  # a foreign key: Datasette already links it, with the case's name as its label
    if not isinstance(case_id, int):
        return None
    return Markup(f'<a class="docket-link" href="{escape(docket_url(datasette, database, case_id))}">{escape(value)}</a>')


def _docket_vars(datasette: Any, database: str, request: Any) -> Any:
    async def docket_vars() -> dict[str, Any]:
        pks = (request.url_vars or {}).get("pks", "")
        if not str(pks).isdigit():
            return {}
        db = datasette.get_database(database)
        context = await docket_context(db, int(pks))
        if context is None:
            return {}
        case = context["case"]
        return {
            "harvester_docket": context,
            "harvester_pacer_url": pacer_case_url(case["court_id"], case["pacer_case_id"], case["docket_number"]),
        }

    return docket_vars


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/docket-search$", search_page), (r"^/-/last-night$", last_night_page),
            (r"^/-/coverage$", coverage_page), (documents.ROUTE, documents.serve_document)]


async def search_page(datasette: Any, request: Any) -> Any:
    """Search across cases, entries, parties and attorneys; every hit links to its docket page."""
    database = datasette.get_database().name
    results = await search(datasette.get_database(database), request.args.get("q", ""))
    return await _page(datasette, request, "harvester_search.html", database, results=results, limit=SEARCH_LIMIT)


async def last_night_page(datasette: Any, request: Any) -> Any:
    """What changed on one harvest night, by court; back-fill counted apart."""
    database = datasette.get_database().name
    data = await last_night(datasette.get_database(database), request.args.get("night") or None)
    return await _page(datasette, request, "harvester_last_night.html", database, data=data)


async def coverage_page(datasette: Any, request: Any) -> Any:
    """Per court: feed kind and scope, watched and stale cases, numbering gaps, last error.

    A case's wait is judged with ``?refresh_days=`` and ``?refresh_max_days=``, by default
    the configuration's defaults (the page does not read the harvest's config file).
    """
    database = datasette.get_database().name
    refresh_days = _positive_arg(request, "refresh_days", config_default("watch", "refresh_days"))
    refresh_max_days = _positive_arg(request, "refresh_max_days", config_default("watch", "refresh_max_days"))
    data = await coverage(datasette.get_database(database), refresh_days, refresh_max_days, request.args.get("now") or None)
    return await _page(datasette, request, "harvester_coverage.html", database, data=data)


def _positive_arg(request: Any, key: str, fallback: int) -> int:
    """A whole number of at least 1 from the query string, else ``fallback``."""
    try:
        return max(1, int(request.args.get(key) or fallback))
    except ValueError:
        return fallback


async def _page(datasette: Any, request: Any, template: str, database: str, **context: Any) -> Any:
    """One of the harvester's own pages; ``case_url`` links a case id to its docket page."""
    from datasette.utils.asgi import Response

    html = await datasette.render_template(
        template, {**context, "case_url": lambda case_id: docket_url(datasette, database, case_id)}, request=request,
    )  # fmt: skip
    return Response.html(html)


def docket_url(datasette: Any, database: str, case_id: Any) -> str:
    """The docket page of a case: its row page in the cases table."""
    return datasette.urls.row(database, "cases", str(case_id))


async def _chart(datasette: Any, database: str, query: dict[str, Any], request: Any) -> str:
    db = datasette.get_database(database)
    names = await derive_named_parameters(db, query["sql"])
    params = {p: request.args.get(p, "") for p in names}
    results = await db.execute(query["sql"], params)
    rows = [dict(zip(results.columns, row, strict=False)) for row in results.rows]
    return render_svg(rows, ChartSpec.from_dict(query["chart"]))
