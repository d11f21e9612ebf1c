"""The scene collection's file (``scenes.json`` next to the studio settings) and the starter
scenes a first start gets: "Camera", "Screen + camera", "Starting soon", "Be right back".

Like the settings file: written whole and atomically
(:func:`studio.core.settings_store.write_atomically`), kept saved by a
:class:`studio.core.settings_store.SettingsSaver`; a damaged file is set aside (renamed to
``scenes.json.corrupt-<time>``, named by :attr:`SceneStore.set_aside`) and the starter
scenes take its place, so a bad file never stops the studio from starting.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

from studio.core.scenes.model import (
    CANVASES,
    DEFAULT_CANVAS,
    Layer,
    SceneCollection,
    SceneError,
    Transform,
    new_id,
)
from studio.core.settings_store import config_dir, set_aside, write_atomically

log = logging.getLogger(__name__)

FILE_NAME: Final = "scenes.json"
CAMERA, SCREEN_AND_CAMERA, STARTING_SOON, BE_RIGHT_BACK = (
    "Camera",
    "Screen + camera",
    "Starting soon",
    "Be right back",
)


class SceneStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or config_dir()) / FILE_NAME
        self.set_aside: Path | None = None  # where the last load() moved a damaged file

    def load(self) -> SceneCollection:
        """The saved collection; the starter scenes when there is none or it is damaged."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return starter_collection()
        except OSError as exc:
            log.warning("ignoring unreadable scenes %s: %s", self.path, exc)
            return starter_collection()
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise SceneError(f"a JSON {type(data).__name__}, not an object")
            return SceneCollection.from_dict(data)
        except ValueError as exc:  # SceneError and JSON errors
            self.set_aside = set_aside(self.path, str(exc))
            return starter_collection()

    def save(self, collection: SceneCollection) -> None:
        self.write(collection.to_json())

    def write(self, text: str) -> None:
        write_atomically(self.path, text)


def starter_collection(canvas: str = DEFAULT_CANVAS) -> SceneCollection:
    """The scenes a new studio comes with (the "Camera" scene on air)."""
    width, height = CANVASES[canvas]
    collection = SceneCollection(canvas=canvas)
    camera = collection.add_source("camera", "Camera")
    screen = collection.add_source("screen", "Screen")
    backdrop = collection.add_source(
        "color", "Backdrop", {"color": "#1f2433", "gradient": "diagonal", "color2": "#5a3df0"}
    )
    soon = collection.add_source("text", "Starting soon", {"text": "Starting soon", "size": 96})
    back = collection.add_source("text", "Be right back", {"text": "Be right back", "size": 96})
    clock = collection.add_source("text", "Clock", {"mode": "clock", "size": 48})
    full = Transform.filling(width, height)
    corner = _corner(width, height)
    title = Transform(width // 8, height // 3, width * 3 // 4, height // 4, keep_aspect=True)
    under = Transform(width // 4, height * 3 // 5, width // 2, height // 10, keep_aspect=True)
    collection.add_scene(CAMERA, [_layer(camera.id, full)])
    collection.add_scene(SCREEN_AND_CAMERA, [_layer(screen.id, full), _layer(camera.id, corner)])
    collection.add_scene(
        STARTING_SOON, [_layer(backdrop.id, full), _layer(soon.id, title), _layer(clock.id, under)]
    )
    collection.add_scene(BE_RIGHT_BACK, [_layer(backdrop.id, full), _layer(back.id, title)])
    return collection


def _layer(source_id: str, transform: Transform) -> Layer:
    return Layer(new_id(), source_id, transform)


def _corner(width: int, height: int) -> Transform:
    """A camera box in the bottom-right corner: a quarter of the canvas's width, 16:9."""
    box_w = width // 4
    box_h = box_w * 9 // 16
    margin = max(16, width // 60)
    return Transform(width - box_w - margin, height - box_h - margin, box_w, box_h)
