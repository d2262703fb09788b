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

__all__ = ["is_login_page", "is_logged_in_page"]

_LOGGED_IN = (
    re.compile(rb"/cgi-bin/login\.pl\?logout", re.I),
    re.compile(rb"InvalidUserLogin\.jsp", re.I),
    re.compile(rb"Cost:\s*<", re.I),
    re.compile(rb"Cost:\s*(?:</?[a-z][^>]*>\s*)*\d", re.I),
    re.compile(rb"Download\s+Confirmation", re.I),
)
_LOGIN = (
    re.compile(rb"<input[^>]+type\s*=\s*[\"']?password", re.I),
    re.compile(rb"<message[^>]+Not\s+logged\s+in", re.I),
    re.compile(rb"(?:document\.)?location(?:\.href)?\s*=\s*[\"']https://pacer\.login\.uscourts\.gov", re.I),
    re.compile(rb"http-equiv\s*=\s*[\"']?refresh[^>]+(?:pacer\.login\.uscourts\.gov|login\.pl)", re.I),
    re.compile(rb"CM/ECF\s+Filer\s+or\s+PACER\s+Login", re.I),
)


def is_logged_in_page(data: bytes) -> bool:
    """Whether the page shows the signs of a logged-in session."""
    if re.search(rb"<message[^>]+Not\s+logged\s+in", data, re.I):
        return False
    return any(p.search(data) for p in _LOGGED_IN)


def is_login_page(data: bytes) -> bool:
    """Whether ``data`` is a login prompt (or "not logged in" answer) instead of content."""
    if is_logged_in_page(data):
        return False
    return any(p.search(data) for p in _LOGIN)
