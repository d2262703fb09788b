"""TLS policy: Scrapy (through the gate) and urllib refuse weak or wrong TLS, with clear errors.

The servers use the sandbox's own TLS modes (harvester.sandbox.tls): normal
(TLS 1.2-1.3, sandbox CA), untrusted (another CA), wrong-host, and tls11 (a
server that offers only TLS 1.0/1.1, built with OpenSSL 3 at security level 0).
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gate_crawl import crawl_in_subprocess
from gate_servers import LocalServer, sandbox_server

from harvester.errors import ConfigError
from harvester.gate.tls import (
    HTTP11_HANDLER,
    describe_tls_error,
    load_ca_bundle,
    ssl_context,
    tls_settings,
)

NIGHT = "2026-07-15T22:00:00-05:00"


@pytest.fixture()
def servers(tmp_path: Path):
    """One server per TLS case, all from the same sandbox CA directory."""
    made = {
        "tls12": sandbox_server("normal", tmp_path, max_version=ssl.TLSVersion.TLSv1_2),
        "tls13": sandbox_server("normal", tmp_path, min_version=ssl.TLSVersion.TLSv1_3),
        "untrusted": sandbox_server("untrusted", tmp_path),
        "wronghost": sandbox_server("wrong-host", tmp_path),
        "tls11": sandbox_server("tls11", tmp_path),
    }
    yield made
    for server in made.values():
        server.close()


def crawl(servers: dict[str, LocalServer], tmp_path: Path, ca_bundle: str = "", env: dict[str, str] | None = None) -> dict:
    spec = {
        "start": NIGHT,
        "config": {"endpoints": {"ca_bundle": ca_bundle}, "rate": {"per_court_per_second": 50, "global_per_second": 50}},
        "requests": [{"url": f"{s.base_url}/{court}", "court": court, "cost_estimate_pages": 0} for court, s in servers.items()],
    }
    return crawl_in_subprocess(spec, tmp_path, env=env)


def errors_by_court(result: dict) -> dict[str, tuple[str, str]]:
    return {url.rsplit("/", 1)[1]: (kind, message) for url, kind, message in result["errors"]}


def test_scrapy_with_the_ca_bundle_accepts_tls12_and_tls13_and_refuses_the_rest(servers, tmp_path: Path) -> None:
    result = crawl(servers, tmp_path, ca_bundle=str(tmp_path / "ca.pem"))
    ok = {url.rsplit("/", 1)[1]: status for url, status in result["responses"]}
    assert ok == {"tls12": 200, "tls13": 200}
    assert [h.tls_version for h in servers["tls12"].hits] == ["TLSv1.2"]
    assert [h.tls_version for h in servers["tls13"].hits] == ["TLSv1.3"]
    errors = errors_by_court(result)
    assert errors["untrusted"] == ("TLSRefusedError", "TLS refused for untrusted (127.0.0.1): certificate verify failed")
    assert errors["wronghost"][0] == "TLSRefusedError"
    assert errors["wronghost"][1].startswith("TLS refused for wronghost (127.0.0.1): certificate does not match the host name")
    assert errors["tls11"][0] == "TLSRefusedError"
    assert errors["tls11"][1].startswith("TLS refused for tls11 (127.0.0.1): the server offers no TLS version >= 1.2")
    for court in ("untrusted", "wronghost", "tls11"):
        assert servers[court].hits == []  # no request got through the handshake
    assert result["stats"]["gate/tls_refused"] == 3
    assert result["stats"]["gate/breaker/tripped"] == 3  # each refusing court is blocked for the night
    assert "TLS refused for untrusted (127.0.0.1): certificate verify failed" in result["log"]


def test_scrapy_without_a_bundle_uses_the_system_store(servers, tmp_path: Path) -> None:
    only_good = {"tls13": servers["tls13"]}
    refused = crawl(only_good, tmp_path, env={"SSL_CERT_FILE": "/nonexistent"})
    assert refused["responses"] == []
    assert errors_by_court(refused)["tls13"][1].startswith("TLS refused for tls13 (127.0.0.1): certificate verify failed")
    # OpenSSL's default paths honour SSL_CERT_FILE: the sandbox CA becomes the system store.
    trusted = crawl(only_good, tmp_path, env={"SSL_CERT_FILE": str(tmp_path / "ca.pem")})
    assert [status for _, status in trusted["responses"]] == [200]


def test_urllib_context_has_the_same_policy(servers, tmp_path: Path) -> None:
    context = ssl_context(str(tmp_path / "ca.pem"))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2 and context.check_hostname
    for court in ("tls12", "tls13"):
        with urllib.request.urlopen(servers[court].base_url + "/x", context=context, timeout=10) as reply:
            assert reply.status == 200
    expected = {
        "untrusted": "certificate verify failed (unable to get local issuer certificate)",
        "wronghost": "certificate does not match the host name (IP address mismatch",
        "tls11": "the server offers no TLS version >= 1.2",
    }
    for court, reason in expected.items():
        with pytest.raises(urllib.error.URLError) as caught:
            urllib.request.urlopen(servers[court].base_url + "/x", context=context, timeout=10)
        assert describe_tls_error(caught.value).startswith(reason)


def test_settings_and_bundle_errors(tmp_path: Path) -> None:
    assert tls_settings() == {"DOWNLOAD_VERIFY_CERTIFICATES": True, "DOWNLOAD_TLS_MIN_VERSION": "TLSv1.2",
                              "DOWNLOAD_HANDLERS": {"https": HTTP11_HANDLER}}
    with pytest.raises(ConfigError, match="cannot read CA bundle"):
        tls_settings(str(tmp_path / "missing.pem"))
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificates here\n")
    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        load_ca_bundle(empty)
    with pytest.raises(ConfigError, match="cannot load CA bundle"):
        ssl_context(str(empty))


def test_describe_is_none_for_other_errors() -> None:
    assert describe_tls_error(ConnectionRefusedError("nope")) is None
    assert describe_tls_error(TimeoutError()) is None
