"""What the ``harvester sandbox`` commands do: run one in the foreground, or
talk to a running one (``advance``) through the ``config.json`` it leaves in
its state directory.
"""

from __future__ import annotations

import json
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, TextIO

from . import Sandbox, SandboxError

CONFIG_NAME = "config.json"


def describe(config: dict, now: str) -> str:
    """The human-readable start-up banner: everything a harvest needs."""
    creds = "; ".join(
        f"{a['login_id']} / {a['password']}"
        + (f" (TOTP secret {a['totp_secret']})" if a.get("totp_secret") else "")
        + (" (pending account actions)" if a.get("pending_actions") else "")
        for a in config["accounts"]
    )
    rows = [
        ("login URL", config["login_url"]),
        ("logout URL", config["logout_url"]),
        ("court lookup URL", config["court_lookup_url"]),
        ("court URL template", config["court_url_template"]),
        ("clock URL", config["clock_url"]),
        ("admin URL", config["admin_url"]),
        ("CA bundle", config["ca_bundle"]),
        ("request log", config["request_log"]),
        ("sandbox time", f"{now} ({config['timezone']})"),
        ("synthetic courts", ", ".join(config["synthetic_courts"]) or "none"),
        ("test credentials", f"{creds} (sandbox only)"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"PACER sandbox listening on https://{config['host']}:{config['port']} (TLS mode {config['tls_mode']})"]
    lines += [f"  {k + ':':<{width + 1}} {v}" for k, v in rows]
    return "\n".join(lines + ["Press Ctrl-C to stop."])


def run_foreground(options: dict, as_json: bool = False, out: TextIO = sys.stdout) -> None:
    """Start a sandbox with ``options`` (Sandbox keyword arguments) and serve until stopped.

    Prints the config once listening (one JSON line with ``as_json``) and writes
    it to ``state_dir/config.json`` for ``harvester sandbox advance``.
    """
    sandbox = Sandbox(**options)

    def ready(sb: Sandbox) -> None:
        config = sb.config
        (sb.state_dir / CONFIG_NAME).write_text(json.dumps(config, indent=2), encoding="utf-8")
        out.write((json.dumps(config) if as_json else describe(config, sb.now().isoformat(timespec="seconds"))) + "\n")
        out.flush()

    sandbox.serve_forever(on_ready=ready)


def running_config(state_dir: str | Path) -> dict:
    """The config a running sandbox wrote to its state directory."""
    path = Path(state_dir) / CONFIG_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise SandboxError(f"no running sandbox found: {path} is missing (start one with `harvester sandbox`)") from None


def admin_call(config: dict, name: str, body: dict | None = None, opener: Callable = urllib.request.urlopen) -> dict:
    """Call an admin endpoint of a running sandbox (POST when ``body`` is given)."""
    ctx = ssl.create_default_context(cafile=config["ca_bundle"])
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(config["admin_url"] + name, data, {"Content-Type": "application/json"})
    try:
        with opener(request, context=ctx, timeout=30) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise SandboxError(f"sandbox refused: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SandboxError(f"cannot reach the sandbox at {config['admin_url']}: {getattr(exc, 'reason', exc)}") from None


def advance(state_dir: str | Path, hours: float | None = None, to: str | None = None) -> dict:
    """Advance a running sandbox's clock; return ``{"now", "timezone"}``."""
    if (hours is None) == (to is None):
        raise SandboxError("give exactly one of --hours or --to")
    body = {"hours": hours} if hours is not None else {"to": to}
    return admin_call(running_config(state_dir), "advance", body)
