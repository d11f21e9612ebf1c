"""What every HTTP client of ours shares: one TLS context per process.

Unless handed one, httpx builds a TLS context for each client and loads certifi's CA bundle into
it: about 25 ms of CPU a client, paid by each WHEP player the studio starts, each event request
and each test's client. A context may serve any number of clients and connections.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default context (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR), built once."""
    return httpx.create_ssl_context()
