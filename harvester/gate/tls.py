"""One TLS policy for every connection: verified chain and host name, TLS 1.2 or newer.

Scrapy does not verify certificates by default. :func:`tls_settings` turns
verification on (``DOWNLOAD_VERIFY_CERTIFICATES``) with a TLS 1.2 floor (1.3 is
still negotiated) against the system trust store. With a configured CA bundle
(``endpoints.ca_bundle``: the sandbox's CA, or a corporate one) the ``https``
download handler becomes :class:`CABundleDownloadHandler`, which trusts exactly
that bundle. That handler replaces the private ``_contextFactory`` attribute of
Scrapy's ``HTTP11DownloadHandler`` -- the reason ``scrapy==2.19.0`` is pinned;
``tests/test_tls.py`` proves it still refuses what it must.

:func:`ssl_context` is the same policy for the few calls outside Scrapy (the
login API through urllib, the sandbox clock), and :func:`describe_tls_error`
turns the nested Twisted/OpenSSL/ssl errors into one line that names the court
and host: ``TLS refused for cand (ecf.cand.uscourts.gov): certificate verify
failed (unable to get local issuer certificate)``.
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any, cast

from OpenSSL import SSL
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from service_identity import VerificationError
from service_identity.exceptions import CertificateError
from twisted.internet.ssl import (
    Certificate,
    TLSVersion,
    optionsForClientTLS,
    trustRootFromCertificates,
)
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from harvester.errors import ConfigError, HarvesterError

MIN_TLS = "TLSv1.2"
HTTP11_HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
CA_FILE_SETTING = "HARVESTER_CA_FILE"
_NAME_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


class TLSRefused(HarvesterError):
    """A TLS handshake the policy refused; the message names the court and host."""


def tls_settings(ca_file: str | None = None) -> dict[str, Any]:
    """Scrapy settings for verified TLS >= 1.2, trusting ``ca_file`` alone when given."""
    settings: dict[str, Any] = {
        "DOWNLOAD_VERIFY_CERTIFICATES": True,
        "DOWNLOAD_TLS_MIN_VERSION": MIN_TLS,
    }
    # Named, never left to Scrapy's default: without an installed reactor Scrapy 2.19 picks its
    # experimental aiohttp handler, whose TLS is not the one this policy was checked against.
    settings["DOWNLOAD_HANDLERS"] = {"https": HTTP11_HANDLER}
    if ca_file:
        load_ca_bundle(ca_file)  # fail now, with a clear message, not at the first request
        settings[CA_FILE_SETTING] = str(ca_file)
        settings["DOWNLOAD_HANDLERS"] = {"https": f"{__name__}.CABundleDownloadHandler"}
    return settings


def ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The same policy for urllib/http.client: verify chain and host name, TLS 1.2 minimum."""
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load CA bundle {ca_file}: {exc}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def load_ca_bundle(ca_file: str | Path) -> list[Certificate]:
    """Every certificate of a PEM bundle; ConfigError when there is none."""
    try:
        data = Path(ca_file).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read CA bundle {ca_file}: {exc.strerror}") from None
    try:
        certs = [Certificate.loadPEM(block) for block in _PEM_CERT.findall(data)]
    except SSL.Error as exc:
        raise ConfigError(f"CA bundle {ca_file} holds an unreadable certificate: {exc}") from None
    if not certs:
        raise ConfigError(f"CA bundle {ca_file} holds no PEM certificate")
    return certs


@implementer(IPolicyForHTTPS)
class _CABundlePolicy:
    """Twisted's verifying connection creator, trusting only the bundle's certificates."""

    def __init__(self, certificates: list[Certificate]) -> None:
        self._trust_root = trustRootFromCertificates(certificates)

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        return optionsForClientTLS(
            hostname=hostname.decode("ascii"),
            trustRoot=self._trust_root,
            extraCertificateOptions={"raiseMinimumTo": TLSVersion.TLSv1_2},
        )


class CABundleDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler with a trust store of exactly ``HARVESTER_CA_FILE``."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        if not hasattr(self, "_contextFactory"):
            raise RuntimeError(
                "Scrapy's HTTP11DownloadHandler no longer has _contextFactory; "
                "harvester.gate.tls supports scrapy==2.19.0 only"
            )
        ca_file = crawler.settings.get(CA_FILE_SETTING)
        if not ca_file:
            raise ConfigError(f"{type(self).__name__} needs the {CA_FILE_SETTING} setting")
        # cast: mypy cannot see zope's @implementer(IPolicyForHTTPS) on the class.
        self._contextFactory = cast(IPolicyForHTTPS, _CABundlePolicy(load_ca_bundle(ca_file)))


def probe_tls(host: str, port: int, ca_file: str | None = None, timeout: float = 15.0) -> str | None:
    """One TLS handshake with ``host:port`` under the policy: why it is refused, or None when it is accepted.

    Twisted reports a server that only speaks TLS 1.1 as a plain "connection lost", which
    would be retried as a network fault; this names it. Connection errors return None
    (the request itself will meet them and be retried as usual).
    """
    import socket

    context = ssl_context(ca_file)
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                return None
    except ssl.SSLError as exc:
        return describe_tls_error(exc) or f"TLS handshake failed ({_first_line(exc)})"
    except OSError:
        return None


def describe_tls_error(exc: BaseException) -> str | None:
    """A short reason when ``exc`` (or anything it wraps) is a TLS failure, else None."""
    for inner in _causes(exc):
        if isinstance(inner, (VerificationError, CertificateError)):
            return f"certificate does not match the host name ({_first_line(inner)})"
        if isinstance(inner, ssl.SSLCertVerificationError):
            if inner.verify_code in _NAME_MISMATCH:
                return f"certificate does not match the host name ({inner.verify_message})"
            return f"certificate verify failed ({inner.verify_message})"
        if isinstance(inner, (SSL.Error, ssl.SSLError)):
            return _openssl_reason(inner)
    return None


def tls_refused(court: str, host: str, reason: str) -> TLSRefused:
    return TLSRefused(f"TLS refused for {court} ({host}): {reason}")


def _openssl_reason(exc: BaseException) -> str:
    text = str(exc)
    lowered = text.lower()
    if "certificate verify failed" in lowered:
        detail = re.search(r"certificate verify failed[:\s]*\(?([^)'\]]*)", text, re.I)
        return "certificate verify failed" + (f" ({detail.group(1).strip()})" if detail and detail.group(1).strip() else "")
    if "unsupported protocol" in lowered or "protocol version" in lowered or "no protocols available" in lowered:
        return f"the server offers no TLS version >= 1.2 ({_first_line(exc)})"
    return f"TLS handshake failed ({_first_line(exc)})"


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps: causes, contexts, Twisted failures and their lists."""
    seen: list[BaseException] = []
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or any(item is s for s in seen):
            continue
        if hasattr(item, "value") and isinstance(item.value, BaseException):  # a Twisted Failure
            stack.append(item.value)
            continue
        if not isinstance(item, BaseException):
            continue
        seen.append(item)
        stack.extend([item.__cause__, item.__context__])
        for attr in ("reasons", "args"):
            value = getattr(item, attr, None)
            if isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, BaseException) or hasattr(v, "value"))
                for v in value:
                    if isinstance(v, (list, tuple)):
                        stack.extend(v)
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
