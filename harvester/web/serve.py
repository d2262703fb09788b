"""``harvester serve``: Datasette on the harvest database, for researchers.

The database is served *mutable* (read-only connections, no ``immutable=1``):
SQLite in WAL mode lets Datasette read while the nightly harvest writes, and
Datasette sees new rows as they are committed. Datasette's reads are short
(every query is bounded by ``sql_time_limit_ms`` and its cursor is finished
when the page is built), so it never holds a long read transaction that would
keep the harvester's WAL from being checkpointed.

What researchers get: the metadata of ``harvester/web/datasette/metadata.yaml``
(descriptions of every table and column with their units, sort orders,
facets, labels, canned queries and charts), full-text search
(datasette-search-all at ``/-/search``), links to CM/ECF and inline SVG charts
(:mod:`harvester.web.plugin`). Every asset is served from this machine:
nothing is fetched from a CDN.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import Any

import yaml

from harvester.gate.destinations import is_loopback_host
from harvester.store.connection import SchemaError, open_db

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "datasette"
METADATA_PATH = ASSETS / "metadata.yaml"
DEFAULT_PORT = 8001
# Canned queries summarise whole tables: allow them more than Datasette's 1 s default,
# but keep every read short so the harvester's WAL can always be checkpointed.
SETTINGS = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 500, "suggest_facets": False}


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives the database: the file name without its extension."""
    return Path(db_path).stem


def load_metadata(db_name: str) -> dict[str, Any]:
    """The Datasette metadata, with the database entry keyed by ``db_name``."""
    metadata = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    harvest = metadata["databases"]["harvest"]
    # Column descriptions go in a glossary one click away (templates/table.html), not above the rows.
    for table in harvest.get("tables", {}).values():
        table.pop("columns", None)
    metadata["databases"] = {db_name: harvest}
    return metadata


def check_database(db_path: str | Path) -> None:
    """Refuse a missing or foreign file; make sure a harvest database is in WAL mode and current."""
    db = open_db(db_path, create=False)  # WAL mode, schema migrations (no-ops on a current file)
    try:
        if "cases" not in db.table_names():
            raise SchemaError(f"{db_path} is not a harvest database (no cases table)")
    finally:
        db.close()


def build_datasette(db_path: str | Path, settings: dict[str, Any] | None = None) -> Any:
    """A Datasette instance serving ``db_path`` with the harvester's metadata, plugin and templates."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from harvester.web import plugin as datasette_plugin

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="harvester")
    path = str(Path(db_path))
    return Datasette(
        files=[path],  # mutable: read-only connections that see the harvester's commits
        metadata=load_metadata(database_name(path)),
        template_dir=str(ASSETS / "templates"),
        static_mounts=[("harvester-static", str(ASSETS / "static"))],
        settings={**SETTINGS, **(settings or {})},
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (``port`` 0: any free port), so the real URL can be printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SchemaError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, announce: Any = print) -> None:
    """Serve ``db_path`` until interrupted; ``announce`` receives one line with the URL."""
    import uvicorn

    check_database(db_path)
    ds = build_datasette(db_path)
    sock = bind(host, port)
    if not is_loopback_host(host):
        logger.warning("Serving on %s: anyone who can reach this address can read the harvest and run SQL", host)
    config = uvicorn.Config(ds.app(), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    async def main() -> None:
        await ds.invoke_startup()
        announce(f"Serving {db_path} at {url_of(sock)} (Ctrl-C stops)")
        await server.serve(sockets=[sock])

    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # Ctrl-C: uvicorn has shut down cleanly and re-raised it
        announce("Stopped.")
    finally:
        sock.close()
