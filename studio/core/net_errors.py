"""Network failures in words a streamer can act on, instead of exception class names."""

from __future__ import annotations

import json

import httpx

LINK_FAILED = "the media connection failed"
NO_RECEIVER_REPORTS = "the server stopped confirming what it receives"


def describe_failure(exc: BaseException) -> str:
    """What went wrong reaching a server, as a phrase ("nothing answers at that address …")."""
    if isinstance(exc, httpx.ConnectError):
        return "nothing answers there — is the server running, and is the address right?"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "the server took too long to answer"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection"
    if isinstance(exc, httpx.TransportError):
        return "the network failed on the way to the server"
    if isinstance(exc, OSError):
        return f"the network failed ({exc.strerror or exc})"
    return str(exc) or "the connection failed"


def server_refusal(status: int, body: str) -> str:
    """A refusal's own message when the body is our JSON error, else the status."""
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = ""
    return f"The server refused the stream: {message or f'HTTP {status}'}"
