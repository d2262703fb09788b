"""Pure parsers: bytes of a CM/ECF or PACER page in, plain records out.

No Scrapy, no network: a researcher's notebook can call :func:`parse_page` on an
archived page. Field names follow the reference parses in the shared corpus.

The dispatcher (and with it every parser) is imported on first use, so a module that
needs only ``receipt`` or ``login`` does not load the rest.
"""

from __future__ import annotations

from typing import Any

__all__ = ["detect_kind", "parse_page"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import dispatch

        return getattr(dispatch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
