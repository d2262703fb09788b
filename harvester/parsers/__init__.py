"""Pure parsers: bytes of a CM/ECF or PACER page in, plain records out.

No Scrapy, no network: a researcher's notebook can call :func:`parse_page` on an
archived page. Field names follow the reference parses in the shared corpus.
"""

from .dispatch import detect_kind, parse_page

__all__ = ["detect_kind", "parse_page"]
