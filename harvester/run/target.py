"""What a run talks to: real PACER with the user's credentials, or the embedded sandbox.

The sandbox is an explicit mode, chosen by :class:`harvester.run.assembly.Assembly`
(``--sandbox``, or a configuration that watches nothing): same code paths, other base
URLs, the sandbox's CA bundle and its simulated night. The gate is never switched off;
the sandbox only supplies its own clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvester.config import Config
from harvester.credentials import Credentials, Secret
from harvester.credentials import load as load_credentials
from harvester.errors import ConfigError
from harvester.parsers.court import KNOWN_COURTS
from harvester.run.harvest import Endpoints


@dataclass
class Target:
    """What a run talks to: endpoints, credentials, and the courts and cases to watch."""

    endpoints: Endpoints
    credentials: Credentials | None
    courts: list[str]
    follow_rss: bool
    sandbox: bool = False
    seed_cases: list[tuple[str, str, str | None]] = field(default_factory=list)


def pacer_target(config: Config, credentials: Credentials | None) -> Target:
    """Real PACER (or whatever the [endpoints] name) with the configured watch list."""
    courts = [c.lower() for c in config["watch"]["courts"]]
    if courts == ["all"]:
        courts = sorted(KNOWN_COURTS)
    unknown = sorted(set(courts) - KNOWN_COURTS) + sorted(set(config.cases) - KNOWN_COURTS)
    if unknown:
        raise ConfigError(f"watch.courts: unknown court id(s): {', '.join(unknown)} (CM/ECF ids such as cand, nysb, ca9)")
    courts = sorted(set(courts) | set(config.cases))
    return Target(Endpoints.from_config(config), credentials, courts, bool(config["watch"]["follow_rss"]))


def sandbox_target(sandbox_config: dict[str, Any], cases: list[dict[str, Any]]) -> Target:
    """The embedded sandbox: every case it serves is watched, its test account logs in.

    Its feeds (real 2023 feeds among them) name many cases it has no docket for, so
    they are not followed; they still flag the watched cases that grew.
    """
    endpoints = Endpoints(
        login_url=sandbox_config["login_url"], logout_url=sandbox_config["logout_url"],
        court_lookup_url=sandbox_config["court_lookup_url"], court_url=sandbox_config["court_url_template"],
        ca_bundle=sandbox_config["ca_bundle"], clock_url=sandbox_config["clock_url"],
        **{key: sandbox_config[key] for key in ("acms_url", "acms_api_url") if key in sandbox_config},
    )  # fmt: skip
    account = sandbox_config["credentials"]
    credentials = Credentials(account["login_id"], Secret(account["password"]))
    seeds = [(c["court"], str(c["pacer_case_id"]), c.get("docket_number")) for c in cases]
    courts = sorted({court for court, _, _ in seeds})
    return Target(endpoints, credentials, courts, follow_rss=False, sandbox=True, seed_cases=seeds)


def configured_credentials(config: Config) -> Credentials | None:
    return load_credentials(config["credentials"]["file"], repo_root=Path.cwd())


def watches_nothing(config: Config) -> bool:
    """No court and no case watched: the shipped default configuration."""
    return not config["watch"]["courts"] and not any(config.cases.values())
