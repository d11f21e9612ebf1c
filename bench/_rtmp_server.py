"""A real RTMP ingest for tests and the outputs benchmark: nginx with its RTMP module.

Each server records every stream it receives (``record all``) into its own folder, so a test
reads back with ffprobe what arrived. :meth:`RtmpServer.kill` and :meth:`RtmpServer.start`
drop the server mid-stream and bring it back on the same port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench._processes import free_port

NGINX = "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

CONFIG = """\
load_module {module};
{user}
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{port};
        chunk_size 4096;
        application live {{
            live on;
            record all;
            record_path {root}/recordings;
            record_unique on;
        }}
    }}
}}
"""


@dataclass
class RtmpServer:
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    def recorded(self, key: str) -> list[Path]:
        """The non-empty files recorded for stream ``key``, oldest first."""
        files = [path for path in self.recordings.glob(f"{key}-*.flv") if path.stat().st_size]
        return sorted(files, key=lambda path: path.stat().st_mtime)

    def start(self) -> None:
        self.recordings.mkdir(parents=True, exist_ok=True)
        config = self.root / "nginx.conf"
        # As root, the worker stays root: it writes into the test's private temporary folder.
        user = "user root;" if os.geteuid() == 0 else ""
        config.write_text(
            CONFIG.format(module=RTMP_MODULE, user=user, root=self.root, port=self.port)
        )
        self.process = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(self.root), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("ab"),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.root / 'stderr.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def kill(self) -> None:
        """SIGKILL master and worker: every connection drops as in a crash."""
        if self.process is None:
            return
        workers = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in [self.process.pid, *map(int, workers)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(5)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: finishes the recordings
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None


@contextlib.contextmanager
def rtmp_server(root: Path) -> Iterator[RtmpServer]:
    """A server recording into ``root``/recordings until the block ends."""
    if not (Path(NGINX).exists() and Path(RTMP_MODULE).exists()):
        raise RuntimeError(
            "nginx with libnginx-mod-rtmp is missing: run scripts/bootstrap_system.sh"
        )
    root.mkdir(parents=True, exist_ok=True)
    server = RtmpServer(root, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
