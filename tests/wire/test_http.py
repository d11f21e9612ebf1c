"""The shared TLS context: built once, and as strict as httpx's own default."""

from __future__ import annotations

import ssl

import httpx

from wire.http import tls_context


def test_every_client_gets_the_same_context() -> None:
    assert tls_context() is tls_context()


def test_the_shared_context_verifies_servers_as_httpx_would() -> None:
    shared, default = tls_context(), httpx.create_ssl_context()
    assert shared.verify_mode == default.verify_mode == ssl.CERT_REQUIRED
    assert shared.check_hostname and default.check_hostname
    assert shared.get_ca_certs() == default.get_ca_certs()
    assert shared.minimum_version == default.minimum_version
