"""A local CM/ECF + PACER login server over TLS, for demos, tests and benchmarks.

    with Sandbox(cases=50) as sandbox:
        config = sandbox.config            # URLs, CA bundle, test credentials
        sandbox.advance(hours=24)          # cases grow; RSS shows the new entries
        sandbox.add_fault("cand", "error", count=2, retry_after=1)
        RequestLog(config["request_log"]).total_cost(endpoint="DktRpt")

Nobody spends money or risks a PACER account: the courts are real pages from
the corpus plus a deterministic synthetic generator, the clock is simulated
(America/Chicago, 19:00 at start), and every request lands in a JSON Lines
log with secrets masked.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from ..errors import HarvesterError
from .acms import AcmsEmulation
from .app import SandboxApp, case_info
from .clock import TIMEZONE_NAME, SandboxClock
from .content import load_real_cases
from .courts import DATA_DIR, LOOKUP_PATH, Catalog, load_courts
from .faults import FaultInjector, FaultRule
from .login import Account, LoginService, LoginSettings, default_accounts
from .month import MonthScenario
from .requestlog import LOG_NAME, RequestLog, RequestLogWriter
from .server import HTTPServer
from .synthetic import DEFAULT_SYNTHETIC_COURTS, SyntheticCourts, SyntheticSettings
from .tls import TLS_MODES, server_context

__all__ = [
    "Account",
    "DEFAULT_SYNTHETIC_COURTS",
    "MonthScenario",
    "RequestLog",
    "Sandbox",
    "SandboxError",
    "TLS_MODES",
]


class SandboxError(HarvesterError):
    """The sandbox could not be set up, started or reached; the message says why."""


class Sandbox:
    """The sandbox server. ``start()`` serves in a background thread; ``stop()`` ends it.

    ``port=0`` picks a free port. ``state_dir`` (created if missing; a temporary
    directory when None) receives ``ca.pem`` and ``requests.jsonl``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_dir: str | Path | None = None,
        courts: tuple[str, ...] | list[str] = DEFAULT_SYNTHETIC_COURTS,
        cases: int = 200,
        mean_entries: int = 100,
        growth_per_day: float = 1.0,
        seed: int = 2023,
        start: str | datetime | None = None,
        clock_speed: float = 1.0,
        tls_mode: str = "normal",
        accounts: list[Account] | None = None,
        token_ttl: float = 8 * 3600.0,
        max_failures: int = 5,
        lockout_seconds: float = 30 * 60.0,
        big_docket_entries: int = 500,
        real_pages: bool = True,
        court_lookup: str | Path | None = None,
        month: MonthScenario | None = None,
    ) -> None:
        if tls_mode not in TLS_MODES:
            raise SandboxError(f"unknown TLS mode {tls_mode!r}; choose one of {', '.join(TLS_MODES)}")
        self.host, self.port, self.tls_mode = host, port, tls_mode
        self.month = month
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="pacer-sandbox-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lookup_path = Path(court_lookup) if court_lookup else LOOKUP_PATH
        try:
            self._lookup_bytes = lookup_path.read_bytes()
        except OSError as exc:
            raise SandboxError(f"cannot read court lookup {lookup_path}: {exc.strerror}") from None
        if month is not None:  # the month brings its courts, cases, start and lookup
            self._lookup_bytes, courts, start, real_pages = month.lookup_bytes(), month.settings.courts, month.start, False
        court_map = load_courts(self._lookup_bytes)
        unknown = [c for c in courts if c not in court_map]
        if unknown:
            raise SandboxError(f"unknown court id(s): {', '.join(unknown)} (not in the court lookup)")
        self.clock = SandboxClock(start, speed=clock_speed)
        self.faults = FaultInjector(seed=seed)
        self.login = LoginService(
            self.clock,
            accounts if accounts is not None else default_accounts(),
            LoginSettings(token_ttl=token_ttl, max_failures=max_failures, lockout_seconds=lockout_seconds),
        )
        real = load_real_cases(court_map) if real_pages else []
        self.synthetic = month or self._synthetic(court_map, real, SyntheticSettings(
            seed=seed, courts=tuple(courts), cases=cases, mean_entries=mean_entries, growth_per_day=growth_per_day,
        ))
        self.catalog = Catalog(court_map, [*real, *(self.synthetic.cases if self.synthetic else [])])
        self.big_docket_entries = big_docket_entries
        self.acms = AcmsEmulation(self.clock, self.login, synthetic=cases > 0)  # cases=0: real pages only
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._log: RequestLogWriter | None = None

    def _synthetic(self, court_map, real, settings: SyntheticSettings) -> SyntheticCourts | None:
        if settings.cases < 0 or settings.mean_entries < 1:
            raise SandboxError("cases must be >= 0 and mean entries >= 1")
        if settings.cases == 0 or not settings.courts:
            return None
        try:
            return SyntheticCourts(
                settings, court_map, self.clock.epoch_ts,
                reserved={(c.court.court_id, c.pacer_case_id) for c in real},
            )
        except ValueError as exc:
            raise SandboxError(str(exc)) from None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Sandbox":
        """Serve in a background thread; return once listening (``.port`` is then set)."""
        if self._thread is not None:
            raise SandboxError("the sandbox is already running")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="pacer-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=60)
        if self._error is not None:
            self._thread.join()
            self._thread = None
            if isinstance(self._error, SandboxError):
                raise self._error
            raise SandboxError(f"sandbox failed to start: {self._error}") from self._error
        return self

    def serve_forever(self, on_ready=None) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C) or :meth:`stop`.

        ``on_ready(sandbox)`` is called once listening (the port is then known).
        """
        try:
            asyncio.run(self._serve(on_ready))
        except KeyboardInterrupt:
            pass

    def stop(self) -> None:
        """Stop serving and close the request log."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve(None))
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()

    async def _serve(self, on_ready) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):  # stop cleanly, closing the log
                self._loop.add_signal_handler(signum, self._stopping.set)
        self._log = RequestLogWriter(self.state_dir / LOG_NAME)
        app = SandboxApp(
            clock=self.clock, login=self.login, faults=self.faults, catalog=self.catalog,
            synthetic=self.synthetic, court_lookup=self._lookup_bytes,
            please_log_in=(DATA_DIR / "please_log_in.html").read_text(encoding="latin-1"),
            big_docket_entries=self.big_docket_entries, config=lambda: self.config, month=self.month,
        )
        app.acms = self.acms
        server = HTTPServer(app.handle, server_context(self.tls_mode, self.state_dir), self.host, self.port, self._log.write)
        try:
            try:
                self.port = await server.start()
            except OSError as exc:
                raise SandboxError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from None
            self._ready.set()
            if on_ready is not None:
                on_ready(self)
            await self._stopping.wait()
        finally:
            await server.close()
            self._log.close()

    # ------------------------------------------------------------------ configuration
    @property
    def base_url(self) -> str:
        """``https://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def config(self) -> dict:
        """What a harvest needs: URLs, CA bundle, clock, test credentials (sandbox-only)."""
        base = self.base_url
        accounts = [a.public() for a in self.login.accounts]
        return {
            "login_url": f"{base}/services/cso-auth",
            "logout_url": f"{base}/services/cso-logout",
            "court_lookup_url": f"{base}/file-case/court-cmecf-lookup/data.json",
            "court_url_template": f"{base}/ecf/{{court}}/",
            "court_url": f"{base}/ecf/{{court}}",  # the harvester config's [endpoints] court_url form
            "clock_url": f"{base}/sandbox/clock",
            "acms_url": f"{base}/acms/{{court}}/",
            "acms_api_url": f"{base}/acms/{{court}}/api/",
            "admin_url": f"{base}/sandbox/",
            "ca_bundle": str(self.state_dir / "ca.pem"),
            "state_dir": str(self.state_dir),
            "request_log": str(self.state_dir / LOG_NAME),
            "tls_mode": self.tls_mode,
            "host": self.host,
            "port": self.port,
            "timezone": TIMEZONE_NAME,
            "synthetic_courts": list(self.synthetic.settings.courts) if self.synthetic else [],
            "courts": self.catalog.court_ids(),
            "credentials": {"login_id": accounts[0]["login_id"], "password": accounts[0]["password"]} if accounts else None,
            "accounts": accounts,
        }

    # ------------------------------------------------------------------ control
    def advance(self, hours: float | None = None, to: str | datetime | None = None) -> datetime:
        """Move sandbox time forward (cases grow accordingly); return the new now."""
        return self.clock.advance(hours=hours, to=to)

    def to_night(self, night: int) -> datetime:
        """Month mode: move the clock to the start of ``night`` (no move if it has begun); return now."""
        if self.month is None:
            raise SandboxError("to_night() needs a month sandbox: Sandbox(month=MonthScenario(...))")
        start = self.month.night_start(night)
        return self.clock.advance(to=start) if self.clock.now() < start else self.clock.now()

    def now(self) -> datetime:
        """Sandbox now (America/Chicago)."""
        return self.clock.now()

    def set_faults(self, scope: str, rules: list[dict | FaultRule]) -> None:
        """Replace the fault rules of a court (or ``*``, ``login``, ``lookup``)."""
        self.faults.set(scope, rules)

    def add_fault(self, scope: str, kind: str, **params) -> FaultRule:
        """Add one fault rule, e.g. ``add_fault("cand", "error", count=3, retry_after=2)``."""
        return self.faults.add(scope, kind, **params)

    def clear_faults(self, scope: str | None = None) -> None:
        """Remove fault rules (of one scope, or all)."""
        self.faults.clear(scope)

    def expire_tokens(self, login_id: str | None = None) -> int:
        """Expire NextGenCSO tokens now (all, or one account's); return how many."""
        return self.login.expire_tokens(login_id)

    def lock_account(self, login_id: str, seconds: float | None = None) -> None:
        """Lock an account as after too many failed logins."""
        self.login.lock_account(login_id, seconds)

    def unlock_account(self, login_id: str) -> None:
        """Lift an account's lockout."""
        self.login.unlock_account(login_id)

    @property
    def request_log(self) -> RequestLog:
        """A reader over this sandbox's request log."""
        return RequestLog(self.state_dir / LOG_NAME)

    def cases(self, court: str | None = None, *, acms: bool = False) -> list[dict]:
        """The cases served (as ``GET /sandbox/cases`` lists them); with ``acms`` also the ACMS courts' cases."""
        now_ts = self.clock.timestamp()
        served = [case_info(c) for c in self.catalog.cases(court) if getattr(c, "filed_ts", 0.0) <= now_ts]
        return served + [c for c in self.acms.listing() if court in (None, c["court"])] if acms else served
