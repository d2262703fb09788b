"""TLS modes: normal (1.2/1.3, sandbox CA), tls11 only, untrusted chain, wrong host name."""

from __future__ import annotations

import socket
import ssl

import pytest
from sandbox_support import START, Client

from harvester.sandbox import Sandbox, SandboxError

pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")


def verifying_context(ca_bundle: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_bundle)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def handshake(sb: Sandbox, ctx: ssl.SSLContext, server_hostname: str = "127.0.0.1") -> str:
    with socket.create_connection((sb.host, sb.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
            return tls.version()


def old_protocol_client(max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_1) -> ssl.SSLContext:
    """A client that speaks only old TLS (needs security level 0 on OpenSSL 3)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = max_version
    return ctx


def test_normal_mode_negotiates_tls13_and_refuses_tls11(tmp_path):
    with Sandbox(cases=0, start=START, state_dir=tmp_path) as sb:
        assert handshake(sb, verifying_context(sb.config["ca_bundle"])) == "TLSv1.3"
        only12 = verifying_context(sb.config["ca_bundle"])
        only12.maximum_version = ssl.TLSVersion.TLSv1_2
        assert handshake(sb, only12) == "TLSv1.2"
        with pytest.raises(ssl.SSLError):
            handshake(sb, old_protocol_client())
        assert Client(sb.config).get(sb.config["clock_url"]).status == 200


def test_tls11_mode_offers_only_old_protocols(tmp_path):
    with Sandbox(cases=0, start=START, state_dir=tmp_path, tls_mode="tls11") as sb:
        with pytest.raises(ssl.SSLError):
            handshake(sb, verifying_context(sb.config["ca_bundle"]))  # a TLS >= 1.2 client refuses
        assert handshake(sb, old_protocol_client()) in ("TLSv1.1", "TLSv1")
        permissive = old_protocol_client(ssl.TLSVersion.MAXIMUM_SUPPORTED)
        assert handshake(sb, permissive) in ("TLSv1.1", "TLSv1")  # never 1.2, even if the client could


def test_untrusted_mode_fails_verification(tmp_path):
    with Sandbox(cases=0, start=START, state_dir=tmp_path, tls_mode="untrusted") as sb:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            handshake(sb, verifying_context(sb.config["ca_bundle"]))
        assert "unable to get local issuer certificate" in str(caught.value) or "self" in str(caught.value)


def test_wrong_host_mode_fails_hostname_check_only(tmp_path):
    with Sandbox(cases=0, start=START, state_dir=tmp_path, tls_mode="wrong-host") as sb:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            handshake(sb, verifying_context(sb.config["ca_bundle"]))
        assert "mismatch" in str(caught.value) or "match" in str(caught.value)
        chain_only = verifying_context(sb.config["ca_bundle"])
        chain_only.check_hostname = False  # the chain itself is the sandbox CA's
        assert handshake(sb, chain_only) == "TLSv1.3"


def test_ca_is_kept_across_restarts_of_a_state_dir(tmp_path):
    with Sandbox(cases=0, start=START, state_dir=tmp_path) as first:
        ca_pem = (tmp_path / "ca.pem").read_bytes()
    with Sandbox(cases=0, start=START, state_dir=tmp_path) as second:
        assert (tmp_path / "ca.pem").read_bytes() == ca_pem
        assert handshake(second, verifying_context(str(tmp_path / "ca.pem"))) == "TLSv1.3"
    assert first.port and second.port


def test_unknown_tls_mode_is_a_clear_error(tmp_path):
    with pytest.raises(SandboxError, match="unknown TLS mode"):
        Sandbox(cases=0, state_dir=tmp_path, tls_mode="ssl3")
