"""Case names and title case, normalised the way the reference parses do it.

Public API (stable; other parsers import it):

- :func:`harmonize` "USA v. X et al" -> "United States v. X": unify "vs."/"v",
  drop party-role words (plaintiff, appellee, ...), "et al" and a leading
  "No."/"Nos.", spell the United States and "The State" one way.
- :func:`case_name` harmonize, then :func:`~harvester.parsers.text.clean_string`.
- :func:`titlecase` New York Times style title case with the reference's
  exceptions (small words, acronyms, initials, Mc/Mac names, O'Names).
"""

from __future__ import annotations

import re

from .text import clean_string

__all__ = ["harmonize", "case_name", "titlecase"]

# --- title case ------------------------------------------------------------

_ACRONYMS = (
    "3D|AFL|AKA|A/K/A|BMG|CBS|CDC|CDT|CEO|CIO|CNMI|D/B/A|DOJ|DVA|EFF|FCC|FTC|"
    "HSBC|IBM|II|III|IV|JJ|LLC|LLP|MCI|MJL|MSPB|ND|NLRB|PTO|SD|UPS|RSS|SEC|UMG|"
    "US|USA|USC|USPS|WTO"
)
_SMALL = r"a|an|and|as|at|but|by|en|for|if|in|is|of|on|or|the|to|v\.?|via|vs\.?"
_PUNCT = r"""!"#$¢%&'‘()*+,\-./:;?@[\\\]_—`{|}~"""
_ACCENTED = r"¼½¾§ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜßàáâãäåæçèéêëìíîïñòóôœõöøùúûüÿ"

_ACRONYM_WORD = re.compile(rf"^({_ACRONYMS})[{_PUNCT}]?$", re.I)
_SMALL_WORD = re.compile(rf"^({_SMALL})$", re.I)
_SMALL_WORD_SPACED = re.compile(rf"(^|\s)({_SMALL})(\s|$)", re.I)
_LETTER_DOT_LETTER = re.compile(r"[a-z][.][a-z]", re.I)
_LETTER_SLASH_LETTER = re.compile(r"[a-z][/][a-z]", re.I)
_LETTER_AMP_LETTER = re.compile(r"([a-z][&][a-z])(.*)", re.I)
_INNER_CAPITAL = re.compile(rf"[{_PUNCT}]*?[a-zA-Z]+[A-Z]+?")
_FIRST_LETTER = re.compile(rf"^[{_PUNCT}]*?([A-Za-z])")
_SMALL_AT_START = re.compile(rf"^([{_PUNCT}]*)({_SMALL})\b", re.I)
_SMALL_AT_END = re.compile(rf"\b({_SMALL})[{_PUNCT}]?$", re.I)
_SMALL_AFTER_COLON = re.compile(rf"([:;?!][ ])({_SMALL})")
_APOSTROPHE_NAME = re.compile(r"^[dol]{1}['‘]{1}[a-z]+$", re.I)
_SHOUTED_LINE = re.compile(rf"^[A-Z\s{_PUNCT}{_ACCENTED}0123456789]+$")
_INITIALS = re.compile(r"^(?:[A-Z]{1}\.{1}|[A-Z]{1}\.{1}[A-Z]{1})+,?$")
_MAC_NAME = re.compile(r"^([Mm]a?c)(\w+.*)")
_CAPITAL_V = re.compile(r"\WV\.\W")


def _upper_single_letters(word: str, sep: str) -> str:
    """ "u.s." -> "U.S.": upper-case the one-letter parts between separators."""
    return sep.join(p.upper() if len(p) == 1 else p for p in word.split(sep))


def _title_word(word: str, shouted_line: bool) -> str:
    """Title-case one word; ``shouted_line`` when its whole line is upper case."""
    if shouted_line:
        if _INITIALS.match(word):
            return word
        word = word.lower()
    if _APOSTROPHE_NAME.match(word):
        return word[:3].upper() + word[3:]
    if _LETTER_DOT_LETTER.search(word):
        return _upper_single_letters(word, ".")
    if _LETTER_SLASH_LETTER.search(word):
        return _upper_single_letters(word, "/")
    amp = _LETTER_AMP_LETTER.match(word)
    if amp:
        return amp.group(1).upper() + amp.group(2)
    if _INNER_CAPITAL.match(word):
        return word
    if _SMALL_WORD.match(word):
        return word.lower()
    if _ACRONYM_WORD.match(word):
        return word.upper()
    mac = _MAC_NAME.match(word)
    if mac and word not in ("mack", "machine"):
        return mac.group(1).capitalize() + mac.group(2).capitalize()
    return "-".join(_FIRST_LETTER.sub(lambda m: m.group(0).upper(), part) for part in word.split("-"))


def titlecase(text: str) -> str:
    """Title-case ``text`` (NYT style: small words stay lower case inside)."""
    if _SMALL_WORD_SPACED.sub("", text).isupper():
        text = text.lower()
    lines = []
    for line in re.split(r"[\r\n]+", text):
        shouted = bool(_SHOUTED_LINE.match(line))
        result = " ".join(_title_word(w, shouted) for w in re.split(r"[\t ]", line))
        result = _SMALL_AT_START.sub(lambda m: m.group(1) + m.group(2).capitalize(), result)
        result = _SMALL_AT_END.sub(lambda m: m.group(0).capitalize(), result)
        result = _SMALL_AFTER_COLON.sub(lambda m: m.group(1) + m.group(2).capitalize(), result)
        lines.append(result)
    return _CAPITAL_V.sub(" v. ", "\n".join(lines))


# --- case names --------------------------------------------------------------

_US = r"USA|U\.S\.A\.|U\.S\.?|U\. S\.?|(The )?United States of America|The United States"
_UNITED_STATES = re.compile(rf"^({_US})(,|\.)?$", re.I)
_ET_AL = re.compile(r",?\set\.?\sal\.?", re.I)
_ROLE_WORDS = (
    r"appell(ee|ant)s?|claimants?|complainants?|defendants?|defendants?(--?|/)appell(ee|ant)s?"
    r"|devisee|executor|executrix|pet(\.|itioner)s?|petitioners?(--?|/)appell(ee|ant)s?"
    r"|petitioners?(--?|/)defendants?|plaintiffs?|plaintiffs?(--?|/)appell(ee|ant)s?"
    r"|respond(e|a)nts?|respond(e|a)nts?(--?|/)appell(ee|ant)s?|cross(--?|/)respondents?"
    r"|crosss?(--?|/)petitioners?|cross(--?|/)appell(ees|ant)s?|deceased"
)
_ROLE_WORD = re.compile(rf"^({_ROLE_WORDS})(,|\.)?$", re.I)
_VS = re.compile(r"\svs\.?\s", re.I)
_V = re.compile(r"\sv\.?\s")
_LEADING_NO = re.compile(r"^Nos?\.\s+")


def _harmonize_party(party: str) -> str:
    party = party.strip()
    if _UNITED_STATES.match(party):
        return "United States"
    if party.lower() == "the state":
        return "State"
    return "United States" if party == "US" else party


def harmonize(text: str) -> str:
    """Normalise a case name: "USA v. X et al" -> "United States v. X"."""
    text = _V.sub(" v. ", _VS.sub(" v. ", text))
    text = " ".join(_ROLE_WORD.sub("", word) for word in text.split())
    result = " v. ".join(_harmonize_party(p) for p in text.split(" v. "))
    result = _ET_AL.sub("", result)
    if result.startswith("No.") or result.startswith("Nos."):
        result = _LEADING_NO.sub("", result)
    return clean_string(result)


def case_name(text: str) -> str:
    """The normalised case name of a caption string."""
    return clean_string(harmonize(text))
