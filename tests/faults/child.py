"""One backend in its own process, so a test can SIGKILL it: ``python -m tests.faults.child DB
PORT [DATABASE_URL [REDIS_URL]]``. Limits are high (the storms come from one address) and the
secret is fixed, so tokens issued before a kill still work after the restart."""

from __future__ import annotations

import sys
from pathlib import Path

import aioice.ice
import uvicorn

from backend.app import create_app
from backend.server import WS_IMPLEMENTATION
from backend.settings import Settings
from tests.loopback import loopback_only

SECRET = "faults-secret-" + "x" * 40


def settings_for(db_path: Path, port: int, database_url: str = "", redis_url: str = "") -> Settings:
    return Settings(
        db_path=db_path,
        database_url=database_url,
        redis_url=redis_url,
        port=port,
        jwt_secret=SECRET,
        allow_topup=True,
        rate_per_second=100_000.0,
        rate_burst=100_000,
        ip_rate_per_second=100_000.0,
        ip_rate_burst=100_000,
        guest_tokens_per_minute=100_000.0,
        ws_messages_per_second=1000.0,
    )


def main() -> None:
    # The node's SFU answers WHIP/WHEP on loopback (aioice skips 127.0.0.1 by itself).
    aioice.ice.get_host_addresses = loopback_only
    settings = settings_for(Path(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:5])
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=settings.port,
        ws=WS_IMPLEMENTATION,
        ws_max_size=settings.max_ws_message_bytes,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
