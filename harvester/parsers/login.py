"""Is this page really "please log in"?

CM/ECF can answer a request with its login form even while the session token is
still valid; the harvester must notice, retry once, then log in again. A
logged-in page carries a logout link (``/cgi-bin/login.pl?logout`` at district
and bankruptcy courts, ``InvalidUserLogin.jsp`` at appellate courts) or a
Transaction Receipt with its ``Cost:``; a login page carries a password field,
a redirect to the PACER login service, or says "Not logged in".
"""

from __future__ import annotations

import re

from .text import literal_search

__all__ = ["is_login_page", "is_logged_in_page"]

# Each sign: a lower-case literal that every match holds, whether the match starts
# with it, and the (case-insensitive) pattern. The patterns run on the lower-cased
# page (the same matches: on bytes, case folding is ASCII only), and only where the
# literal occurs: bytes.find skips through a big page much faster than the regex.
_Sign = tuple[bytes, bool, re.Pattern[bytes]]
_NOT_LOGGED_IN: _Sign = (b"<message", True, re.compile(rb"<message[^>]+Not\s+logged\s+in", re.I))
_LOGGED_IN: tuple[_Sign, ...] = (
    (b"/cgi-bin/login.pl?logout", True, re.compile(rb"/cgi-bin/login\.pl\?logout", re.I)),
    (b"invaliduserlogin.jsp", True, re.compile(rb"InvalidUserLogin\.jsp", re.I)),
    (b"cost:", True, re.compile(rb"Cost:\s*<", re.I)),
    (b"cost:", True, re.compile(rb"Cost:\s*(?:</?[a-z][^>]*>\s*)*\d", re.I)),
    (b"download", True, re.compile(rb"Download\s+Confirmation", re.I)),
)
_LOGIN: tuple[_Sign, ...] = (
    (b"<input", True, re.compile(rb"<input[^>]+type\s*=\s*[\"']?password", re.I)),
    _NOT_LOGGED_IN,
    (
        b"pacer.login.uscourts.gov",
        False,
        re.compile(rb"(?:document\.)?location(?:\.href)?\s*=\s*[\"']https://pacer\.login\.uscourts\.gov", re.I),
    ),
    (
        b"http-equiv",
        True,
        re.compile(rb"http-equiv\s*=\s*[\"']?refresh[^>]+(?:pacer\.login\.uscourts\.gov|login\.pl)", re.I),
    ),
    (b"cm/ecf", True, re.compile(rb"CM/ECF\s+Filer\s+or\s+PACER\s+Login", re.I)),
)


def _shows(lowered: bytes, sign: _Sign) -> bool:
    literal, starts_with_it, pattern = sign
    if starts_with_it:
        return literal_search(pattern, literal, lowered) is not None
    return literal in lowered and pattern.search(lowered) is not None


def is_logged_in_page(data: bytes, lowered: bytes | None = None) -> bool:
    """Whether the page shows the signs of a logged-in session (``lowered``: the
    page lower-cased, when the caller has it)."""
    lowered = data.lower() if lowered is None else lowered
    if _shows(lowered, _NOT_LOGGED_IN):
        return False
    return any(_shows(lowered, sign) for sign in _LOGGED_IN)


def is_login_page(data: bytes, lowered: bytes | None = None) -> bool:
    """Whether ``data`` is a login prompt (or "not logged in" answer) instead of content."""
    lowered = data.lower() if lowered is None else lowered
    if is_logged_in_page(data, lowered):
        return False
    return any(_shows(lowered, sign) for sign in _LOGIN)
