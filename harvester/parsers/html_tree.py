"""Build an lxml tree from a CM/ECF page and read text out of it the reference's way.

CM/ECF markup is old and loose (unclosed ``<TR>``, ``</br>``, stray scripts).
:func:`build_tree` makes one lxml parse that behaves, for everything the docket
parsers look at, like the sanitised HTML5 tree the reference parses were made
from: scripts and styles gone, ``</br>`` read as ``<br>``.

:func:`text_nodes` and :func:`br_lines` reproduce how the reference joins text:
separate DOM text nodes are joined with a space, ``<br>`` and ``<p>`` start new
lines. Whether a space appears between "Assigned to:" and a linked name decides
whether the header field is found at all, so this matters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree

__all__ = [
    "build_tree",
    "clean_html_bytes",
    "text_of",
    "text_nodes",
    "br_lines",
    "words",
    "first_word",
    "text_holders",
    "direct_rows",
]

# Plain etree elements (lxml.html's element-class lookup costs a Python call per
# node); no ID index (it only costs memory here).
_PARSER_OPTIONS = dict(
    encoding="utf-8",
    recover=True,
    remove_comments=False,
    remove_pis=True,
    no_network=True,
    collect_ids=False,
)
_PARSER = etree.HTMLParser(**_PARSER_OPTIONS)
_CHUNK = 1 << 16  # libxml2 pushes slower with bigger chunks (1 MB: ~2.5x)
_CLOSING_BR = re.compile(rb"</br\s*>", re.I)
_CLOSING_BR_START = re.compile(rb"</[bB][rR]")  # (one scan with a literal prefix: fast)
_CDATA = re.compile(rb"<!\[CDATA\[|\]\]>")
_XML_DECL = re.compile(rb"^\s*<\?xml\s+.*?\?>")
# Characters XML forbids (as UTF-8 bytes) and character references to them.
_CONTROL_BYTES = bytes(i for i in range(32) if i not in (9, 10, 13))
_BAD_CHAR_REFS = re.compile(rb"&#0?[1-8](?![0-9])")
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")

# Tags that the reference's sanitiser keeps; any other tag is unwrapped there, so
# its start and end do not split text nodes.
_KEPT_TAGS = frozenset(
    "a abbr acronym area article aside b bdi bdo blockquote br caption center cite code col "
    "colgroup data dd del details dfn div dl dt em figcaption figure font footer form h1 h2 "
    "h3 h4 h5 h6 header hgroup hr i img input ins kbd li map mark nav ol p pre q rp rt rtc "
    "ruby s samp small span strike strong sub summary sup table tbody td th thead time tr "
    "tt u ul var wbr".split()
)
_LINE_BREAK = "\x00"  # cannot occur in page text: build_tree removes control characters


def clean_html_bytes(utf8: bytes, closing_br: bool | None = None) -> bytes:
    """Remove what XML forbids and what trips the HTML parser, working on UTF-8 bytes.

    (UTF-8 never uses bytes below 0x20 inside a multi-byte character, so the
    control characters can be deleted bytewise.) Returns ``utf8`` itself when
    nothing needs changing, so a large page is not copied. ``closing_br``: whether
    the page holds ``</br`` in any case, when the caller knows it already.
    """
    data = utf8.translate(None, _CONTROL_BYTES)
    if len(data) == len(utf8):
        data = utf8
    # (the regex's own scan: pages hold thousands of harmless "&#160;" each, too many
    # for literal_search's per-candidate step)
    if _BAD_CHAR_REFS.search(data):
        data = _BAD_CHAR_REFS.sub(b"", data)
    if not data.isascii():  # (a quick test that spares most pages two scans)
        for bad in _NONCHARACTERS:
            if bad in data:
                data = data.replace(bad, b"")
    if b"<![CDATA[" in data:
        data = _CDATA.sub(b"", data)
    if _XML_DECL.match(data):  # (anchored: no copy of the page to find out)
        data = _XML_DECL.sub(b"", data, count=1)
    if closing_br is None:
        closing_br = _CLOSING_BR_START.search(data) is not None
    if closing_br:
        data = _CLOSING_BR.sub(b"<br>", data)
    return data


def build_tree(
    utf8: bytes, on_row: Callable[[etree._Element], None] | None = None, closing_br: bool | None = None
) -> etree._Element:
    """Parse a page's UTF-8 bytes into an lxml tree without scripts and styles.

    With ``on_row`` the page is parsed incrementally and ``on_row`` is called
    with each ``<tr>`` as soon as it is complete (it may empty the row, to keep
    the tree of a huge page small). ``closing_br``: see :func:`clean_html_bytes`.
    """
    data = clean_html_bytes(utf8, closing_br)
    if not data or data.isspace():
        raise ValueError("empty document")
    if on_row is None:
        root = etree.fromstring(data, _PARSER)
    else:
        parser = etree.HTMLPullParser(events=("end",), tag="tr", **_PARSER_OPTIONS)
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            parser.feed(bytes(view[start : start + _CHUNK]))
            _handle_rows(parser, on_row)
        root = parser.close()
        _handle_rows(parser, on_row)
    if root is None:
        raise ValueError("empty document")
    etree.strip_elements(root, "script", "style", etree.ProcessingInstruction, with_tail=False)
    return root


def _handle_rows(parser: etree.HTMLPullParser, on_row: Callable[[etree._Element], None]) -> None:
    for _event, row in parser.read_events():
        on_row(row)


_tostring = etree.tostring


def text_of(el: etree._Element) -> str:
    """All text inside ``el`` (no comments), like lxml.html's ``text_content()``."""
    if len(el) == 0:  # a leaf (most cells): its text, without tostring's set-up
        return el.text or ""
    return _tostring(el, method="text", encoding=str, with_tail=False)


def _walk(el: etree._Element, runs: list[str], cur: list[str]) -> None:
    """Append the text of ``el``'s content to ``cur``/``runs`` (see text_nodes)."""
    text = el.text  # (each read of .text or .tail builds a new string: read once)
    if text:
        cur.append(text)
    for child in el:
        tag = child.tag
        if tag.__class__ is not str:  # comment: splits text nodes, holds none
            if cur:
                runs.append("".join(cur))
                cur.clear()
        elif tag == "br":
            cur.append(_LINE_BREAK)
        elif tag == "p":
            cur.append(_LINE_BREAK)
            _walk(child, runs, cur)
        elif tag in _KEPT_TAGS:
            if cur:
                runs.append("".join(cur))
                cur.clear()
            _walk(child, runs, cur)
            if cur:
                runs.append("".join(cur))
                cur.clear()
        else:
            _walk(child, runs, cur)
        tail = child.tail
        if tail:
            cur.append(tail)


def text_nodes(el: etree._Element) -> list[str]:
    """The text nodes of ``el`` as the reference sees them; ``<br>``/``<p>`` appear as NUL."""
    runs: list[str] = []
    cur: list[str] = []
    _walk(el, runs, cur)
    if cur:
        runs.append("".join(cur))
    return runs


def br_lines(el: etree._Element) -> list[str]:
    """Lines of ``el``: text nodes joined by spaces, split at ``<br>``/``<p>``, stripped.

    Pieces that were empty before stripping are dropped, pieces of white space
    are kept as "" (the reference does the same, and the first line is used).
    """
    joined = " ".join(text_nodes(el))
    return [s.strip() for s in joined.split(_LINE_BREAK) if s]


def words(el: etree._Element) -> list[str]:
    """All words of ``el``, with ``<br>`` and tag boundaries separating words."""
    if len(el) == 0:  # (a leaf, like most number cells: its one text node)
        return (el.text or "").replace(_LINE_BREAK, " ").split()
    return " ".join(text_nodes(el)).replace(_LINE_BREAK, " ").split()


def first_word(el: etree._Element) -> str | None:
    """The first of :func:`words` (None when there is none).

    Shortcut for the usual number cell, blank text then a link holding the number:
    the link's text is a text node of its own (``<p>`` excepted, which joins its
    tail), so its first word is the cell's.
    """
    text = el.text
    if len(el) and (not text or text.isspace()):
        first = el[0]
        tag = first.tag
        if tag in _KEPT_TAGS and tag != "p" and len(first) == 0:
            inner = first.text
            if inner and not inner.isspace():
                return inner.replace(_LINE_BREAK, " ").split(None, 1)[0]
    found = words(el)
    return found[0] if found else None


def text_holders(
    root: etree._Element, needles: tuple[str, ...], limit: int | None = None
) -> Iterator[etree._Element]:
    """Elements whose own text nodes contain one of ``needles``, in page order.

    A tail's text belongs to the parent element (yielded when its element is
    reached). Stops after ``limit`` hits: callers pass the number of times a
    needle occurs in the raw page, so the walk ends at the last possible hit
    (a needle spelled with character references is not counted: too rare to
    pay for a full walk of every page).
    """
    found = 0
    for el in root.iter():
        text = el.text
        if text:
            for needle in needles:
                if needle in text and isinstance(el.tag, str):
                    yield el
                    found += 1
                    break
        tail = el.tail
        if tail:
            for needle in needles:
                if needle in tail:
                    parent = el.getparent()
                    if parent is not None:
                        yield parent
                        found += 1
                    break
        if limit is not None and found >= limit:
            return


def direct_rows(table: etree._Element) -> Iterator[etree._Element]:
    """The ``tr`` rows of ``table`` itself (directly or under tbody), not of nested tables."""
    for child in table:
        tag = child.tag
        if tag == "tr":
            yield child
        elif tag == "tbody":
            for row in child:
                if row.tag == "tr":
                    yield row
