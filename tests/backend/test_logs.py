"""Structured logs are one JSON object per line with the extra fields kept."""

from __future__ import annotations

import json
import logging
import sys

from backend.logs import JsonFormatter, log_config


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
    assert "format" in log_config(fmt="text")["formatters"]["main"]
