"""TLS for the sandbox: a trustme CA in the state directory and server contexts.

Modes:
- ``normal``: TLS 1.2 and 1.3 only, a certificate for 127.0.0.1/localhost signed
  by the sandbox CA (``ca.pem`` in the state directory).
- ``tls11``: offers only TLS 1.0/1.1 (OpenSSL 3 needs security level 0 for that),
  so a client that requires TLS >= 1.2 must refuse to talk.
- ``untrusted``: certificate signed by a throwaway CA that is written nowhere.
- ``wrong-host``: certificate from the sandbox CA, but for another host name.
"""

from __future__ import annotations

import ssl
import warnings
from pathlib import Path

import trustme

TLS_MODES = ("normal", "tls11", "untrusted", "wrong-host")
SERVER_NAMES = ("127.0.0.1", "localhost", "::1")
WRONG_HOST = "wrong-host.sandbox.invalid"


class TLSModeError(ValueError):
    """An unknown TLS mode name."""


def load_or_create_ca(state_dir: Path) -> trustme.CA:
    """The sandbox CA: reused from ``state_dir`` when present, so configs stay valid."""
    cert_path, key_path = state_dir / "ca.pem", state_dir / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    ca = trustme.CA(organization_name="PACER harvester sandbox")
    ca.cert_pem.write_to_path(str(cert_path))
    ca.private_key_pem.write_to_path(str(key_path))
    key_path.chmod(0o600)
    return ca


def server_context(mode: str, state_dir: Path) -> ssl.SSLContext:
    """A server SSLContext for ``mode``; the CA lands in ``state_dir/ca.pem``."""
    if mode not in TLS_MODES:
        raise TLSModeError(f"unknown TLS mode {mode!r}; choose one of {', '.join(TLS_MODES)}")
    ca = load_or_create_ca(state_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if mode == "untrusted":
        trustme.CA(organization_name="Untrusted sandbox CA").issue_cert(*SERVER_NAMES).configure_cert(ctx)
    elif mode == "wrong-host":
        ca.issue_cert(WRONG_HOST).configure_cert(ctx)
    else:
        ca.issue_cert(*SERVER_NAMES).configure_cert(ctx)
    if mode == "tls11":
        # OpenSSL 3 refuses TLS < 1.2 at the default security level.
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        with warnings.catch_warnings():  # deprecated on purpose: this mode exists to be refused
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    return ctx

