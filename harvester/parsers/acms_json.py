"""What the two ACMS parsers share: reading the JSON, required keys, entry text, dates.

ACMS, the case system of the 2nd and 9th Circuits and the Court of Appeals for
Veterans Claims, answers with JSON rather than HTML pages. A docket is an object
with ``caseDetails`` and ``docketInfo``; the document list of one docket entry
has ``caseDetails``, ``docketEntry`` and ``docketEntryDocuments``.
:func:`acms_kind` tells them apart by those top-level keys alone, whatever the
file is called.

ACMS is young and changes; when a key the parsers rely on is missing or holds
the wrong type, :func:`required` raises :class:`ParseError` naming the key's
path, so a changed layout reads as such instead of a ``KeyError`` traceback.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, NoReturn

from ..errors import ParseError
from .html_tree import build_tree, text_of

__all__ = ["acms_kind", "load_object", "required", "optional", "html_text", "iso_date", "entered_at"]

# The patterns are strings, compiled by re (and kept in its cache) when first used:
# every page's detection imports this module, and a run over HTML never needs them.
# Top-level keys, as they appear in the raw bytes (any key order, any spacing).
_CASE_DETAILS = rb'"caseDetails"\s*:'
_DOCKET_INFO = rb'"docketInfo"\s*:'
_DOCUMENTS = rb'"docketEntryDocuments"\s*:'
_ISO_DAY = r"^(\d{4}-\d{2}-\d{2})(?:$|[T ])"
# "[Entered: 10/03/2023 05:45 PM]" (ca2) or "[Entered: 01/05/2022 11:40:00 AM]" (ca9).
_ENTERED = r"\[Entered:\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?\s*\]"

_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
               bool: "true/false", type(None): "null"}  # fmt: skip


def acms_kind(data: bytes) -> str | None:
    """``acms_docket`` or ``acms_attachments`` when ``data`` has their top-level keys, else None."""
    if not re.search(_CASE_DETAILS, data):
        return None
    if re.search(_DOCKET_INFO, data):
        return "acms_docket"
    if re.search(_DOCUMENTS, data):
        return "acms_attachments"
    return None


def load_object(data: bytes, what: str) -> dict:
    """``data`` as a JSON object, or ParseError saying why it is not one."""
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ParseError(f"{what}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise ParseError(f"{what}: JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise ParseError(f"{what}: expected a JSON object at the top, found {_type_name(value)}")
    return value


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _is(value: Any, kinds: tuple[type, ...]) -> bool:
    # JSON true/false are Python ints too; a count or number is never a boolean.
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def required(obj: dict, key: str, kinds: tuple[type, ...], where: str, what: str) -> Any:
    """``obj[key]``, checked to be one of ``kinds``; else ParseError naming ``where.key``
    (``where`` is the path of ``obj`` in the document, "" for the top level)."""
    if not isinstance(obj, dict):
        raise ParseError(
            f"{what}: {where or 'the top level'} is {_type_name(obj)}, not an object (has the ACMS layout changed?)"
        )
    path = f"{where}.{key}" if where else key
    if key not in obj:
        raise ParseError(f"{what}: key {path} is missing (has the ACMS layout changed?)")
    value = obj[key]
    if not _is(value, kinds):
        wanted = " or ".join(sorted({_TYPE_NAMES.get(k, k.__name__) for k in kinds}))
        raise ParseError(f"{what}: {path} is {_type_name(value)}, expected {wanted}")
    return value


def optional(obj: dict, key: str, kinds: tuple[type, ...], where: str, what: str) -> Any:
    """Like :func:`required`, but a missing key or null gives None."""
    if obj.get(key) is None:
        return None
    return required(obj, key, kinds, where, what)


def html_text(html: str) -> str:
    """The text of an HTML fragment (entry texts are HTML): tags dropped, spacing kept as is."""
    if not html.strip():
        return ""
    try:
        root = build_tree(html.encode("utf-8"))
    except ValueError:  # nothing but markup lxml drops
        return ""
    return text_of(root)


def iso_date(value: str | None, where: str, what: str) -> str | None:
    """``YYYY-MM-DD`` of an ACMS date or timestamp ("2023-10-03", "2025-10-30T00:00:00",
    "2023-10-02T15:21:02Z": the day as written, no time-zone shift); None for null."""
    if value is None or value == "":
        return None
    m = re.match(_ISO_DAY, value)
    try:
        return date.fromisoformat(m.group(1)).isoformat() if m else _bad_date(value, where, what)
    except ValueError:
        return _bad_date(value, where, what)


def _bad_date(value: str, where: str, what: str) -> NoReturn:
    raise ParseError(f"{what}: {where} is not an ISO date: {value[:40]!r}")


def entered_at(text: str) -> str | None:
    """The ``[Entered: mm/dd/yyyy hh:mm AM]`` stamp of an entry text as ``YYYY-MM-DDTHH:MM:SS``."""
    m = re.search(_ENTERED, text)
    if not m:
        return None
    month, day, year, hour, minute, second, half = m.groups()
    hour_24 = int(hour) % 12 + (12 if half and half.upper() == "PM" else 0) if half else int(hour)
    try:
        stamp = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if hour_24 > 23 or int(minute) > 59 or int(second or 0) > 59:
        return None
    return f"{stamp.isoformat()}T{hour_24:02d}:{int(minute):02d}:{int(second or 0):02d}"
