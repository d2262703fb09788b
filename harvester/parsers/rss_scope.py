"""What a CM/ECF feed says it carries: all docket entries, or only some entry types.

Each court picks the entry types its ``rss_outside.pl`` publishes, and says so in
the channel description: ``Docket entries of type: all``, ``Docket entries of
type: order,order-cr,motion``, or a sentence (``Docket entries with a document
flagged as containing an opinion.``). Only ``all`` means a case missing from the
feed had no news; anything else, or no description, is a partial feed.

The channel's ``lastBuildDate`` says when the court last generated the feed: a feed
with no item is a quiet court only when it was built recently; one frozen in a cache
shows an old build date.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from ..errors import ParseError
from .rss import parse_pub_date

__all__ = ["FeedScope", "feed_scope"]

_TYPES = re.compile(r"entries\s+of\s+type\s*:\s*(?P<types>.*)", re.I | re.S)


class FeedScope(NamedTuple):
    """What a feed carries (``all`` or ``partial`` with its entry types) and when it was built."""

    kind: str
    types: list[str]
    built_at: str | None = None  # ISO 8601 with offset, from the channel's lastBuildDate


def feed_scope(data: bytes) -> FeedScope:
    """``FeedScope("all", [], built)`` or ``FeedScope("partial", [entry types or the description], built)``."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a readable RSS feed: {exc}") from None
    if root is None or root.find("channel") is None:
        raise ParseError("not an RSS feed: no <rss><channel>")
    description = " ".join((root.findtext("channel/description") or "").split())
    built = parse_pub_date(root.findtext("channel/lastBuildDate"))
    match = _TYPES.search(description)
    if match is None:
        return FeedScope("partial", [description] if description else [], built)
    types = [t.strip().lower() for t in match.group("types").split(",") if t.strip()]
    if types == ["all"]:
        return FeedScope("all", [], built)
    return FeedScope("partial", types, built)
