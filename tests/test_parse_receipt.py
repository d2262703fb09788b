"""The Transaction Receipt: fields, login removal, and PACER's page rule."""

from __future__ import annotations

import pytest
from golden_support import FIXTURES

from harvester.parsers.receipt import (
    LOGIN_REMOVED,
    billable_pages,
    parse_receipt,
    strip_login,
)

APPELLATE = FIXTURES / "dockets" / "appellate"


def test_receipt_fields_never_include_the_login() -> None:
    data = (APPELLATE / "ca11_1.html").read_bytes()
    receipt = parse_receipt(data)
    assert receipt == {
        "billable_pages": 1,
        "cost": 0.10,
        "description": "Case Summary",
        "search_criteria": "18-90014",
        "client_code": None,
        "timestamp": "05/07/2018 19:25:33",
    }
    assert "mlissner" not in repr(receipt)


def test_claims_register_receipt() -> None:
    receipt = parse_receipt((FIXTURES / "claims_registers" / "deb.html").read_bytes())
    assert receipt["description"] == "Claims Register"
    assert receipt["billable_pages"] >= 1 and receipt["cost"] == pytest.approx(receipt["billable_pages"] * 0.10)


def test_strip_login_removes_every_copy_of_the_account_name() -> None:
    data = (APPELLATE / "ca9_293296.html").read_bytes()
    assert data.count(b"wpennington") == 2  # the login and a client code equal to it
    stripped = strip_login(data)
    assert b"wpennington" not in stripped
    assert LOGIN_REMOVED in stripped
    after = parse_receipt(stripped)
    assert after["billable_pages"] == parse_receipt(data)["billable_pages"]
    assert strip_login(stripped) == stripped


def test_strip_login_keeps_pages_without_receipts() -> None:
    data = b"<html><body>PACER Login: somebody</body></html>"
    assert strip_login(data) == data
    assert parse_receipt(data) is None


def test_strip_login_keeps_markup_around_the_value() -> None:
    data = (APPELLATE / "ca11_1.html").read_bytes()
    stripped = strip_login(data)
    assert b"mlissner" not in stripped
    assert len(stripped) < len(data)
    assert stripped.count(b"<TD") == data.count(b"<TD")


@pytest.mark.parametrize(
    ("n_bytes", "capped", "pages"),
    [
        (0, True, 1),
        (1, True, 1),
        (4320, True, 1),
        (4321, True, 2),
        (8640, True, 2),
        (4320 * 30, True, 30),
        (4320 * 30 + 1, True, 30),
        (4320 * 100, True, 30),
        (4320 * 100, False, 100),
        (4320 * 30 + 1, False, 31),
    ],
)
def test_billable_pages(n_bytes: int, capped: bool, pages: int) -> None:
    assert billable_pages(n_bytes, capped=capped) == pages
