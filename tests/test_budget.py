"""The fee budget: estimates, caps that hold, receipts booked, quarters in Central time."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.errors import ConfigError
from harvester.gate.budget import (
    Budget,
    BudgetCaps,
    BudgetRefusal,
    Quarter,
    cents,
    estimate_pages,
)
from harvester.gate.window import CENTRAL
from harvester.parsers.receipt import parse_receipt
from harvester.sandbox.reports import Report, finish

NIGHT = CENTRAL.localize(datetime(2026, 5, 12, 22, 0))


def central(text: str) -> datetime:
    return CENTRAL.localize(datetime.fromisoformat(text))


def test_cents_are_exact() -> None:
    assert cents(0.3) == 30
    assert cents(0.1 + 0.2) == 30
    assert cents("2.40") == 240
    assert cents(3) == 300


def test_estimates() -> None:
    assert estimate_pages() == 30  # unknown size: assume the docket-report cap
    assert estimate_pages(4320) == 1
    assert estimate_pages(4321) == 2
    assert estimate_pages(0) == 1  # a search with no match still costs a page
    assert estimate_pages(10**7) == 30
    assert estimate_pages(10**6, capped=False) == 232
    assert estimate_pages(entries=10) == estimate_pages(4320 + 10 * 1500)
    with pytest.raises(ValueError):
        estimate_pages(capped=False)


def test_estimate_is_within_one_page_of_the_sandbox_receipt() -> None:
    rng = random.Random(3)
    now = NIGHT
    for _ in range(300):
        size = rng.randint(200, 160_000)
        before = "<html><body>" + "x" * size
        billed = finish(Report(before, "</body></html>", entries=1), now=now, login="tester", client_code="", criteria="1:26-cv-1")
        estimate = estimate_pages(len(billed.body))  # the size known from the last fetch
        assert abs(estimate - billed.billable_pages) <= 1
        receipt = parse_receipt(billed.body)
        assert receipt is not None and receipt["billable_pages"] == billed.billable_pages


def test_receipt_is_booked_not_the_estimate() -> None:
    booked = []
    budget = Budget(BudgetCaps(run_dollars=3.0), on_charge=booked.append)
    held = budget.reserve("cand", 30, NIGHT)
    billed = finish(Report("<html><body>" + "y" * 9000, "</body></html>", 3), now=NIGHT, login="t", client_code="", criteria="c")
    charge = budget.settle(held, NIGHT, parse_receipt(billed.body))
    assert charge is not None and charge.source == "receipt"
    assert (charge.pages, charge.cents) == (billed.billable_pages, cents(billed.cost))
    assert booked == [charge]
    assert budget.run_cents() == cents(billed.cost)


def test_paid_page_without_receipt_is_booked_at_its_estimate_and_free_pages_cost_nothing() -> None:
    budget = Budget()
    charge = budget.settle(budget.reserve("cand", 4, NIGHT), NIGHT, None)
    assert charge is not None and (charge.cents, charge.source) == (40, "estimate")
    assert budget.settle(budget.reserve("cand", 0, NIGHT), NIGHT, None) is None
    budget.cancel(budget.reserve("cand", 7, NIGHT))
    assert budget.run_cents() == 40


def test_refusals_name_the_cap() -> None:
    budget = Budget(BudgetCaps(run_dollars=1.0, quarter_dollars=30.0, run_pages=None))
    budget.reserve("cand", 6, NIGHT)  # $0.60 held
    with pytest.raises(BudgetRefusal, match=r"run cap of \$1\.00"):
        budget.reserve("nysd", 5, NIGHT)
    budget.reserve("nysd", 4, NIGHT)  # exactly $1.00 fits
    assert budget.reserve("ilnd", 0, NIGHT).pages == 0  # free pages always pass
    paged = Budget(BudgetCaps(run_dollars=100, run_pages=10))
    with pytest.raises(BudgetRefusal, match="page cap"):
        paged.reserve("cand", 11, NIGHT)
    quarter = Budget(BudgetCaps(run_dollars=100, quarter_dollars=30), spent_before=lambda _now: 29.50)
    with pytest.raises(BudgetRefusal, match=r"2026Q2 cap of \$30\.00"):
        quarter.reserve("cand", 6, NIGHT)
    quarter.reserve("cand", 5, NIGHT)


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.one_of(st.none(), st.integers(0, 200_000)), min_size=1, max_size=80),
    in_flight=st.integers(1, 6),
    run_dollars=st.sampled_from([0.0, 0.5, 3.0, 7.5]),
    spent_before=st.sampled_from([0.0, 12.3, 27.0, 30.0]),
    seed=st.integers(0, 10**6),
)
def test_spend_never_exceeds_a_cap(sizes, in_flight, run_dollars, spent_before, seed) -> None:
    rng = random.Random(seed)
    caps = BudgetCaps(run_dollars=run_dollars, quarter_dollars=30.0)
    budget = Budget(caps, spent_before=lambda _now: spent_before)
    pending = []
    for size in sizes:
        pages = 0 if size is None else estimate_pages(size)  # None: a free page (RSS)
        held = sum(r.pages for r, _ in pending) * 10
        try:
            pending.append((budget.reserve("cand", pages, NIGHT), size))
        except BudgetRefusal:
            # Refused only when the estimate really does not fit.
            assert budget.run_cents() + held + pages * 10 > cents(run_dollars) or (
                cents(spent_before) + budget.run_cents() + held + pages * 10 > 3000
            )
        while len(pending) >= in_flight or (pending and rng.random() < 0.3):
            reservation, known = pending.pop(rng.randrange(len(pending)))
            receipt = None if known is None else {"billable_pages": estimate_pages(known), "cost": estimate_pages(known) / 10}
            budget.settle(reservation, NIGHT, receipt)
            assert budget.run_cents() <= cents(run_dollars)
            assert budget.quarter_cents(Quarter.of(NIGHT)) <= max(3000, cents(spent_before))
    for reservation, known in pending:
        budget.settle(reservation, NIGHT, None if known is None else {"billable_pages": None, "cost": estimate_pages(known) / 10})
    assert budget.run_cents() <= cents(run_dollars)


@pytest.mark.parametrize(
    ("instant", "label"),
    [
        ("2026-03-31T23:59:59", "2026Q1"),
        ("2026-04-01T00:00:00", "2026Q2"),
        ("2026-12-31T23:30:00", "2026Q4"),
        ("2027-01-01T00:00:00", "2027Q1"),
    ],
)
def test_quarters_are_calendar_quarters_in_central_time(instant: str, label: str) -> None:
    assert str(Quarter.of(central(instant))) == label


def test_a_utc_instant_belongs_to_its_central_quarter() -> None:
    # 2026-04-01 03:00 UTC is still March 31 in Chicago.
    assert str(Quarter.of(datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc))) == "2026Q1"
    q4 = Quarter(2026, 4)
    assert q4.start.isoformat() == "2026-10-01T00:00:00-05:00"
    assert q4.end.isoformat() == "2027-01-01T00:00:00-06:00"
    assert Quarter(2026, 1).end - Quarter(2026, 1).start == timedelta(days=90, hours=-1)  # spring forward inside


def test_a_night_across_the_quarter_change_books_each_charge_in_its_quarter() -> None:
    asked = []

    def spent_before(when: datetime) -> float:
        asked.append(str(Quarter.of(when)))
        return {"2026Q1": 29.0, "2026Q2": 0.0}[str(Quarter.of(when))]

    budget = Budget(BudgetCaps(run_dollars=10, quarter_dollars=30), spent_before=spent_before)
    before_midnight = central("2026-03-31T23:00")
    budget.settle(budget.reserve("cand", 10, before_midnight), before_midnight, {"billable_pages": 10, "cost": 1.0})
    with pytest.raises(BudgetRefusal, match="2026Q1"):
        budget.reserve("cand", 1, before_midnight)
    after_midnight = central("2026-04-01T00:10")
    budget.settle(budget.reserve("cand", 20, after_midnight), after_midnight, {"billable_pages": 20, "cost": 2.0})
    assert budget.quarter_cents(Quarter(2026, 1)) == 3000
    assert budget.quarter_cents(Quarter(2026, 2)) == 200
    assert asked == ["2026Q1", "2026Q2"]  # each quarter read once


def test_summary_reports_the_waiver() -> None:
    budget = Budget(BudgetCaps(run_dollars=10, quarter_dollars=100), spent_before=lambda _now: 28.0)
    budget.settle(budget.reserve("cand", 20, NIGHT), NIGHT, {"billable_pages": 20, "cost": 2.0})
    summary = budget.summary(NIGHT)
    assert summary["quarter"] == "2026Q2" and summary["quarter_dollars"] == 30.0 and summary["within_waiver"]
    assert "at or under the $30.00 quarterly waiver" in summary["waiver_note"]
    budget.settle(budget.reserve("cand", 1, NIGHT), NIGHT, {"billable_pages": 1, "cost": 0.1})
    assert not budget.summary(NIGHT)["within_waiver"]
    assert "will be billed" in budget.summary(NIGHT)["waiver_note"]


def test_caps_from_config_and_validation() -> None:
    caps = BudgetCaps.from_config({"run_dollars": 2, "quarter_dollars": 25.5, "run_pages": 0})
    assert caps == BudgetCaps(run_dollars=2.0, quarter_dollars=25.5, run_pages=None, pace_quarter=True)
    assert BudgetCaps.from_config({"run_pages": 40}).run_pages == 40
    with pytest.raises(ConfigError):
        BudgetCaps(run_dollars=-1)
