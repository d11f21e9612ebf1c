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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.services.admin import AccountFlag

# `onair bench` with no suite runs these
BENCHMARKS = ("backend", "filters", "media", "scenes", "outputs")
LONG_BENCHMARKS = ("soak", "studio")  # only when named
DEMO_STREAMER, DEMO_PASSWORD = "alice", "onair-demo"


def _serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the backend (REST, WebSocket, media, viewer page)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--db", type=Path, default=None, help="SQLite file (default: user data dir)")
    serve.add_argument("--demo", action="store_true", help="seed demo users, coins and gifts")
    serve.add_argument("--allow-topup", action="store_true", help="enable the dev coin top-up")
    serve.add_argument("--workers", type=int, default=1)
    _verbose_flag(serve)
    serve.add_argument("--redis-url", default=os.environ.get("ONAIR_REDIS_URL", ""))
    serve.add_argument(
        "--database-url",
        default=os.environ.get("ONAIR_DATABASE_URL", ""),
        help="PostgreSQL URL (postgresql://user:password@host/db) shared by several nodes "
        "(default: the SQLite file of --db)",
    )
    serve.add_argument(
        "--node-url",
        default=os.environ.get("ONAIR_NODE_URL", ""),
        help="with --database-url: where the other nodes reach this one, e.g. "
        "http://10.0.0.11:8765 (default: http://HOST:PORT); media requests for a stream "
        "published here are forwarded to it",
    )
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
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        default=[p for p in os.environ.get("ONAIR_TRUSTED_PROXIES", "").split(",") if p],
        help="a reverse proxy's address or network whose X-Forwarded-For names the client "
        "(repeatable; default: 127.0.0.1 and ::1, a proxy on this machine)",
    )


def _admin_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser(
        "admin",
        help="account roles (grant, revoke); account flags (flags, resolve-flag); copy a SQLite"
        " database to PostgreSQL",
    )
    actions = admin.add_subparsers(dest="action", required=True)
    for action in ("grant", "revoke"):
        role = actions.add_parser(action, help=f"{action} administrator rights")
        role.add_argument("username")
        _database_flags(role)
    flags = actions.add_parser(
        "flags", help="accounts that need a look, e.g. a refund that found the coins spent"
    )
    flags.add_argument("--all", action="store_true", help="resolved flags too")
    _database_flags(flags)
    resolve = actions.add_parser("resolve-flag", help="close a flag, saying what was done")
    resolve.add_argument("flag_id")
    resolve.add_argument("--note", required=True, help="what was done about it (kept)")
    _database_flags(resolve)
    move = actions.add_parser(
        "migrate-to-postgres",
        help="copy a SQLite database into an empty PostgreSQL database and verify the totals",
    )
    move.add_argument("--from", dest="source", type=Path, required=True, help="SQLite file")
    move.add_argument("--to", dest="target", required=True, help="postgresql://user@host/db")


def _database_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: data dir)")
    parser.add_argument("--database-url", default=os.environ.get("ONAIR_DATABASE_URL", ""))


def _verbose_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="log everything, ICE checks and each request included (ONAIR_LOG_LEVEL=debug)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onair", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    run = sub.add_parser("run", help="backend with demo data plus the studio (headless: URLs)")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument("--db", type=Path, default=None)
    _verbose_flag(run)
    studio = sub.add_parser("studio", help="the desktop studio")
    studio.add_argument(
        "--backend", default=None, help="backend URL (default: the profile's last one)"
    )
    studio.add_argument(
        "--profile",
        default=None,
        help="a profile keeps its own sign-in and settings (a second account on one machine)",
    )
    _admin_parser(sub)
    push = sub.add_parser("push", help="(started by the studio) one output's push process")
    push.add_argument("parent", help="the studio's process id")
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
    bench.add_argument(
        "--baseline",
        default=None,
        metavar="REV",
        help="backend: also measure gifts/s of this git revision's backend, in the same run",
    )
    bench.add_argument(
        "--chat-only", action="store_true", help="backend: only the chat fan-out (and --baseline)"
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
        # Nodes on separate machines sign tokens with one shared secret (else: a file by --db).
        jwt_secret=os.environ.get("ONAIR_JWT_SECRET", ""),
    )
    if args.db is not None:
        settings = settings.with_overrides(db_path=args.db)
    if getattr(args, "redis_url", ""):
        settings = settings.with_overrides(redis_url=args.redis_url)
    if getattr(args, "database_url", ""):
        from backend.storage.engines import check_database_url

        try:
            check_database_url(args.database_url)
        except ValueError as exc:
            raise SystemExit(f"onair serve: {exc}") from None
        settings = settings.with_overrides(database_url=args.database_url)
    media = {
        "whip_url_template": getattr(args, "whip_url", ""),
        "whep_url_template": getattr(args, "whep_url", ""),
        "node_url": getattr(args, "node_url", ""),
        "cors_origins": tuple(getattr(args, "cors_origin", None) or ()),
        "trusted_proxies": tuple(getattr(args, "trusted_proxy", None) or ()),
    }
    coins = {  # the coin shop (README: Coins)
        "coins_provider": os.environ.get("ONAIR_COINS_PROVIDER", ""),
        "coin_packages": os.environ.get("ONAIR_COIN_PACKAGES", ""),
        "coin_currency": os.environ.get("ONAIR_COIN_CURRENCY", "").lower(),
        "stripe_secret_key": os.environ.get("STRIPE_SECRET_KEY", ""),
        "stripe_webhook_secret": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "public_url": os.environ.get("ONAIR_PUBLIC_URL", "").rstrip("/"),  # checkouts return here
    }
    try:  # Settings checks templates, proxies, coins; a mistake is a message, not a traceback.
        settings = settings.with_overrides(**{k: v for k, v in {**media, **coins}.items() if v})
    except ValueError as exc:
        raise SystemExit(f"onair serve: {exc}") from None
    return settings


def _migrate_to_postgres(args: argparse.Namespace) -> int:
    from backend.storage.copy import CopyRefused, copy_sqlite_to_postgres
    from backend.storage.engines import check_database_url

    try:
        check_database_url(args.target)
        report = copy_sqlite_to_postgres(args.source, args.target)
    except (CopyRefused, ValueError) as exc:
        print(f"onair admin migrate-to-postgres: {exc}")
        return 1
    for table, rows in report.rows.items():
        print(f"  {table:<28} {rows:>9} rows")
    for name, (before, after) in report.totals.items():
        print(f"  {name:<40} SQLite {before:>12}  PostgreSQL {after:>12}")
    if not report.ok:
        print("The copy does not match:\n  " + "\n  ".join(report.mismatches))
        return 1
    print("Copied; every table's rows and every total match.")
    return 0


def _admin(args: argparse.Namespace) -> int:
    from backend.errors import DomainError
    from backend.services.admin import account_flags, resolve_flag, set_role
    from backend.settings import Settings
    from backend.storage.engines import open_database

    if args.action == "migrate-to-postgres":
        return _migrate_to_postgres(args)
    db = open_database(args.db or Settings().db_path, args.database_url)
    try:
        if args.action == "flags":
            _print_flags(account_flags(db, include_resolved=args.all))
        elif args.action == "resolve-flag":
            flag = resolve_flag(db, args.flag_id, args.note)
            print(f"Resolved {flag.id} ({flag.username}, {flag.reason}): {flag.resolution}")
        else:
            set_role(db, args.username, "admin" if args.action == "grant" else "user")
            state = "now" if args.action == "grant" else "no longer"
            print(f"{args.username} is {state} an administrator.")
    except DomainError as exc:
        print(f"onair admin: {exc.message}")
        return 1
    finally:
        db.close()
    return 0


def _print_flags(flags: list[AccountFlag]) -> None:
    if not flags:
        print("No account flags need a look.")
        return
    for flag in flags:
        state = f"resolved {flag.resolved_at}: {flag.resolution}" if flag.resolved_at else "open"
        print(
            f"{flag.id}  {flag.created_at}  {flag.username}  {flag.reason}  "
            f"{flag.coins} coins  ref {flag.ref_id}  [{state}]\n    {flag.note}"
        )


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
    from studio.core.child_process import start_in_own_session

    backend = start_in_own_session(command)
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
    if getattr(args, "verbose", False):
        os.environ["ONAIR_LOG_LEVEL"] = "debug"  # the backend `run` starts inherits it
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
    if args.command == "push":
        return int(importlib.import_module("studio.core.push_child").main([args.parent]))
    if args.command == "bench":
        unknown = sorted(set(args.suites) - set(BENCHMARKS + LONG_BENCHMARKS))
        if unknown:
            print(f"onair bench: unknown suite(s) {unknown}; choose from {BENCHMARKS}")
            return 2
        for suite in args.suites or BENCHMARKS:
            module = importlib.import_module(f"bench.{suite}")
            suite_options = _suite_options(suite, args)
            module.main(suite_options) if suite_options else module.main()
        return 0
    return 2


def _suite_options(suite: str, args: argparse.Namespace) -> list[str]:
    if suite == "soak":
        return ["--minutes", str(args.minutes)]
    if suite == "backend":
        baseline = ["--baseline", args.baseline] if args.baseline else []
        return baseline + (["--chat-only"] if args.chat_only else [])
    return []


if __name__ == "__main__":
    sys.exit(main())
