"""Crash reports (no Qt): a crash is never silent.

:meth:`CrashReporter.start` keeps a rotating log file in the profile's data directory, points
:mod:`faulthandler` at a file there (a fatal error such as a segfault or an abort leaves its
traceback in it) and catches unhandled exceptions: the main thread's (``sys.excepthook``, which
PySide6 also calls for an exception in a Qt slot, and the app carries on), other threads' and
those the asyncio loop reports (:meth:`CrashReporter.handle_loop_exception`). Each becomes a
report in ``crash-reports/``: what happened, the log's tail, versions, and a summary of the
settings that never includes the session token (the whole report is also scrubbed of tokens,
passwords and keys). A fatal error is written up on the next start, from the file
:mod:`faulthandler` left behind. The UI offers each report once (:meth:`pending`,
:meth:`mark_offered`).
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import logging
import logging.handlers
import os
import platform
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from studio.core.profiles import Profile
from studio.core.settings_store import StudioSettings

log = logging.getLogger(__name__)

LOG_NAME = "studio.log"
FATAL_NAME = "fatal.log"
REPORTS = "crash-reports"
OFFERED = "offered.txt"  # the names of the reports the user was told about
LOG_BYTES, LOG_BACKUPS = 2_000_000, 3
TAIL_LINES = 200
KEEP_REPORTS = 20
MAX_REPORTS_PER_RUN = 5  # an error repeating in a timer makes one report, not thousands
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DISTRIBUTIONS = (
    "onair-studio",
    "PySide6-Essentials",
    "aiortc",
    "av",
    "mediapipe",
    "numpy",
    "opencv-contrib-python",
)
# An allow-list: a field added later (a key, a password) stays out until someone adds it here.
SUMMARY_FIELDS = (
    "backend_url",
    "username",
    "remember",
    "source",
    "compare",
    "enabled_effects",
    "battle_minutes",
    "video_codec",
)
REDACTED = "[redacted]"
_SECRET_PATTERNS = (
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"),  # a JWT, wherever it appears
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),
    re.compile(r"(?i)((?:token|password|passwd|secret|key)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,}]+"),
    re.compile(r"(?i)(//[^/\s:@]+:)[^/\s@]+(@)"),  # user:password@ in a URL
)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0], "os": platform.platform()}
    for name in DISTRIBUTIONS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def settings_summary(settings: StudioSettings | None) -> dict[str, Any]:
    if settings is None:
        return {}
    values = settings.to_dict()
    return {name: values[name] for name in SUMMARY_FIELDS if name in values}


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` without the given secret values, tokens, passwords or keys."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(
            lambda m: (
                (m.group(1) if m.groups() else "")
                + REDACTED
                + (m.group(2) if (m.lastindex or 0) >= 2 else "")
            ),
            text,
        )
    return text


class CrashReporter:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.folder = profile.data_dir
        self.reports_dir = self.folder / REPORTS
        self.settings: StudioSettings | None = None  # summarised in reports once known
        self.on_report: Callable[[Path], None] | None = None  # the UI: tell the user now
        self._previous_fatal = ""
        self._previous_tail = ""
        self._fatal_file: IO[str] | None = None
        self._signatures: set[str] = set()
        self._written = 0
        self._python_hook = sys.excepthook
        self._thread_hook = threading.excepthook

    @property
    def log_path(self) -> Path:
        return self.folder / LOG_NAME

    @property
    def fatal_path(self) -> Path:
        return self.folder / FATAL_NAME

    # ---- starting -------------------------------------------------------------------
    def start(self) -> None:
        """Log to the rotating file (and stderr), arm :mod:`faulthandler` and the exception
        hooks. What the last run's fatal error left is kept for :meth:`report_previous_run`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.fatal_path.exists():
            self._previous_fatal = self.fatal_path.read_text(errors="replace").strip()
            if self._previous_fatal:
                self._previous_tail = self._log_tail()  # before this run adds to it
        self._start_logging()
        self._fatal_file = self.fatal_path.open("w", encoding="utf-8")
        faulthandler.enable(self._fatal_file, all_threads=True)
        sys.excepthook = self._unhandled
        threading.excepthook = self._unhandled_in_thread

    def report_previous_run(self) -> Path | None:
        """Write up a fatal error of the last run (after :attr:`settings` is set)."""
        if not self._previous_fatal:
            return None
        log.error("the last run ended with a fatal error; writing a crash report")
        return self.write(
            "A fatal error stopped the studio", self._previous_fatal, self._previous_tail
        )

    def _start_logging(self) -> None:
        root = logging.getLogger()
        root.setLevel(logging.INFO)
        to_file = logging.handlers.RotatingFileHandler(
            self.log_path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
        for handler in (to_file, logging.StreamHandler()):
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            root.addHandler(handler)

    # ---- catching -------------------------------------------------------------------
    def _unhandled(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            log.critical("unhandled exception", exc_info=(kind, error, tb))
            self.report_exception("An unhandled error", (kind, error, tb))
        self._python_hook(kind, error, tb)

    def _unhandled_in_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not issubclass(args.exc_type, SystemExit):
            where = args.thread.name if args.thread is not None else "a thread"
            info = (args.exc_type, args.exc_value, args.exc_traceback)
            log.critical("unhandled exception in %s", where, exc_info=info)
            self.report_exception(f"An unhandled error in {where}", info)
        self._thread_hook(args)

    def handle_loop_exception(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        """The asyncio loop's exception handler: log as asyncio does, and report errors."""
        loop.default_exception_handler(context)
        error = context.get("exception")
        if isinstance(error, Exception):
            what = context.get("message") or "An error in the event loop"
            self.report_exception(str(what), (type(error), error, error.__traceback__))

    def report_exception(self, title: str, info: ExcInfo) -> Path | None:
        """A report for this exception, unless the same one was reported already."""
        frames = traceback.extract_tb(info[2])
        place = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        signature = f"{info[0].__name__}@{place}"
        if signature in self._signatures or self._written >= MAX_REPORTS_PER_RUN:
            return None
        self._signatures.add(signature)
        return self.write(title, "".join(traceback.format_exception(*info)).rstrip())

    # ---- reports --------------------------------------------------------------------
    def write(self, title: str, details: str, tail: str | None = None) -> Path | None:
        """Write a report; its path, or None when even that failed (logged)."""
        try:
            path = self._write(title, details, self._log_tail() if tail is None else tail)
        except OSError as exc:
            log.error("could not write a crash report to %s: %s", self.reports_dir, exc)
            return None
        self._written += 1
        log.error("crash report written: %s", path)
        if self.on_report is not None:
            try:
                self.on_report(path)
            except Exception:  # telling the UI must never raise out of an exception hook
                log.exception("could not show the crash report")
        return path

    def _write(self, title: str, details: str, tail: str) -> Path:
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        text = "\n".join(
            [
                f"OnAir Studio crash report: {title}",
                f"Time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
                f"Profile: {self.profile.name}",
                "",
                "## What happened",
                details,
                "",
                "## Versions",
                *(f"{name}: {value}" for name, value in versions().items()),
                "",
                "## Settings (a summary: never the session token)",
                json.dumps(settings_summary(self.settings), indent=2),
                "",
                f"## The log's last {TAIL_LINES} lines",
                tail,
                "",
            ]
        )
        secrets = [self.settings.token] if self.settings is not None else []
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.reports_dir / f"crash-{stamp}-{os.getpid()}-{self._written + 1}.txt"
        path.write_text(scrub(text, secrets), encoding="utf-8")
        path.chmod(0o600)
        self._prune()
        return path

    def pending(self) -> list[Path]:
        """Reports not yet offered to the user, newest first."""
        offered = self._offered()
        return [p for p in reversed(self._reports()) if p.name not in offered]

    def mark_offered(self, report: Path) -> None:
        """Remember that ``report`` was offered: it is not offered again."""
        names = self._offered() | {report.name}
        kept = sorted(names & {p.name for p in self._reports()})
        (self.reports_dir / OFFERED).write_text("".join(f"{n}\n" for n in kept), encoding="utf-8")

    def _offered(self) -> set[str]:
        try:
            return set((self.reports_dir / OFFERED).read_text(encoding="utf-8").split())
        except OSError:
            return set()

    def _reports(self) -> list[Path]:
        """Every report, oldest first."""
        if not self.reports_dir.is_dir():
            return []
        found = self.reports_dir.glob("crash-*.txt")
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def _prune(self) -> None:
        for old in self._reports()[:-KEEP_REPORTS]:
            old.unlink(missing_ok=True)

    def _log_tail(self) -> str:
        for handler in logging.getLogger().handlers:
            handler.flush()
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log file)"
        return "\n".join(lines[-TAIL_LINES:])
