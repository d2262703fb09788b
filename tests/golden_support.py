"""Helpers for golden-file parser tests: compare a record with its reference parse.

The comparison is the shared fidelity tool's (``../shared/tools/fidelity.py`` beside the repo, when present):
every scalar field of the reference (nested objects by dotted name, court_id
skipped), white space folded and null treated as "", plus parties as (name,
type), attorneys as (party, attorney) and docket entries as (date_filed,
document_number, pacer_doc_id, description) multisets, and a top-level
``attachments`` list as (attachment_number, description, pacer_doc_id,
page_count) multisets. Fields the reference
lacks are not compared. The whole-corpus tests load the tool itself when the
shared directory exists.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "pacer"


def norm(value: object) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list) and all(not isinstance(x, (dict, list)) for x in value):
        return "|".join(sorted(norm(x) or "" for x in value))
    return None


def flatten(record: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (record or {}).items():
        if key == "court_id" or key in ("parties", "docket_entries", "attorneys", "attachments"):
            continue
        if isinstance(value, dict):
            out.update(flatten(value, prefix + key + "."))
        else:
            n = norm(value)
            if n is not None:
                out[prefix + key] = n
    return out


def _tuples(record: dict) -> tuple[Counter, Counter, Counter]:
    parties = [p for p in record.get("parties") or [] if isinstance(p, dict)]
    return (
        Counter((norm(p.get("name")), norm(p.get("type"))) for p in parties),
        Counter((norm(p.get("name")), norm(a.get("name"))) for p in parties for a in p.get("attorneys") or []),
        Counter(
            tuple(norm(e.get(k)) for k in ("date_filed", "document_number", "pacer_doc_id", "description"))
            for e in record.get("docket_entries") or []
        ),
    )


def _attachments(record: dict) -> Counter:
    """A top-level ``attachments`` list (attachment pages) as the fidelity tool compares it."""
    return Counter(
        tuple(norm(a.get(k)) for k in ("attachment_number", "description", "pacer_doc_id", "page_count"))
        for a in record.get("attachments") or []
        if isinstance(a, dict)
    )


def differences(record: dict, reference: dict) -> list[str]:
    """What differs between ``record`` and ``reference``, as readable lines."""
    problems = []
    ours = flatten(record)
    for key, want in flatten(reference).items():
        if ours.get(key, "") != want:
            problems.append(f"{key}: want {want!r}, got {ours.get(key)!r}")
    for name, want, got in zip(("parties", "attorneys", "entries"), _tuples(reference), _tuples(record), strict=True):
        if want != got:
            problems.append(f"{name}: missing {list((want - got).elements())[:3]}, extra {list((got - want).elements())[:3]}")
    want, got = _attachments(reference), _attachments(record)
    if want != got:
        problems.append(f"attachments: missing {list((want - got).elements())[:3]}, extra {list((got - want).elements())[:3]}")
    return problems


def reference(path: Path) -> dict | list:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def fidelity_tool() -> ModuleType | None:
    """The shared fidelity tool as a module, or None in a fresh clone."""
    tool = SHARED / "tools" / "fidelity.py"
    if not tool.exists():
        return None
    spec = importlib.util.spec_from_file_location("fidelity", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_score(directory: Path, outputs: dict[str, dict]) -> tuple[float, dict[str, tuple[int, int]]]:
    """Overall agreement and per-unit (matched, total) of ``outputs`` (by file stem)
    against every reference in ``directory``, scored by the shared tool."""
    tool = fidelity_tool()
    units: dict[str, tuple[int, int]] = {}
    for ref_path in sorted(directory.glob("*.json")):
        ref = json.loads(ref_path.read_text(encoding="utf-8"))
        if ref in ({}, None):
            continue
        out = outputs.get(ref_path.stem)
        result = tool.score(ref, out if out is not None else {})
        if out is None:
            result = {u: (0, t) for u, (_, t) in result.items()}
        for unit, (m, t) in result.items():
            a, b = units.get(unit, (0, 0))
            units[unit] = (a + m, b + t)
    matched = sum(m for m, _ in units.values())
    total = sum(t for _, t in units.values())
    return (matched / total if total else 1.0), units
