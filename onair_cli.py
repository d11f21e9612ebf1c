"""The `onair` command: serve the backend, run the studio, run benchmarks."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCHMARKS = ("backend", "filters", "media")  # `onair bench` with no suite runs these
LONG_BENCHMARKS = ("soak",)  # only when named
DEMO_STREAMER, DEMO_PASSWORD = "alice", "onair-demo"


def _serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the backend (REST, WebSocket, media, viewer page)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--db", type=Path, default=None, help="SQLite file (default: user data dir)")
    serve.add_argument("--demo", action="store_true", help="seed demo users, coins and gifts")
    serve.add_argument("--allow-topup", action="store_true", help="enable the dev coin top-up")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--redis-url", default=os.environ.get("ONAIR_REDIS_URL", ""))
    serve.add_argument(
        "--whip-url",
        default=os.environ.get("ONAIR_WHIP_URL", ""),
        help="WHIP URL template studios publish to, with {stream} (default: /whip/{stream})",
    )
    serve.add_argument(
        "--whep-url",
        default=os.environ.get("ONAIR_WHEP_URL", ""),
        help="WHEP URL template viewers play from, with {stream} (default: /whep/{stream})",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[o for o in os.environ.get("ONAIR_CORS_ORIGINS", "").split(",") if o],
        help="an origin whose pages may call this server (a media node: the backend's origin)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onair", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    run = sub.add_parser("run", help="backend with demo data plus the studio (headless: URLs)")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument("--db", type=Path, default=None)
    studio = sub.add_parser("studio", help="the desktop studio")
    studio.add_argument(
        "--backend", default=None, help="backend URL (default: the profile's last one)"
    )
    studio.add_argument(
        "--profile",
        default=None,
        help="a profile keeps its own sign-in and settings (a second account on one machine)",
    )
    admin = sub.add_parser("admin", help="account roles: grant or revoke administrator rights")
    admin.add_argument("action", choices=("grant", "revoke"))
    admin.add_argument("username")
    admin.add_argument("--db", type=Path, default=None, help="SQLite file (default: user data dir)")
    sub.add_parser(
        "selftest",
        help="headless check: effects on the sample source, publish and play back on loopback",
    )
    bench = sub.add_parser("bench", help="benchmarks: print numbers, assert nothing")
    bench.add_argument(
        "suites",
        nargs="*",
        help=f"any of {', '.join(BENCHMARKS + LONG_BENCHMARKS)} (default: {', '.join(BENCHMARKS)})",
    )
    bench.add_argument(
        "--minutes", type=float, default=60.0, help="soak: how long the studio stays live"
    )
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("onair-studio")
    except PackageNotFoundError:  # a frozen bundle without the distribution's metadata
        return "unknown"


def _selftest() -> int:
    """`onair selftest` against a backend started in this process on a free loopback port."""
    import socket
    import tempfile
    import threading

    import uvicorn

    from backend.app import create_app
    from backend.settings import Settings
    from studio.core import selftest

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    print(f"onair {version()} selftest")
    with tempfile.TemporaryDirectory(prefix="onair-selftest-") as folder:
        settings = Settings(db_path=Path(folder) / "onair.sqlite3", port=port)
        settings = settings.with_overrides(jwt_secret=settings.resolved_secret())
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, name="selftest-backend", daemon=True)
        thread.start()
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        if not server.started:
            print("[FAIL] backend: did not start (see the error above)\nselftest FAILED")
            return 1
        try:
            return selftest.run(f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            thread.join(20)


def _settings_from(args: argparse.Namespace) -> object:
    from backend.settings import Settings, ice_servers_from_env

    settings = Settings(
        host=getattr(args, "host", "127.0.0.1"),
        port=args.port,
        demo=getattr(args, "demo", True),
        allow_topup=getattr(args, "allow_topup", False) or getattr(args, "demo", True),
        ice_servers=ice_servers_from_env(),
        metrics_token=os.environ.get("ONAIR_METRICS_TOKEN", ""),
    )
    if args.db is not None:
        settings = settings.with_overrides(db_path=args.db)
    if getattr(args, "redis_url", ""):
        settings = settings.with_overrides(redis_url=args.redis_url)
    media = {
        "whip_url_template": getattr(args, "whip_url", ""),
        "whep_url_template": getattr(args, "whep_url", ""),
        "cors_origins": tuple(getattr(args, "cors_origin", None) or ()),
    }
    try:  # Settings checks the templates; a mistake is a message, not a traceback.
        settings = settings.with_overrides(**{k: v for k, v in media.items() if v})
    except ValueError as exc:
        raise SystemExit(f"onair serve: {exc}") from None
    return settings


def _admin(args: argparse.Namespace) -> int:
    from backend.errors import DomainError
    from backend.services.admin import set_role
    from backend.settings import Settings
    from backend.storage.db import Database

    db = Database(args.db or Settings().db_path)
    try:
        set_role(db, args.username, "admin" if args.action == "grant" else "user")
    except DomainError as exc:
        print(f"onair admin: {exc.message}")
        return 1
    finally:
        db.close()
    state = "now" if args.action == "grant" else "no longer"
    print(f"{args.username} is {state} an administrator.")
    return 0


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


def _run_everything(args: argparse.Namespace) -> int:
    """`make run`: the backend with demo data, then the studio (a window, or headless)."""
    url = f"http://127.0.0.1:{args.port}"
    this_program = (
        [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "onair_cli"]
    )
    command = [*this_program, "serve", "--demo", "--port", str(args.port)]
    if args.db is not None:
        command += ["--db", str(args.db)]
    backend = subprocess.Popen(command)
    try:
        if not _wait_healthy(url, backend):
            print(f"onair run: the backend did not start on {url} (is the port in use?)")
            return 1
        print(f"\nViewer page:  {url}/watch/{DEMO_STREAMER}", flush=True)
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            studio_main = importlib.import_module("studio.ui.app").main
            return int(studio_main(["--backend", url]))
        print("No display: running the studio headless (sample source, default preset).")
        headless = importlib.import_module("studio.core.headless")
        return int(headless.run(url, DEMO_STREAMER, DEMO_PASSWORD))
    finally:
        backend.terminate()
        backend.wait(timeout=20)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from backend.server import serve

        return serve(_settings_from(args), workers=args.workers)  # type: ignore[arg-type]
    if args.command == "run":
        return _run_everything(args)
    if args.command == "studio":
        studio_main = importlib.import_module("studio.ui.app").main
        options = {"--backend": args.backend, "--profile": args.profile}
        return int(studio_main([part for o, v in options.items() if v for part in (o, v)]))
    if args.command == "admin":
        return _admin(args)
    if args.command == "selftest":
        return _selftest()
    if args.command == "bench":
        unknown = sorted(set(args.suites) - set(BENCHMARKS + LONG_BENCHMARKS))
        if unknown:
            print(f"onair bench: unknown suite(s) {unknown}; choose from {BENCHMARKS}")
            return 2
        for suite in args.suites or BENCHMARKS:
            module = importlib.import_module(f"bench.{suite}")
            module.main(["--minutes", str(args.minutes)]) if suite == "soak" else module.main()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
