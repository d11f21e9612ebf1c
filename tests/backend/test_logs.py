"""Structured logs are one JSON object per line with the extra fields kept; no log line, text
or JSON, carries a secret."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from backend.logs import JsonFormatter, RedactingFormatter, log_config, redact
from onair_cli import build_parser


def test_json_formatter_keeps_extra_fields_and_exceptions() -> None:
    record = logging.makeLogRecord(
        {
            "name": "onair.test",
            "levelname": "WARNING",
            "msg": "gift %s",
            "args": ("refused",),
            "battleId": "b1",
        }
    )
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "gift refused"
    assert entry["level"] == "warning" and entry["battleId"] == "b1"
    assert "ValueError: boom" in entry["exception"]


def test_log_config_routes_uvicorn_through_the_same_formatter() -> None:
    config = log_config(level="debug", fmt="json")
    assert config["formatters"]["main"]["()"] is JsonFormatter
    assert config["loggers"]["uvicorn.access"]["level"] == "DEBUG"
    text = log_config(fmt="text")["formatters"]["main"]
    assert text["()"] is RedactingFormatter and "format" in text


LOG_SOME = """
import logging, logging.config
from backend.logs import log_config
logging.config.dictConfig(log_config())
logging.getLogger("aioice.ice").info("Connection(0) Check CandidatePair succeeded")
logging.getLogger("uvicorn.access").info("GET /api/health 200")
logging.getLogger("aiortc.rtcrtpsender").warning("sender trouble")
logging.getLogger("backend.app").info("backend started")
"""


def console_of(level: str | None) -> str:
    """What a backend's console shows for a few typical lines at ``level``."""
    env = {k: v for k, v in os.environ.items() if k != "ONAIR_LOG_LEVEL"}
    if level:
        env["ONAIR_LOG_LEVEL"] = level
    done = subprocess.run(
        [sys.executable, "-c", LOG_SOME], env=env, capture_output=True, text=True, check=True
    )
    return done.stderr


def test_the_console_keeps_to_what_a_person_needs_unless_verbose() -> None:
    quiet = console_of(None)
    assert "backend started" in quiet and "sender trouble" in quiet
    assert "CandidatePair" not in quiet and "GET /api/health" not in quiet
    verbose = console_of("debug")
    assert "CandidatePair" in verbose and "GET /api/health" in verbose


def test_verbose_asks_for_every_log_line() -> None:
    args = build_parser().parse_args(["run", "--verbose"])
    assert args.verbose and not build_parser().parse_args(["serve"]).verbose


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLWhlcmU"
LEAKY_LINES = [
    f'127.0.0.1:5 - "WebSocket /ws?token={JWT}" [accepted]',
    '127.0.0.1:5 - "GET /ws?ticket=Zm9vYmFyYmF6cXV4&room=a HTTP/1.1" 101',
    "request headers: {'authorization': 'Bearer sk_stream_key_0123456789'}",
    "Authorization: Basic dXNlcjpzZWNyZXQtcGFzcw==",
    "ice servers: [{'urls': 'turn:turn.example:3478', 'username': '1796:u1', "
    "'credential': 'bWFjLW9mLXR1cm4tc2VjcmV0'}]",
    '{"username": "alice", "password": "hunter2-hunter2"}',
    "POST /whip/alice?key=sk_stream_key_0123456789 HTTP/1.1",
]
SECRETS = [
    JWT,
    "Zm9vYmFyYmF6cXV4",
    "sk_stream_key_0123456789",
    "dXNlcjpzZWNyZXQtcGFzcw==",
    "bWFjLW9mLXR1cm4tc2VjcmV0",
    "hunter2-hunter2",
]


@pytest.mark.parametrize("line", LEAKY_LINES)
def test_both_formats_redact_every_kind_of_secret(line: str) -> None:
    record = logging.makeLogRecord({"name": "uvicorn.error", "levelname": "INFO", "msg": line})
    text = RedactingFormatter("%(message)s").format(record)
    entry = json.loads(JsonFormatter().format(record))
    for written in (text, entry["message"]):
        assert "[redacted]" in written
        assert not [secret for secret in SECRETS if secret in written]


def test_redaction_keeps_the_rest_of_the_line() -> None:
    assert redact('"GET /ws?ticket=abc123&room=a HTTP/1.1" 101') == (
        '"GET /ws?ticket=[redacted]&room=a HTTP/1.1" 101'
    )
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer [redacted]"
    for harmless in ("token is missing", "tokens=3 keyframe=1", "the key fact"):
        assert redact(harmless) == harmless


def test_extra_fields_and_exceptions_are_redacted_too() -> None:
    record = logging.makeLogRecord(
        {"name": "onair", "levelname": "ERROR", "msg": "failed", "url": f"/ws?token={JWT}"}
    )
    try:
        raise ValueError(f"bad header Bearer {JWT}")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert JWT not in line and json.loads(line)["url"] == "/ws?token=[redacted]"
