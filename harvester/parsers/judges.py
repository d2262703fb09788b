"""Judge strings from CM/ECF headers ("Hon. William Alsup") -> a clean name.

The rules follow the reference parses: titles ("Judge", "Magistrate", ...) and
junk words (court codes, "Hon.", "unassigned", bracketed parts, dotted
abbreviations longer than two characters) are dropped, the rest is
title-cased, single letters get a full stop, and a leading "J." before a full
first name goes.
"""

from __future__ import annotations

import functools

from .casename import titlecase

_TITLES = frozenset(
    "judge magistrate district chief senior bankruptcy mag. magistrate-judge "
    "mag/judge mag visiting special senior-judge master u.s.magistrate".split()
)
_JUNK = frozenset(
    "a998 agb am associated ca cases cet ch. cla clerk cp cvb db debt-magistrate "
    "discovery dj docket duty ec eck general grc gs hhl hon honorable inactive jne "
    "jv kec law lc llh lq maryland mediator merged mj mmh msh mwd no none prisoner "
    "pslc pro pso pt rmh se sf show successor u.s. tjc unassigned unassigned2 "
    "unassigneddj unknown us usdc vjdistrict".split()
)


def _is_junk(word: str) -> bool:
    return (
        "(" in word
        or ")" in word
        or word.startswith(("-", "~"))
        or word in _JUNK
        or (len(word) > 2 and "." in word and word not in ("jr.", "sr."))
    )


def _tidy_name(name: str) -> str:
    words = name.split()
    out = []
    for i, word in enumerate(words):
        if len(word) == 1 and word.isalpha():
            word += "."
        if word.lower() in ("jr", "sr"):
            word += "."
        if i == 0 and word.lower() in ("j.", "j") and i + 1 < len(words):
            following = words[i + 1]
            if not (len(following) == 2 and following.endswith(".")) and len(following) != 1:
                continue
        out.append(word)
    return " ".join(out)


@functools.lru_cache(maxsize=1024)
def judge_name(raw: str) -> str:
    """The judge's name in ``raw`` without titles and junk, title-cased."""
    words = raw.replace(",", "").lower().split()
    name_words = [w for w in words if not _is_junk(w) and w not in _TITLES]
    return _tidy_name(titlecase(" ".join(name_words)))
