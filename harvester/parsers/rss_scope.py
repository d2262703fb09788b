"""What a CM/ECF feed says it carries: all docket entries, or only some entry types.

Each court picks the entry types its ``rss_outside.pl`` publishes, and says so in
the channel description: ``Docket entries of type: all``, ``Docket entries of
type: order,order-cr,motion``, or a sentence (``Docket entries with a document
flagged as containing an opinion.``). Only ``all`` means a case missing from the
feed had no news; anything else, or no description, is a partial feed.
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import ParseError

__all__ = ["feed_scope"]

_TYPES = re.compile(r"entries\s+of\s+type\s*:\s*(?P<types>.*)", re.I | re.S)


def feed_scope(data: bytes) -> tuple[str, list[str]]:
    """``("all", [])`` or ``("partial", [entry types or the description])`` for a feed's bytes."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a readable RSS feed: {exc}") from None
    if root is None or root.find("channel") is None:
        raise ParseError("not an RSS feed: no <rss><channel>")
    description = " ".join((root.findtext("channel/description") or "").split())
    match = _TYPES.search(description)
    if match is None:
        return "partial", [description] if description else []
    types = [t.strip().lower() for t in match.group("types").split(",") if t.strip()]
    if types == ["all"]:
        return "all", []
    return "partial", types
