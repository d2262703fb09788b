"""Text helpers shared by every parser: decoding, white space, dates, cleanup.

Public API (stable; other parsers import it):

- :func:`decode_html` bytes of a CM/ECF page -> str (UTF-8, else Windows-1252).
- :func:`decode_html_utf8` the same, plus the page as UTF-8 bytes.
- :func:`to_utf8` only the UTF-8 bytes (no copy for ASCII/UTF-8 pages).
- :func:`clean_value` squash and drop spaces before commas (how the reference
  normalises every scalar of a docket record and of docket entries).
- :func:`clean_string` the reference's cleanup of short header values: HTML
  leftovers, smart quotes, ``*``/``#``, and ragged punctuation at the ends.
- :func:`parse_date` the first date in a string as ISO ``YYYY-MM-DD``, or None.
- :func:`strip_control_chars` drop characters (and references) XML forbids.
- :func:`literal_search` / :func:`literal_matches` ``pattern.search`` /
  ``finditer`` over a big page, for a pattern whose matches all start with a
  given literal: ``bytes.find`` gets to each candidate several times faster than
  the regex engine's own scan.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import functools
import re
from collections.abc import Iterator

__all__ = [
    "decode_html",
    "decode_html_utf8",
    "to_utf8",
    "clean_value",
    "clean_string",
    "parse_date",
    "strip_control_chars",
    "literal_search",
    "literal_matches",
]


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    """Decode the five bytes Windows-1252 leaves undefined as Latin-1."""
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return bad.decode("latin-1"), err.end


codecs.register_error("harvester_latin1", _latin1_fallback)

# XML 1.0 forbids these; CM/ECF pages sometimes carry them (and "&#1;"-style refs).
# (Strings, compiled by re when first used: the docket parser never uses them.)
_CONTROL_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
_BAD_CHAR_REFS = r"&#0?[1-8](?![0-9])"


def decode_html(data: bytes) -> str:
    """Decode a page: UTF-8 when it is valid UTF-8, else Windows-1252.

    CM/ECF serves ISO-8859-1/Windows-1252 and some archives re-save as UTF-8;
    valid UTF-8 is almost never accidental, so it is tried first.
    """
    return decode_html_utf8(data)[0]


def decode_html_utf8(data: bytes) -> tuple[str, bytes]:
    """Like :func:`decode_html`, also returning the page as UTF-8 bytes (for lxml)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="harvester_latin1")
        return text, text.encode("utf-8")


def to_utf8(data: bytes) -> bytes:
    """The page as UTF-8 bytes (decoded as :func:`decode_html` does), without a str copy
    when it is ASCII or UTF-8 already."""
    if data.isascii():
        return data
    return decode_html_utf8(data)[1]


def literal_matches(pattern: re.Pattern[bytes], prefix: bytes, data: bytes) -> Iterator[re.Match[bytes]]:
    """``pattern.finditer(data)`` for a pattern (no look-behind, no ``^``) whose every
    match starts with ``prefix``; the regex only runs where ``prefix`` occurs."""
    at = data.find(prefix)
    while at >= 0:
        m = pattern.match(data, at)
        if m is None:
            at = data.find(prefix, at + 1)
        else:
            yield m
            at = data.find(prefix, max(m.end(), at + 1))


def literal_search(pattern: re.Pattern[bytes], prefix: bytes, data: bytes) -> re.Match[bytes] | None:
    """``pattern.search(data)`` for a pattern as in :func:`literal_matches`."""
    return next(literal_matches(pattern, prefix, data), None)


def strip_control_chars(text: str) -> str:
    """Remove characters (and character references) that are not valid in XML."""
    if "&#" in text:
        text = re.sub(_BAD_CHAR_REFS, "", text)
    return re.sub(_CONTROL_CHARS, "", text)


def clean_value(text: str) -> str:
    """Squash white space and remove white space before commas."""
    # Once squashed, the only white space left is single spaces (split and join
    # know the same white space as the regex engine): a plain replace does it.
    return " ".join(text.split()).replace(" ,", ",")


_HTML_LEFTOVERS = (
    ("&rsquo;", "'"),
    ("&rdquo;", '"'),
    ("&ldquo;", '"'),
    ("&nbsp;", " "),
    ("&amp;", "&"),
    ("%20", " "),
    ("&#160;", " "),
    ("\u2019", "'"),
    ("\u2018", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("*", ""),
    ("#", ""),
)
# What clean_string trims from the ends: these marks and every kind of white space.
# (Spelled out: working it out from str.isspace at every start cost a millisecond.)
_RAGGED = (
    "-\u2013_/;,"
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def clean_string(text: str) -> str:
    """Clean a short value the way the reference parses do.

    Replaces HTML leftovers and smart quotes, deletes ``*`` and ``#``, trims
    ``- – _ / ; ,`` and white space from both ends of each side of " v. ",
    and collapses white space.
    """
    for old, new in _HTML_LEFTOVERS:
        if old in text:
            text = text.replace(old, new)
    if " v. " in text:
        text = " v. ".join(part.strip(_RAGGED) for part in text.split(" v. "))
    else:
        text = text.strip(_RAGGED)
    return " ".join(text.split())


_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4}|\d{2})(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_WORD_DATE = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def _full_year(year: str) -> int:
    """Expand a two-digit year into the century that keeps it within 50 years of today."""
    value = int(year)
    if len(year) == 4:
        return value
    this_year = _dt.date.today().year
    value += this_year - this_year % 100
    if value >= this_year + 50:
        value -= 100
    elif value < this_year - 49:
        value += 100
    return value


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None) -> str | None:
    """Return the first recognisable date in ``text`` as ``YYYY-MM-DD``, or None.

    Understands m/d/yyyy and m/d/yy (also with ``-`` or ``.``), yyyy-mm-dd and
    "Month d, yyyy".
    """
    if not text:
        return None
    if len(text) <= 32:  # date cells and captured dates repeat a lot: remember them
        return _parse_short_date(text)
    return _parse_date(text)


@functools.lru_cache(maxsize=8192)
def _parse_short_date(text: str) -> str | None:
    return _parse_date(text)


def _numeric(m: re.Match[str]) -> str | None:
    return _iso(_full_year(m.group(3)), int(m.group(1)), int(m.group(2)))


def _year_first(m: re.Match[str]) -> str | None:
    return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _worded(m: re.Match[str]) -> str | None:
    month = _MONTHS.get(m.group(1).lower())
    return _iso(int(m.group(3)), month, int(m.group(2))) if month else None


_DATE_FORMS = ((_NUMERIC_DATE, _numeric), (_ISO_DATE, _year_first), (_WORD_DATE, _worded))


def _parse_date(text: str) -> str | None:
    """The earliest date in ``text`` in any of the known forms."""
    found: list[tuple[int, str]] = []
    for pattern, to_iso in _DATE_FORMS:
        m = pattern.search(text)
        if m is None:
            continue
        iso = to_iso(m)
        if iso:
            found.append((m.start(), iso))
    return min(found)[1] if found else None
