"""Fee budget: caps per run and per calendar quarter, checked before every paid request.

PACER bills $0.10 a page; an HTML report is one page per 4,320 bytes (at least
one page) and docket reports and other case-specific reports stop at 30 pages
($3.00). RSS feeds, opinions and the court lookup are free; a search with no
match still costs one page. iquery (case query) and possible_case_numbers are
billed like any report (one page or more); the spider states its estimate in
``request.meta["cost_estimate_pages"]``.

Before a request, :meth:`Budget.reserve` refuses it when its estimate could push
the run or the quarter past its cap, counting the estimates of the requests
still in flight. After the response, :meth:`Budget.settle` books what the
Transaction Receipt says it cost (or the estimate, when a paid page came back
without a readable receipt: better to over-count than to overspend). Money is
kept in whole cents.

The quarter's spending by earlier runs comes from the database through a small
callable (``spent_before(now) -> dollars`` for the quarter containing ``now``),
asked once per quarter, before this run books anything in it. Quarters are
calendar quarters in Central time; PACER waives a quarter whose charges stay at
or under $30, and :meth:`Budget.summary` reports where the quarter stands.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from harvester.errors import ConfigError
from harvester.gate.window import CENTRAL, to_central
from harvester.parsers.receipt import BYTES_PER_PAGE, PAGE_CAP, billable_pages
from harvester.shared import SharedInSettings

PAGE_CENTS = 10
WAIVER_CENTS = 3000  # quarters at or under $30 are not billed
# Conservative bytes per docket entry for an estimate from an entry count: about
# the 80th percentile of the real dockets in the corpus (median ~1,100 bytes,
# page header included), plus one page for the header and the receipt.
BYTES_PER_ENTRY = 1500
HEADER_BYTES = BYTES_PER_PAGE


@dataclass(frozen=True)
class BudgetCaps:
    """Spending caps. ``run_pages`` None means no page cap."""

    run_dollars: float = 10.0
    quarter_dollars: float = 30.0
    run_pages: int | None = None
    pace_quarter: bool = False  # the config's default turns it on: see Budget.run_cap_cents

    def __post_init__(self) -> None:
        if not (math.isfinite(self.run_dollars) and math.isfinite(self.quarter_dollars)):
            raise ConfigError("budget caps must be finite dollar amounts (not NaN or infinity)")
        if self.run_dollars < 0 or self.quarter_dollars < 0 or (self.run_pages or 0) < 0:
            raise ConfigError("budget caps must not be negative")

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> BudgetCaps:
        """Build from the ``[budget]`` table (run_dollars, quarter_dollars, run_pages: 0 = no cap, pace_quarter)."""
        default = cls()
        return cls(
            run_dollars=float(section.get("run_dollars", default.run_dollars)),
            quarter_dollars=float(section.get("quarter_dollars", default.quarter_dollars)),
            run_pages=int(section.get("run_pages", 0)) or None,
            pace_quarter=bool(section.get("pace_quarter", True)),
        )


def cents(dollars: float | str | Decimal) -> int:
    """Whole cents of a dollar amount (0.3 -> 30), rounding half up."""
    return int((Decimal(str(dollars)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def estimate_pages(size_bytes: int | None = None, *, entries: int | None = None, capped: bool = True) -> int:
    """Pages a report will probably bill, from its size in bytes or its number of docket entries.

    Without either, a capped (case-specific) report is assumed to hit the 30-page
    cap; an uncapped report of unknown size cannot be estimated.
    """
    if size_bytes is None and entries is not None:
        size_bytes = HEADER_BYTES + entries * BYTES_PER_ENTRY
    if size_bytes is None:
        if not capped:
            raise ValueError("an uncapped report needs a size or an entry count to be estimated")
        return PAGE_CAP
    return billable_pages(size_bytes, capped=capped)


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter in Central time."""

    year: int
    number: int

    @classmethod
    def of(cls, when: datetime) -> Quarter:
        local = to_central(when)
        return cls(local.year, (local.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime:
        return CENTRAL.localize(datetime(self.year, 3 * self.number - 2, 1))

    @property
    def end(self) -> datetime:
        year, month = (self.year + 1, 1) if self.number == 4 else (self.year, 3 * self.number + 1)
        return CENTRAL.localize(datetime(year, month, 1))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


@dataclass(frozen=True)
class Reservation:
    """An estimate held against the caps while its request is in flight."""

    court: str
    pages: int
    quarter: Quarter
    at: datetime | None = None  # when it was asked for (the quarter's pacing counts nights from it)

    @property
    def cents(self) -> int:
        return self.pages * PAGE_CENTS


@dataclass(frozen=True)
class Charge:
    """What one response really cost, as booked."""

    court: str
    at: datetime
    pages: int
    cents: int
    source: str  # "receipt" or "estimate" (a paid page without a readable receipt)


class BudgetRefusal(Exception):
    """A paid request the caps do not leave room for; the message says which cap."""


@dataclass(eq=False)
class Budget(SharedInSettings):
    """Run and quarter caps, the run's bookings, and the estimates in flight."""

    caps: BudgetCaps = field(default_factory=BudgetCaps)
    spent_before: Callable[[datetime], float] = lambda _now: 0.0
    on_charge: Callable[[Charge], None] | None = None
    charges: list[Charge] = field(default_factory=list)
    _prior_cents: dict[Quarter, int] = field(default_factory=dict)
    _reserved: list[Reservation] = field(default_factory=list)
    _paced: dict[Quarter, int] = field(default_factory=dict)
    _waiters: list[asyncio.Future] = field(default_factory=list)

    def reserve(self, court: str, pages: int, now: datetime) -> Reservation:
        """Hold ``pages`` against the caps, or raise BudgetRefusal naming the cap in the way."""
        if pages < 0:
            raise ValueError(f"a page estimate cannot be negative: {pages}")
        quarter = Quarter.of(now)
        reservation = Reservation(court, pages, quarter, now)
        if pages:
            self._check_room(reservation, self._reserved)
        self._reserved.append(reservation)
        return reservation

    def check_room(self, court: str, pages: int, now: datetime) -> None:
        """Raise BudgetRefusal when ``pages`` would not fit even once every request in flight is booked."""
        if pages:
            self._check_room(Reservation(court, pages, Quarter.of(now), now), [])

    async def reserve_when_room(self, court: str, pages: int, now: Callable[[], datetime]) -> Reservation:
        """Reserve as :meth:`reserve`, but wait while only estimates in flight stand in the way.

        A request in flight holds its worst case until its receipt is booked, usually for
        less: a request that fits beside what is already spent waits for those receipts
        instead of being refused.
        """
        while True:
            try:
                return self.reserve(court, pages, now())
            except BudgetRefusal:
                self.check_room(court, pages, now())  # raises when the spending alone leaves no room
                if not self._reserved:
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def cancel(self, reservation: Reservation) -> None:
        """Drop a reservation whose request was not sent or came back without a charge."""
        self._reserved.remove(reservation)
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def settle(
        self, reservation: Reservation, now: datetime, receipt: Mapping[str, Any] | None, size_bytes: int | None = None
    ) -> Charge | None:
        """Book the receipt's cost for a reserved request; its estimate when a paid page has none.

        Without a readable receipt the page is booked at the estimate the request was let
        out with: what arrived may be cut short (PACER billed the whole page), so its size
        would under-count. ``size_bytes`` is kept for callers; it no longer lowers the booking.
        """
        self._reserved.remove(reservation)
        self._wake()
        if receipt and receipt.get("cost") is not None:
            pages = receipt.get("billable_pages")
            charge_cents = cents(receipt["cost"])
            charge = Charge(reservation.court, now, int(pages) if pages is not None else math.ceil(charge_cents / PAGE_CENTS), charge_cents, "receipt")
        elif reservation.pages:
            pages = reservation.pages
            charge = Charge(reservation.court, now, pages, pages * PAGE_CENTS, "estimate")
        else:
            return None
        self._prior(Quarter.of(now))  # snapshot the quarter before the first booking in it
        self.charges.append(charge)
        if self.on_charge:
            self.on_charge(charge)
        return charge

    def run_cents(self) -> int:
        return sum(c.cents for c in self.charges)

    def run_pages(self) -> int:
        return sum(c.pages for c in self.charges)

    def quarter_cents(self, quarter: Quarter) -> int:
        """Booked in ``quarter``: by earlier runs and by this one."""
        return self._prior(quarter) + sum(c.cents for c in self.charges if Quarter.of(c.at) == quarter)

    def summary(self, now: datetime) -> dict[str, Any]:
        """Figures for the run summary, in dollars, with the waiver status of the quarter."""
        quarter = Quarter.of(now)
        spent = self.quarter_cents(quarter)
        return {
            "run_dollars": self.run_cents() / 100,
            "run_pages": self.run_pages(),
            "run_cap_dollars": self.caps.run_dollars,
            "quarter": str(quarter),
            "quarter_dollars": spent / 100,
            "quarter_cap_dollars": self.caps.quarter_dollars,
            "waiver_threshold_dollars": WAIVER_CENTS / 100,
            "within_waiver": spent <= WAIVER_CENTS,
            "waiver_note": _waiver_note(spent, quarter),
        }

    def run_cap_cents(self, quarter: Quarter, now: datetime) -> int:
        """Tonight's cap: ``run_dollars``, but never more than half of what the quarter has left.

        Pacing keeps money for the rest of the quarter's nights: a first harvest spends
        at most half the remainder a night, and on the quarter's last night all of it.
        Fixed for the run at its first paid request.
        """
        if quarter not in self._paced:
            left = max(cents(self.caps.quarter_dollars) - self._prior(quarter), 0)
            nights_left = (quarter.end - to_central(now)) / timedelta(days=1)
            share = left if nights_left <= 1 else left // 2
            self._paced[quarter] = min(cents(self.caps.run_dollars), share)
        return self._paced[quarter]

    def _check_room(self, new: Reservation, in_flight: list[Reservation]) -> None:
        held = [*in_flight, new]
        run_cents = self.run_cents() + sum(r.cents for r in held)
        run_cap = cents(self.caps.run_dollars)
        if run_cents > run_cap:
            raise BudgetRefusal(
                f"run budget: ${run_cents / 100:.2f} with this request's estimate ({new.pages} pages for {new.court}) "
                f"would exceed the run cap of ${self.caps.run_dollars:.2f}"
            )
        if self.caps.run_pages is not None:
            pages = self.run_pages() + sum(r.pages for r in held)
            if pages > self.caps.run_pages:
                raise BudgetRefusal(f"run page cap: {pages} pages would exceed {self.caps.run_pages}")
        quarter_cents = self.quarter_cents(new.quarter) + sum(r.cents for r in held if r.quarter == new.quarter)
        if quarter_cents > cents(self.caps.quarter_dollars):
            raise BudgetRefusal(
                f"quarter budget: ${quarter_cents / 100:.2f} would exceed the {new.quarter} cap "
                f"of ${self.caps.quarter_dollars:.2f}"
            )
        paced = self.run_cap_cents(new.quarter, new.at or new.quarter.start)
        if self.caps.pace_quarter and run_cents > paced:
            raise BudgetRefusal(
                f"quarter pacing: ${run_cents / 100:.2f} with this request's estimate would exceed tonight's "
                f"${paced / 100:.2f}, half of what is left of the {new.quarter} budget"
            )

    def _prior(self, quarter: Quarter) -> int:
        if quarter not in self._prior_cents:
            self._prior_cents[quarter] = cents(self.spent_before(quarter.start))
        return self._prior_cents[quarter]


def _waiver_note(spent_cents: int, quarter: Quarter) -> str:
    if spent_cents <= WAIVER_CENTS:
        return f"${spent_cents / 100:.2f} in {quarter}: at or under the $30.00 quarterly waiver, nothing is owed so far"
    return f"${spent_cents / 100:.2f} in {quarter}: over the $30.00 quarterly waiver, the quarter will be billed"

