"""Which docket entries change a case's party list, so that the next report asks for it again.

A report of only what is new leaves out the party block (it costs pages): without
this, parties added after the first report would never be seen, and the ``changes``
view would never list a new or terminated party. CM/ECF's events that add or end
parties carry stable names in their docket text and in the feed's short
description: an amended, third-party, counter- or cross-complaint names new
parties; an intervention, a joinder or a substitution adds them; a party dismissed,
or the clerk's "terminated", ends them. Appearances and withdrawals of counsel
change only the attorney lists, and are far more common (a new creditor's counsel
in a bankruptcy case): ``[watch] parties_refresh = "counsel"`` follows them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PARTY_REFRESH_MODES", "changes_parties"]

PARTY_REFRESH_MODES = ("parties", "counsel", "never")

_PARTY_WORD = r"(?:part(?:y|ies)|defendants?|plaintiffs?|intervenors?|respondents?|petitioners?|appellants?|appellees?|creditors?)"
_PARTY_EVENTS = [
    # A pleading that names parties: CM/ECF's docket text starts with its event, so a
    # memorandum about a motion to dismiss an amended complaint is not one.
    re.compile(r"^\W*(?:(?:first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))\s+)?amended\s+(?:complaint|petition)\b"
               r"|^\W*(?:third[- ]party|intervenor'?s?)\s+complaint\b", re.IGNORECASE),
    re.compile(r"\b(?:counter[- ]?claims?|cross[- ]?claims?|third[- ]party\s+complaint|complaint\s+in\s+intervention)"
               r"\s+against\b", re.IGNORECASE),
    # An order or stipulation that lets a party in or out.
    re.compile(r"^\W*(?:(?:so\s+)?ordered\b|order\b|stipulation\b|stipulated\b)[^\n]*?"
               r"(?:\binterven\w*|\bsubstitut\w*\s+(?:of\s+)?" + _PARTY_WORD + r"|\bjoinder\b"
               r"|\bdismiss\w*\s+(?:all\s+claims\s+)?(?:as\s+to|against)\b|\bdismiss\w*\s+" + _PARTY_WORD + r"\b)",
               re.IGNORECASE),
    # The clerk's note that a party (or its counsel) is terminated; not "Motions terminated".
    re.compile(r"\b" + _PARTY_WORD + r"\b[^.;]{0,120}?(?<!otions )(?<!otion )\bterminated\b", re.IGNORECASE),
]
_COUNSEL_EVENTS = [
    re.compile(r"\b(?:notice\s+of\s+appearance|appearance\s+of\s+counsel|withdraw\w*\s+(?:as\s+)?(?:counsel|attorney)"
               r"|substitution\s+of\s+(?:counsel|attorney))", re.IGNORECASE),
]


def changes_parties(texts: Iterable[str | None], mode: str) -> bool:
    """Whether any of these docket texts (or feed descriptions) may have changed the party list.

    ``mode`` is ``[watch] parties_refresh``: ``parties``, ``counsel`` or ``never``.
    """
    if mode == "never":
        return False
    patterns = _PARTY_EVENTS + _COUNSEL_EVENTS if mode == "counsel" else _PARTY_EVENTS
    return any(text and any(p.search(text) for p in patterns) for text in texts)
