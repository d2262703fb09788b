"""Small value rules shared by every writer: text and JSON cells, court ids, case kinds."""

from __future__ import annotations

import json
from typing import Any

from harvester.parsers.court import is_appellate, is_bankruptcy

KINDS = ("district", "bankruptcy", "appellate")




def as_json(value: Any) -> str | None:
    """A JSON cell (None stays NULL)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def as_text(value: Any) -> str | None:
    """A text cell (None stays NULL)."""
    return None if value is None else str(value)


def court_key(court_id: str) -> str:
    """The CM/ECF court id as stored: stripped, lower-case, required."""
    court = (court_id or "").strip().lower()
    if not court:
        raise ValueError("court_id is required")
    return court


def case_kind(court_id: str) -> str:
    """district, bankruptcy or appellate, from the CM/ECF court id."""
    if is_appellate(court_id):
        return "appellate"
    return "bankruptcy" if is_bankruptcy(court_id) else "district"
