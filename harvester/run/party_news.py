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

_PARTY_EVENTS = re.compile(
    r"\b(?:amended\s+(?:complaint|petition)|third[- ]party\s+(?:complaint|defendant)|counter[- ]?claims?\b"
    r"|cross[- ]?claims?\b|interven(?:e|or|ors|tion)\b|joinder\b"
    r"|substitut(?:e|ion)\s+(?:of\s+)?(?:party|parties|plaintiffs?|defendants?|debtors?)"
    r"|dismiss\w*\s+(?:as\s+to|(?:all\s+claims\s+)?against|(?:of\s+)?(?:defendants?|plaintiffs?|party|parties))"
    r"|terminated\b)",
    re.IGNORECASE,
)
_COUNSEL_EVENTS = re.compile(
    r"\b(?:notice\s+of\s+appearance|appearance\s+of\s+counsel|withdraw\w*\s+(?:as\s+)?(?:counsel|attorney)"
    r"|substitution\s+of\s+(?:counsel|attorney))",
    re.IGNORECASE,
)


def changes_parties(texts: Iterable[str | None], mode: str) -> bool:
    """Whether any of these docket texts (or feed descriptions) may have changed the party list.

    ``mode`` is ``[watch] parties_refresh``: ``parties``, ``counsel`` or ``never``.
    """
    if mode == "never":
        return False
    patterns = (_PARTY_EVENTS, _COUNSEL_EVENTS) if mode == "counsel" else (_PARTY_EVENTS,)
    return any(text and any(p.search(text) for p in patterns) for text in texts)
