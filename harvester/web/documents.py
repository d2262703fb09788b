"""Stored PDFs in Datasette: ``/-/documents/<database>/<sha[:2]>/<sha>.pdf`` and links to them.

The documents folder of a database is ``documents/`` beside its file (the default
``data/pacer.db`` and ``data/documents/`` of the configuration), or the
``documents_folder`` of the ``harvester`` plugin's configuration. Only names of
the content-addressed form are served, so no other file can be reached.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

ROUTE = r"^/-/documents/(?P<database>[^/]+)/(?P<name>[0-9a-f]{2}/[0-9a-f]{64}\.pdf)$"
_LOCAL_PATH = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.pdf$")


def documents_folder(datasette: Any, database: str) -> Path | None:
    configured = (datasette.plugin_config("harvester") or {}).get("documents_folder")
    if configured:
        return Path(configured)
    db = datasette.databases.get(database)
    return Path(db.path).parent / "documents" if db is not None and db.path else None


def document_url(database: str, local_path: str | None) -> str | None:
    """Where Datasette serves a stored PDF, or None when ``local_path`` is not one."""
    if not local_path or not _LOCAL_PATH.match(local_path):
        return None
    return f"/-/documents/{quote(database)}/{local_path}"


def link(url: str, text: Any) -> Markup:
    return Markup(f'<a class="document-link" href="{escape(url)}" title="The stored PDF">{escape(text)}</a>')


async def serve_document(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Response

    database, name = request.url_vars["database"], request.url_vars["name"]
    folder = documents_folder(datasette, database)
    path = folder / name if folder is not None else None
    if path is None or not path.is_file():
        return Response.text("No such document", status=404)
    return Response(path.read_bytes(), content_type="application/pdf")


async def local_document(datasette: Any, database: str, row: Any, pacer_doc_id: str) -> str | None:
    """The stored PDF of an entry's document (by court, or by its case), or None."""
    court = _value(row, "court_id")
    db = datasette.get_database(database)
    if "documents" not in await db.table_names():
        return None
    if isinstance(court, str):
        sql, params = "SELECT local_path FROM documents WHERE court_id = ? AND pacer_doc_id = ? AND state = 'bought'", [court, pacer_doc_id]
    else:
        case_id = _value(row, "case_id")
        if case_id is None:
            return None
        sql = ("SELECT d.local_path FROM documents d JOIN cases c ON c.court_id = d.court_id WHERE c.id = ?"
               " AND d.pacer_doc_id = ? AND d.state = 'bought'")  # fmt: skip
        params = [case_id, pacer_doc_id]
    found = (await db.execute(sql, params)).first()
    return document_url(database, found[0]) if found else None


def _value(row: Any, column: str) -> Any:
    try:
        value = row[column] if column in row.keys() else None
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    return value.get("value") if isinstance(value, dict) else value
