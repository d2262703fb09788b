"""PACER's court lookup (``court-cmecf-lookup/data.json``): one record per court.

The feed names courts by PACER code (``CANDC``, ``NYSBK``, ``09CA``); everything
else in CM/ECF uses the court id in the login host (``ecf.cand.uscourts.gov``
-> ``cand``), so each record gets that id as ``court_id`` and keeps the PACER
code as ``pacer_code``. Records may lack any field; the Supreme Court has no
CM/ECF login at all (``court_id`` None).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from ..errors import ParseError
from .text import decode_html

__all__ = ["parse", "court_record", "cmecf_court_id"]

_VERSION = re.compile(r"(?i)\b(?:release|version)\s+([\d.]+)")
_TYPES = {"district": "district", "bankruptcy": "bankruptcy", "appeals": "appellate", "national": "national"}


def cmecf_court_id(login_url: str | None) -> str | None:
    """``https://ecf.cand.uscourts.gov`` -> ``cand``: the label after ``ecf.``."""
    if not login_url:
        return None
    host = (urlsplit(login_url.strip()).hostname or "").lower()
    labels = host.split(".")
    if len(labels) >= 4 and labels[0] == "ecf" and host.endswith(".uscourts.gov"):
        return labels[1]
    return None


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def court_record(raw: dict) -> dict:
    """Normalise one court of the lookup feed."""
    version = _text(raw.get("software_version"))
    number = _VERSION.search(version or "")
    court_type = _text(raw.get("type"))
    return {
        "court_id": cmecf_court_id(raw.get("login_url")),
        "pacer_code": _text(raw.get("court_id")),
        "title": _text(raw.get("title")),
        "name": _text(raw.get("court_name")),
        "type": _TYPES.get((court_type or "").lower(), (court_type or "").lower() or None),
        "circuit": _text(raw.get("circuit")),
        "software_version": version,
        "nextgen": bool(version and "nextgen" in version.lower()),
        "version": number.group(1) if number else None,
        "login_url": _text(raw.get("login_url")),
        "rss_url": _text(raw.get("rss_url")),
        "web_url": _text(raw.get("web_url")),
        "go_live_date": _text(raw.get("go_live_date")),
    }


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse the lookup feed into ``{"meta": {...}, "courts": [...]}``.

    ``court_id`` is accepted for the common parser signature and ignored: the
    feed covers every court.
    """
    try:
        feed = json.loads(decode_html(data))
    except ValueError as exc:
        raise ParseError(f"court lookup: not JSON ({exc})") from None
    if not isinstance(feed, dict) or not isinstance(feed.get("data"), list):
        raise ParseError("court lookup: no \"data\" list of courts")
    meta = feed.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    courts = [court_record(raw) for raw in feed["data"] if isinstance(raw, dict)]
    return {
        "meta": {
            "url": _text(meta.get("url")),
            "last_updated": _text(meta.get("last_updated")),
            "credit": _text(meta.get("credit")),
        },
        "courts": courts,
    }
