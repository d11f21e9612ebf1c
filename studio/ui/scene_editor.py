"""What the scene docks and the preview's layer overlay edit: the broadcast's scene collection,
seen as rows and boxes, plus which layer is selected.

:class:`SceneEditor` turns the collection's edits into three Qt signals (scenes, layers,
selection), so the scenes dock, the sources dock and the overlay on the preview follow each
other whichever one a person used. The collection itself (``studio.core.scenes``) is plain
Python; the compositor reads it for every frame, so every edit here shows on the preview and
on the stream. The window opens the collection once it runs (``Broadcast.use_scenes``);
until then the editor is not :attr:`~SceneEditor.ready` and shows no scenes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final

from PySide6.QtCore import QObject, Signal

from filters.params import ParamValue
from studio.core.broadcast import Broadcast
from studio.core.scenes import capture
from studio.core.scenes.model import (
    CANVASES,
    DEFAULT_CANVAS,
    Layer,
    SceneCollection,
    SourceConfig,
    Transform,
    Transition,
)
from studio.core.scenes.sources import KINDS, ScreenSource, WindowSource
from studio.ui.layer_geometry import Box
from studio.ui.layer_overlay import LayerBox

TRANSITION_LABELS: Final = {Transition.CUT: "Cut", Transition.FADE: "Fade"}
CANVAS_LABELS: Final = {
    "1280x720": "1280 × 720",
    "1920x1080": "1920 × 1080",
    "1080x1920": "1080 × 1920 (vertical)",
}
X11_KINDS: Final = (ScreenSource, WindowSource)  # capture that needs an X11 display
NEW_LAYER_SHARE: Final = 0.5  # a layer added over others covers this share of the canvas
DUPLICATE_OFFSET: Final = 0.04  # of the canvas: the copy shows beside the original


@dataclass(frozen=True)
class SceneRow:
    key: str
    name: str


@dataclass(frozen=True)
class LayerRow:
    key: str
    name: str
    kind_label: str
    visible: bool
    locked: bool
    problem: str  # why the layer shows a placeholder ("" when it shows its source)


@dataclass(frozen=True)
class SourceKind:
    """A kind of source a person can add; ``problem`` says why it cannot be used here."""

    kind: str
    label: str
    problem: str


class SceneEditor(QObject):
    """The collection as the UI edits it (see the module's docstring)."""

    scenes_changed = Signal()  # the list, a name, the order, which is on air, how to switch
    layers_changed = Signal()  # the current scene's layers (or the canvas)
    selection_changed = Signal()

    def __init__(self, broadcast: Broadcast) -> None:
        super().__init__()
        self.broadcast = broadcast
        self._selected: str | None = None
        self._watched: SceneCollection | None = None
        broadcast.source_changed.add(self._follow)  # use_scenes tells it there
        self._follow("")

    @property
    def ready(self) -> bool:
        """The broadcast composes its scenes (the window opens them as it starts)."""
        return self.broadcast.scenes is not None

    @property
    def collection(self) -> SceneCollection:
        scenes = self.broadcast.scenes
        if scenes is None:
            raise RuntimeError("the scenes are not open yet")
        return scenes

    def _follow(self, _spec: str) -> None:
        scenes = self.broadcast.scenes
        if scenes is not None and scenes is not self._watched:
            self._watched = scenes
            scenes.changed.add(self._changed)
            self._changed("scenes")

    def _changed(self, what: str) -> None:
        if self._selected is not None and self._layer(self._selected) is None:
            self._selected = None  # gone, or in another scene (told below, with the layers)
        if what != "sources":  # the scenes, which one is on air, the transition, the canvas
            self.scenes_changed.emit()
        self.layers_changed.emit()

    # ---- scenes -----------------------------------------------------------------------
    def scenes(self) -> list[SceneRow]:
        if not self.ready:
            return []
        return [SceneRow(scene.id, scene.name) for scene in self.collection.scenes]

    @property
    def current_scene(self) -> str:
        return self.collection.current if self.ready else ""

    def scene_name(self, key: str) -> str:
        return self.collection.scene(key).name

    def switch_to(self, key: str) -> None:
        self.collection.switch(key)

    @property
    def transition(self) -> Transition:
        return self.collection.transition if self.ready else Transition.FADE

    def set_transition(self, transition: Transition) -> None:
        self.collection.set_transition(transition)

    def add_scene(self) -> str:
        """A new empty scene at the end; its key."""
        return self.collection.add_scene(f"Scene {len(self.collection.scenes) + 1}").id

    def duplicate_scene(self, key: str) -> str:
        return self.collection.duplicate_scene(key).id

    def rename_scene(self, key: str, name: str) -> None:
        """Raises ``SceneError`` (a ValueError) with a message for a person."""
        self.collection.rename_scene(key, name)

    def move_scene(self, key: str, step: int) -> None:
        """Move the scene ``step`` places down the list (negative: up)."""
        scenes = self.collection.scenes
        index = next(i for i, scene in enumerate(scenes) if scene.id == key)
        self.collection.move_scene(key, max(0, index + step))

    def remove_scene(self, key: str) -> None:
        self.collection.remove_scene(key)

    # ---- the current scene's layers ---------------------------------------------------
    @property
    def canvas(self) -> tuple[int, int]:
        return self.collection.size if self.ready else CANVASES[DEFAULT_CANVAS]

    @property
    def canvas_name(self) -> str:
        """The canvas's key in ``CANVASES`` ("1280x720", ...)."""
        return self.collection.canvas if self.ready else DEFAULT_CANVAS

    def set_canvas(self, name: str) -> None:
        self.collection.set_canvas(name)

    def _current_layers(self) -> tuple[Layer, ...]:
        scene = self.collection.current_scene() if self.ready else None
        return scene.layers if scene is not None else ()

    def _layer(self, key: str) -> Layer | None:
        return next((layer for layer in self._current_layers() if layer.id == key), None)

    def _source_of(self, key: str) -> SourceConfig:
        return self.collection.source(self._layer_or_fail(key).source_id)

    def layers(self) -> list[LayerRow]:
        """The current scene's layers, topmost first (as a list of layers reads)."""
        rows = []
        for layer in reversed(self._current_layers()):
            source = self.collection.source(layer.source_id)
            label = KINDS[source.kind].label if source.kind in KINDS else source.kind
            problem = self.broadcast.layer_status(source.id)
            rows.append(
                LayerRow(layer.id, source.name, label, layer.visible, layer.locked, problem)
            )
        return rows

    def layer_name(self, key: str) -> str:
        return self._source_of(key).name

    def boxes(self) -> list[LayerBox]:
        """The visible layers' boxes, bottom first (what the preview's overlay edits)."""
        return [
            LayerBox(
                layer.id,
                Box(
                    layer.transform.x,
                    layer.transform.y,
                    layer.transform.width,
                    layer.transform.height,
                    layer.transform.rotation,
                ),
                layer.locked,
            )
            for layer in self._current_layers()
            if layer.visible
        ]

    @property
    def selected(self) -> str | None:
        return self._selected

    def select(self, key: str | None) -> None:
        if key != self._selected:
            self._selected = key
            self.selection_changed.emit()

    def place(self, key: str, box: Box) -> None:
        """Put layer ``key`` at ``box`` (canvas pixels; its crop and rotation stay)."""
        layer = self._layer(key)
        if layer is None or layer.locked:
            return
        transform = replace(
            layer.transform,
            x=round(box.x),
            y=round(box.y),
            width=max(1, round(box.w)),
            height=max(1, round(box.h)),
        )
        if transform != layer.transform:
            self.collection.update_layer(self.current_scene, key, transform=transform)

    def transform(self, key: str) -> Transform:
        return self._layer_or_fail(key).transform

    def set_transform(self, key: str, name: str, value: int | bool) -> None:
        """Change one field of the layer's transform; ``SceneError`` (a ValueError) when the
        value does not fit."""
        transform = self._layer_or_fail(key).transform
        change: dict[str, Any] = {name: float(value) if name == "rotation" else value}
        new = replace(transform, **change)
        if new != transform:
            self.collection.update_layer(self.current_scene, key, transform=new)

    def source_kinds(self) -> list[SourceKind]:
        """Every kind of source, with why it cannot be used in this session (screen capture
        needs an X11 display: none under Wayland or on a machine without one)."""
        return [
            SourceKind(kind, cls.label, capture.unavailable() if cls in X11_KINDS else "")
            for kind, cls in KINDS.items()
        ]

    def add_source(self, kind: str) -> str:
        """A new source of ``kind`` on top of the current scene, selected; the layer's key.
        The first layer of a scene fills the canvas; one added over others covers a centred
        part of it, so what is under it stays in sight."""
        source = self.collection.add_source(kind, KINDS[kind].label)
        width, height = self.canvas
        transform = None
        if self._current_layers():
            w, h = round(width * NEW_LAYER_SHARE), round(height * NEW_LAYER_SHARE)
            transform = Transform((width - w) // 2, (height - h) // 2, w, h)
        layer = self.collection.add_layer(self.current_scene, source.id, transform)
        self.select(layer.id)
        return layer.id

    def duplicate_layer(self, key: str) -> str:
        """Another layer of the same source just above this one, a little aside, selected."""
        layer = self._layer_or_fail(key)
        step = round(min(self.canvas) * DUPLICATE_OFFSET)
        copy = self.collection.add_layer(
            self.current_scene, layer.source_id, layer.transform.moved(step, step)
        )
        index = self._current_layers().index(layer) + 1
        self.collection.move_layer(self.current_scene, copy.id, index)
        self.update_layer_state(copy.id, visible=layer.visible)
        self.select(copy.id)
        return copy.id

    def remove_layer(self, key: str) -> None:
        """Remove the layer; its source too when no scene shows it any more."""
        source = self._source_of(key)
        self.collection.remove_layer(self.current_scene, key)
        if not self.collection.scenes_using(source.id):
            self.collection.remove_source(source.id)

    def rename_layer(self, key: str, name: str) -> None:
        """Rename the layer's source (in every scene that shows it); ``SceneError`` when the
        name is empty."""
        self.collection.rename_source(self._source_of(key).id, name)

    def move_layer(self, key: str, step: int) -> None:
        """Move the layer ``step`` places up (positive: in front of more layers)."""
        index = self._current_layers().index(self._layer_or_fail(key))
        self.collection.move_layer(self.current_scene, key, max(0, index + step))

    def is_locked(self, key: str) -> bool:
        return self._layer_or_fail(key).locked

    def toggle_visible(self, key: str) -> None:
        self.update_layer_state(key, visible=not self._layer_or_fail(key).visible)

    def toggle_locked(self, key: str) -> None:
        self.update_layer_state(key, locked=not self._layer_or_fail(key).locked)

    def update_layer_state(
        self, key: str, visible: bool | None = None, locked: bool | None = None
    ) -> None:
        self.collection.update_layer(self.current_scene, key, visible=visible, locked=locked)

    def _layer_or_fail(self, key: str) -> Layer:
        layer = self._layer(key)
        if layer is None:
            raise KeyError(f"the current scene has no layer {key!r}")
        return layer

    # ---- properties -------------------------------------------------------------------
    def description(self, key: str) -> str:
        """What the layer's kind of source shows, in a sentence."""
        kind = KINDS.get(self._source_of(key).kind)
        return kind.description if kind is not None else ""

    def parameters(self, key: str) -> list[tuple[dict[str, Any], ParamValue]]:
        """The layer's source's declared parameters (as ``describe()`` gives them) and their
        current values."""
        source = self._source_of(key)
        kind = KINDS.get(source.kind)
        if kind is None:
            return []
        values = [(param, source.values.get(param.name, param.default)) for param in kind.params]
        return [(kind.describe_param(param, value), value) for param, value in values]

    def set_parameter(self, key: str, name: str, value: object) -> None:
        """Change one parameter of the layer's source; ``ParamError`` when it does not fit."""
        source = self._source_of(key)
        checked = KINDS[source.kind].param(name).coerce(value)
        self.collection.update_source(source.id, **{name: checked})
