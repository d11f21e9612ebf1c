"""A backend process for benchmarks: real uvicorn, limits raised so the load is not throttled."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.server import SETTINGS_ENV, WS_IMPLEMENTATION, settle_heap
from backend.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    settings = Settings(
        db_path=args.db,
        port=args.port,
        jwt_secret="bench-" + "s" * 40,
        allow_topup=True,
        rate_per_second=1e6,
        rate_burst=1_000_000,
        ip_rate_per_second=1e6,
        ip_rate_burst=1_000_000,
        guest_tokens_per_minute=1e6,
        trusted_proxies=("127.0.0.1",),  # the login storm plays many addresses
        ws_queue_size=1024,
        redis_url=args.redis_url,
        database_url=args.database_url,
    )
    target: FastAPI | str
    if args.workers > 1:
        os.environ[SETTINGS_ENV] = settings.to_json()
        target = "backend.server:app_from_environment"
    else:
        target = create_app(settings)
        settle_heap()  # as `onair serve` does
    uvicorn.run(
        target,
        factory=args.workers > 1,
        workers=args.workers if args.workers > 1 else None,
        host="127.0.0.1",
        port=args.port,
        ws=WS_IMPLEMENTATION,
        log_level="warning",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
