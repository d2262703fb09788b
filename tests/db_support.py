"""Helpers shared by the database, export and reparse tests: fixtures and comparisons."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOCKETS = FIXTURES / "dockets"
SHARED = Path(__file__).resolve().parents[2] / "shared"

# (kind dir, stem, court id): the reference dockets the tests store.
DOCKET_FIXTURES = [
    ("district", "utd", "utd"),
    ("district", "ncwd_1", "ncwd"),
    ("district", "nysd_4606", "nysd"),
    ("district", "cand_3", "cand"),
    ("bankruptcy", "vawb_270571", "vawb"),
    ("bankruptcy", "nysb_4", "nysb"),
    ("bankruptcy", "casb", "casb"),
    ("bankruptcy", "deb_3", "deb"),
    ("appellate", "ca1_2", "ca1"),
    ("appellate", "ca9_1", "ca9"),
]


def reference(kind: str, stem: str) -> dict:
    """A fresh copy of the reference parse of a fixture docket."""
    return json.loads((DOCKETS / kind / f"{stem}.json").read_text(encoding="utf-8"))


def page(kind: str, stem: str) -> bytes:
    """The fixture page the reference parse was made from."""
    return (DOCKETS / kind / f"{stem}.html").read_bytes()


def comparable(record: dict) -> Any:
    """A record with the differences that carry no information folded away.

    Null and absent are the same (the export lists every field of a kind); a
    party with no attorneys may omit the list; export-only keys are dropped.
    """
    record = copy.deepcopy(record)
    for key in ("source", "pacer_case_id", "kind", "court_id"):
        record.pop(key, None)
    for party in record.get("parties") or []:
        if party.get("attorneys") == []:
            del party["attorneys"]
    return _drop_none(record)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def table_dump(db, table: str, order: str = "rowid") -> list[tuple]:
    """Every row of ``table`` (for before/after comparisons)."""
    return db.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
