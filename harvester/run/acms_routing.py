"""Which system the planner sends a court of appeals' case to: CM/ECF's TransportRoom or ACMS.

What the court answered wins (``acms_cases``: a case ACMS did not know stays in
CM/ECF); otherwise the ``acms.courts`` rule of :mod:`harvester.acms` decides from
the docket number. The answers are read once per run and planning.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from harvester.acms import ACMS, AcmsCourts
from harvester.config import ACMS_API_URL, ACMS_URL, PACER_COURT_URL
from harvester.parsers.court import is_appellate
from harvester.store import acms as acms_store

if TYPE_CHECKING:
    from harvester.config import Config
    from harvester.run.harvest import Endpoints, Harvest

logger = logging.getLogger(__name__)

_RULES: weakref.WeakKeyDictionary[Harvest, AcmsCourts] = weakref.WeakKeyDictionary()


def acms_endpoints(endpoints: Endpoints) -> tuple[str, str] | None:
    """(site, API) URL templates of the run's ACMS; None when these endpoints have none.

    Left empty, they are PACER's own ACMS hosts only when the courts are PACER's own:
    a run against a sandbox or another test server never reaches the real ACMS.
    """
    if endpoints.acms_url:
        return endpoints.acms_url, endpoints.acms_api_url or endpoints.acms_url.rstrip("/") + "/api/"
    if endpoints.court_url == PACER_COURT_URL:
        return ACMS_URL, ACMS_API_URL
    return None


def acms_courts(harvest: Harvest) -> AcmsCourts:
    """The run's ``acms.courts`` rules (none when the endpoints have no ACMS: every case goes to CM/ECF)."""
    rules = _RULES.get(harvest)
    if rules is None:
        entries = harvest.config["acms"]["courts"] if acms_endpoints(harvest.endpoints) else []
        if not entries and harvest.config["acms"]["courts"]:
            logger.info("No ACMS at these endpoints (endpoints.acms_url unset): cases of %s go to CM/ECF",
                        ", ".join(harvest.config["acms"]["courts"]))  # fmt: skip
        rules = _RULES[harvest] = AcmsCourts(entries)
    return rules


def system_of(harvest: Harvest, court: str, docket_number: str | None) -> str:
    """``acms`` or ``cmecf`` for one watched case."""
    known = _answers(harvest).get((court, docket_number or ""))
    return known or acms_courts(harvest).system_for(court, docket_number)


_ANSWERS: weakref.WeakKeyDictionary[Harvest, tuple[int, dict[tuple[str, str], str]]] = weakref.WeakKeyDictionary()


def _answers(harvest: Harvest) -> dict[tuple[str, str], str]:
    """The courts' answers, read again only when another connection (the writer) committed since."""
    version = harvest.db.execute("PRAGMA data_version").fetchone()[0]
    cached = _ANSWERS.get(harvest)
    if cached is None or cached[0] != version:
        cached = _ANSWERS[harvest] = (version, acms_store.known_systems(harvest.db))
    return cached[1]


def without_acms_only(harvest: Harvest, courts: list[str]) -> list[str]:
    """``courts`` less those whose watched cases are all in ACMS (their CM/ECF feed lists none of them)."""
    rules = acms_courts(harvest)
    watched: dict[str, set[str]] = {}
    for court, case_id, number in harvest._watched():
        if rules.get(court) is not None:
            watched.setdefault(court, set()).add(system_of(harvest, court, number or case_id))
    return [c for c in courts if watched.get(c) != {ACMS}]


def appellate_systems(config: Config) -> dict[str, str]:
    """Each watched court of appeals and the system that holds its cases (for ``harvester status``)."""
    from harvester.run.harvest import Endpoints

    courts = {c.lower() for c in config["watch"]["courts"]} | set(config.cases)
    rules = AcmsCourts(config["acms"]["courts"] if acms_endpoints(Endpoints.from_config(config)) else [])
    return {court: rules.describe(court) for court in sorted(courts) if is_appellate(court)}
