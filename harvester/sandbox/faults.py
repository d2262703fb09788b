"""Fault injection: per-court rules that make the sandbox misbehave on purpose.

A rule applies to requests for one scope: a CM/ECF court id (``cand``), ``*``
(every court), ``login`` (cso-auth/cso-logout) or ``lookup`` (the court lookup
data.json). Kinds:

- ``latency``: wait ``seconds`` before answering (adds up with other faults);
- ``error``: answer HTTP ``status`` (default 503), with ``Retry-After`` when
  ``retry_after`` is set;
- ``reset``: drop the TCP connection with a RST;
- ``hang``: read the request and never answer (the connection is closed after
  ``seconds``, default 300);
- ``truncate``: ``style`` "connection" sends the headers and a ``fraction`` of
  the body then closes; "content" sends a complete response whose HTML stops
  early (no receipt);
- ``login_page``: answer the court's "please log in" page although the token is
  valid;
- ``block``: HTTP 403 with an access-denied page;
- ``garbage``: HTTP 200 whose body is 4 KiB of (seeded) random bytes, as from
  a broken proxy or a corrupted cache.

Each rule fires for the next ``count`` matching requests (``None``: until
cleared), with ``probability`` (seeded, so reproducible), optionally only for
some ``endpoints`` (names as in the request log, e.g. ``DktRpt``).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields

FAULT_KINDS = ("latency", "error", "reset", "hang", "truncate", "login_page", "block", "garbage")
SPECIAL_SCOPES = ("*", "login", "lookup")


class FaultError(ValueError):
    """A fault rule that cannot be understood."""


@dataclass
class FaultRule:
    """One way to misbehave; see the module docstring for the kinds."""

    kind: str
    count: int | None = None
    probability: float = 1.0
    seconds: float = 0.0
    status: int = 503
    retry_after: int | None = None
    style: str = "connection"
    fraction: float = 0.5
    endpoints: list[str] | None = None
    fired: int = field(default=0)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise FaultError(f"unknown fault kind {self.kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        if self.count is not None and self.count < 0:
            raise FaultError("fault 'count' cannot be negative")
        if not 0.0 <= self.probability <= 1.0:
            raise FaultError("fault 'probability' must be between 0 and 1")
        if self.style not in ("connection", "content"):
            raise FaultError("truncate 'style' must be 'connection' or 'content'")
        if not 0.0 <= self.fraction < 1.0:
            raise FaultError("truncate 'fraction' must be in [0, 1)")
        if self.kind == "error" and not 500 <= int(self.status) <= 599:
            raise FaultError("an 'error' fault's status must be a 5xx code")
        if self.kind == "hang" and not self.seconds:
            self.seconds = 300.0

    @classmethod
    def from_dict(cls, data: dict) -> "FaultRule":
        """Build a rule from JSON, rejecting unknown keys with a clear message."""
        if not isinstance(data, dict):
            raise FaultError("each fault must be a JSON object")
        known = {f.name for f in fields(cls)} - {"fired"}
        unknown = set(data) - known
        if unknown:
            raise FaultError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise FaultError("a fault needs a 'kind'")
        return cls(**data)

    def matches(self, endpoint: str) -> bool:
        """Whether this rule still has requests to spoil, for this endpoint."""
        if self.count is not None and self.fired >= self.count:
            return False
        return self.endpoints is None or endpoint in self.endpoints


@dataclass
class FaultPlan:
    """What to do to one request: a delay, then at most one terminal fault."""

    delay: float = 0.0
    terminal: FaultRule | None = None

    @property
    def names(self) -> list[str]:
        """Fault kinds applied, for the request log."""
        out = ["latency"] if self.delay else []
        return out + ([self.terminal.kind] if self.terminal else [])


class FaultInjector:
    """Holds the rules per scope; thread-safe, changeable while serving."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: dict[str, list[FaultRule]] = {}
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def set(self, scope: str, rules: list[dict | FaultRule]) -> None:
        """Replace the rules of ``scope`` (an empty list clears it)."""
        built = [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in rules]
        with self._lock:
            if built:
                self._rules[scope] = built
            else:
                self._rules.pop(scope, None)

    def add(self, scope: str, kind: str, **params) -> FaultRule:
        """Append one rule to ``scope`` and return it."""
        rule = FaultRule(kind=kind, **params)
        with self._lock:
            self._rules.setdefault(scope, []).append(rule)
        return rule

    def clear(self, scope: str | None = None) -> None:
        """Remove the rules of one scope, or of all."""
        with self._lock:
            if scope is None:
                self._rules.clear()
            else:
                self._rules.pop(scope, None)

    def snapshot(self) -> dict:
        """The current rules as JSON (with how often each has fired)."""
        with self._lock:
            return {scope: [asdict(r) for r in rules] for scope, rules in self._rules.items()}

    def plan(self, scope: str | None, endpoint: str) -> FaultPlan:
        """Decide the faults for one request to ``scope`` (a court or special scope)."""
        plan = FaultPlan()
        if not self._rules:
            return plan
        with self._lock:
            for key in (scope, "*") if scope not in SPECIAL_SCOPES else (scope,):
                if key is None:  # no court: rules are keyed by name, only "*" applies
                    continue
                for rule in self._rules.get(key, ()):
                    if not rule.matches(endpoint):
                        continue
                    if rule.kind != "latency" and plan.terminal is not None:
                        continue
                    if rule.probability < 1.0 and self._random.random() >= rule.probability:
                        continue
                    rule.fired += 1
                    if rule.kind == "latency":
                        plan.delay += rule.seconds
                    else:
                        plan.terminal = rule
        return plan
