"""The items spiders hand to the store pipeline: one dataclass per kind of write.

Scrapy passes dataclass instances through as items (itemadapter); the pipeline picks
its writer by type (:class:`harvester.run.pipelines.StorePipeline`). Bodies are whole
pages with the account's receipt on them: no item is ever logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestAudit:
    """One request in the audit log (``requests``), with the retried attempts before it."""

    url: str
    court: str | None
    method: str
    status: int | None
    size: int
    receipt: dict[str, Any] | None
    outcome: str
    reason: str | None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    estimated_pages: int | None = None
    charge: dict[str, Any] | None = None  # what the gate booked when the receipt was unreadable
    in_flight: int | None = None  # the ledger's in_flight row of this paid request, cleared when booked


@dataclass
class Attempts:
    """Retried attempts of a request that was then not sent (window, budget, breaker)."""

    court: str | None
    attempts: list[dict[str, Any]]


@dataclass
class CourtsItem:
    """The parsed court lookup."""

    courts: list[dict[str, Any]]


@dataclass
class RssItem:
    """One court's parsed feed, its raw body, and whether to follow the cases it names."""

    court: str
    feed: dict[str, Any]
    body: bytes
    url: str
    follow: bool


@dataclass
class WatchItem:
    """A case to add to the watchlist (a docket number resolved to its case id)."""

    court: str
    pacer_case_id: str
    docket_number: str | None
    source: str


@dataclass
class DocketItem:
    """A parsed docket report (whole or incremental) and its raw body."""

    court: str
    pacer_case_id: str
    record: dict[str, Any]
    body: bytes
    url: str
    incremental: bool
    parties: bool | None = None  # asked with the party list (None: a whole report, or one holding parties)


@dataclass
class FeedNightItem:
    """What one court's feed was tonight: kind, outcome, newest item (``rss.record_feed_night``'s fields)."""

    court: str
    night: str
    fields: dict[str, Any]


@dataclass
class AcmsRouteItem:
    """Where a court of appeals said a case is: ``acms`` (with ACMS's case GUID) or ``cmecf``."""

    court: str
    docket_number: str
    system: str
    acms_case_id: str | None = None


@dataclass
class AcmsDocumentsItem:
    """One ACMS docket entry's parsed document list and the answer it came from."""

    court: str
    case_key: str
    record: dict[str, Any]
    body: bytes
    url: str


@dataclass
class AcmsUnrecognisedItem:
    """An ACMS answer whose layout the harvester does not know: archived for study and reparsing."""

    court: str
    case_key: str | None
    body: bytes
    url: str


Item = (
    RequestAudit | Attempts | CourtsItem | RssItem | WatchItem | DocketItem | FeedNightItem
    | AcmsRouteItem | AcmsDocumentsItem | AcmsUnrecognisedItem
)  # fmt: skip
