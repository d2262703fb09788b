"""The harvester's Datasette plugin: links to CM/ECF and inline charts.

Registered by :mod:`harvester.web.serve` (not through an entry point), so a plain
``datasette`` run is unaffected.

- A ``pacer_case_id`` cell whose row also has ``court_id`` links to the case's
  docket on the court's CM/ECF host (``DktRpt.pl?<pacer_case_id>``; courts of
  appeals: the TransportRoom ``CaseSummary.jsp`` of the docket number). PACER
  asks for a login there and charges its usual fees.
- A document's ``local_path`` (table ``documents``), and an entry's ``pacer_doc_id``
  once its PDF is stored, link to the PDF served from the documents folder
  (:mod:`harvester.web.documents`).
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
from harvester.parsers.court import is_appellate
from harvester.web import documents
from harvester.web.charts import ChartSpec, render_svg

logger = logging.getLogger(__name__)


def pacer_case_url(court_id: str, pacer_case_id: str | None, docket_number: str | None = None) -> str | None:
    """The case's docket page on its court's CM/ECF (real PACER host), or None when it cannot be named."""
    court = (court_id or "").strip().lower()
    if not court:
        return None
    base = court_base(PACER_COURT_URL, court)
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


@hookimpl
def register_routes() -> Any:
    return [(documents.ROUTE, documents.serve_document)]


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
    if column in ("local_path", "pacer_doc_id") and value not in (None, ""):
        return _document_cell(row, value, column, table, database, datasette)
    if column != "pacer_case_id" or value in (None, ""):
        return None
    court = _cell(row, "court_id")
    if not isinstance(court, str):
        return None
    url = pacer_case_url(court, str(value), _cell(row, "docket_number"))
    if url is None:
        return None
    return Markup(
        f'<a class="pacer-link" href="{escape(url)}" title="Docket on CM/ECF (PACER login and fees)" '
        f'rel="noopener noreferrer" target="_blank">{escape(value)}</a>'
    )


@hookimpl
def extra_template_vars(template: str, database: str | None, request: Any, datasette: Any) -> Any:
    if not template.startswith("query") or request is None or database is None:
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


async def _chart(datasette: Any, database: str, query: dict[str, Any], request: Any) -> str:
    db = datasette.get_database(database)
    names = await derive_named_parameters(db, query["sql"])
    params = {p: request.args.get(p, "") for p in names}
    results = await db.execute(query["sql"], params)
    rows = [dict(zip(results.columns, row)) for row in results.rows]
    return render_svg(rows, ChartSpec.from_dict(query["chart"]))
