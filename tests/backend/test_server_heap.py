"""`onair serve` settles the heap before it serves: what startup built is frozen out of the
cyclic collector's walks and young collections run less often (see backend.server.settle_heap).
Run in a child process: freezing is for the serving process, never the test runner's heap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.server import GC_YOUNG_THRESHOLD

pytestmark = pytest.mark.one_engine

# serve() up to the moment uvicorn would take the app; what the collector looks like then.
SERVE_UNTIL_RUN = """
import gc, json, sys
from pathlib import Path
import backend.server as server
from backend.settings import Settings

def run(app, **options):
    walked = any(o is app for o in gc.get_objects())
    print(json.dumps({"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold(),
                      "app_walked": walked}))

server.uvicorn.run = run
server.serve(Settings(db_path=Path(sys.argv[1]), port=0, jwt_secret="t" * 40))
"""


def test_serve_freezes_what_startup_built_before_serving(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_UNTIL_RUN, str(tmp_path / "onair.sqlite3")],
        capture_output=True,
        text=True,
        check=True,
    )
    state = json.loads(done.stdout.splitlines()[-1])
    assert not state["app_walked"]  # the app is no longer among the objects the collector walks
    assert state["frozen"] > 10_000
    assert state["threshold"][0] == GC_YOUNG_THRESHOLD
