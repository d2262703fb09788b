"""The meaning of every table and column, read from the one place Datasette reads it too.

``harvester/web/datasette/metadata.yaml`` describes each table and column for the
researchers' Datasette pages; exports generate their data dictionary from the same
text, so a column's meaning is written once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

METADATA_PATH = Path(__file__).resolve().parents[1] / "web" / "datasette" / "metadata.yaml"


@cache
def _tables() -> dict[str, Any]:
    metadata = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    return metadata["databases"]["harvest"]["tables"]


def table_descriptions() -> dict[str, str]:
    """Table name -> its description."""
    return {name: str(spec.get("description", "")) for name, spec in _tables().items()}


def column_descriptions() -> dict[str, dict[str, str]]:
    """Table name -> column name -> its description."""
    return {name: {c: str(d) for c, d in (spec.get("columns") or {}).items()} for name, spec in _tables().items()}
