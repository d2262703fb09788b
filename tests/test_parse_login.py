"""Recognising a "please log in" page among logged-in pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import FIXTURES, reference

from harvester.errors import ParseError
from harvester.parsers import parse_page
from harvester.parsers.login import is_logged_in_page, is_login_page

LOGIN_PAGE = FIXTURES / "authentication_samples" / "please_log_in.html"


def test_reference_says_not_logged_in() -> None:
    assert reference(LOGIN_PAGE) is False
    data = LOGIN_PAGE.read_bytes()
    assert is_login_page(data)
    assert not is_logged_in_page(data)


def _logged_in_pages() -> list[Path]:
    pages = sorted((FIXTURES / "dockets").glob("*/*.html"))
    pages += sorted((FIXTURES / "case_queries").glob("*.html"))
    pages += sorted((FIXTURES / "claims_registers").glob("*.html"))
    return [p for p in pages if p.parent.name != "not_dockets"]


@pytest.mark.parametrize("page", _logged_in_pages(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_real_pages_are_not_login_pages(page: Path) -> None:
    assert not is_login_page(page.read_bytes())


@pytest.mark.parametrize(
    "data",
    [
        b"<request number='1'><message text='Not logged in.  Please refresh this page.'/></request>",
        b'<html><script>document.location = "https://pacer.login.uscourts.gov/csologin/login.jsf";</script></html>',
        b'<html><head><meta http-equiv="REFRESH" content="0;url=https://pacer.login.uscourts.gov/"></head></html>',
        b'<form><input name="login"><input type="password" name="key"></form>',
    ],
)
def test_login_prompts(data: bytes) -> None:
    assert is_login_page(data)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><a href='/cgi-bin/login.pl?logout'>Log Out</a> CM/ECF Filer or PACER Login</html>",
        b"<a href='TransportRoom?servlet=InvalidUserLogin.jsp&logout=y'>Logout</a>",
        b"<th>Cost:</th><td>0.10</td>",
        b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>',
        b"",
    ],
)
def test_logged_in_or_unrelated(data: bytes) -> None:
    assert not is_login_page(data)


def test_dispatch_reports_login_pages() -> None:
    with pytest.raises(ParseError) as info:
        parse_page(LOGIN_PAGE.read_bytes())
    assert info.value.kind == "login_page"
