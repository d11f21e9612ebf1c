"""Structured logs: one JSON object per line (``ONAIR_LOG_FORMAT=json``) or readable text.

Secrets never reach a log line: every line is passed through :func:`redact`, which blanks
bearer and basic credentials, anything that looks like a JWT, and the values of secret-named
query parameters and fields (``token=``, ``ticket=``, ``key=``, TURN ``credential``,
``password``...). A client that still puts its login token in a URL, such as
``/ws?token=...``, is logged as ``/ws?token=[redacted]``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

CHATTY = ("aioice", "aiortc", "uvicorn.access")  # every ICE check, every request: --verbose
_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}
REDACTED = "[redacted]"
_SECRET_NAMES = (
    r"(?:access_token|token|ticket|stream_?key|key|credential|password|secret|authorization)"
)
_PATTERNS = (
    # Authorization: Bearer <token> / Basic <credentials>, wherever they are written.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+"), rf"\1\2{REDACTED}"),
    # A JWT anywhere (header.payload.signature, the header always starts with '{"').
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # ?token=...&key=... in URLs and query strings.
    (re.compile(rf"(?i)([?&;]{_SECRET_NAMES}=)[^&\s\"'#]+"), rf"\1{REDACTED}"),
    # "credential": "...", 'password': '...', token=... in JSON, reprs and key=value text.
    (
        re.compile(
            rf"(?i)([\"']?\b{_SECRET_NAMES}[\"']?\s*[:=]\s*[\"']?)"
            rf"(?!{re.escape(REDACTED)}|(?:bearer|basic)\s)[^\s\"',&}}]+"
        ),
        rf"\1{REDACTED}",
    ),
)


def redact(text: str) -> str:
    """``text`` with every credential it contains replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """The text formatter, with :func:`redact` applied to the whole line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update({k: _redacted(v) for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=lambda value: redact(str(value)))


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def log_config(level: str | None = None, fmt: str | None = None) -> dict[str, Any]:
    """A logging.dictConfig for our loggers and uvicorn's, text or JSON, both redacted. The
    console keeps to what a person needs (startup, URLs, warnings, errors): the ``CHATTY``
    loggers only say more than warnings at DEBUG (``ONAIR_LOG_LEVEL=debug``, ``--verbose``)."""
    level = (level or os.environ.get("ONAIR_LOG_LEVEL", "info")).upper()
    chatty = level if level == "DEBUG" else max(level, "WARNING", key=logging.getLevelName)
    fmt = fmt or os.environ.get("ONAIR_LOG_FORMAT", "text")
    formatter = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {
            "()": RedactingFormatter,
            "format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        }
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main"}
    loggers: dict[str, dict[str, Any]] = {
        name: {"handlers": ["console"], "level": level, "propagate": False}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    }
    for name in CHATTY:
        loggers.setdefault(name, {})["level"] = chatty
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers,
    }
