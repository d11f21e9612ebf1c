"""Scenes as data: sources, layers with transforms, scenes and the collection of them (no Qt).

Every piece is an immutable value (a frozen dataclass); the :class:`SceneCollection` replaces
a piece whole on each edit. The compositor's worker thread reads the collection while the UI
edits it, so it always sees either the old scene or the new one, never half of an edit.

A source (:class:`SourceConfig`: a kind, a name and the values of its declared parameters)
may appear in several scenes; a layer (:class:`Layer`) puts one source into one scene with a
:class:`Transform`. The collection is saved as versioned JSON (``to_dict`` / ``from_dict``).
"""

from __future__ import annotations

import enum
import itertools
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Final, TypeVar

from filters.params import ParamValue
from studio.core.observers import Observers

VERSION: Final = 1
CANVASES: Final[dict[str, tuple[int, int]]] = {
    "1280x720": (1280, 720),
    "1920x1080": (1920, 1080),
    "1080x1920": (1080, 1920),  # vertical, for phone-first viewers
}
DEFAULT_CANVAS: Final = "1280x720"
MAX_FADE_MS: Final = 300
DEFAULT_FADE_MS: Final = 250  # with the wait for the next frame, on air within 300 ms


class SceneError(ValueError):
    """An edit or a saved collection that does not make sense (the message says why)."""


class Transition(enum.StrEnum):
    CUT = "cut"
    FADE = "fade"


@dataclass(frozen=True)
class Transform:
    """Where a layer sits on the canvas.

    ``x``, ``y``, ``width``, ``height``: the layer's box in canvas pixels (before rotation);
    the cropped source is scaled to fill it. ``crop_*``: source pixels cut off each edge.
    ``rotation``: degrees clockwise about the box's centre. ``keep_aspect``: scale the
    source to fit inside the box, centred, instead of filling it (text whose length changes).
    """

    x: int = 0
    y: int = 0
    width: int = 1280
    height: int = 720
    crop_left: int = 0
    crop_top: int = 0
    crop_right: int = 0
    crop_bottom: int = 0
    rotation: float = 0.0
    keep_aspect: bool = False

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise SceneError(f"a layer must be at least 1x1 pixels, not {self.width}x{self.height}")
        crops = (self.crop_left, self.crop_top, self.crop_right, self.crop_bottom)
        if min(crops) < 0:
            raise SceneError("a crop cannot be negative")

    @classmethod
    def filling(cls, width: int, height: int) -> Transform:
        return cls(0, 0, width, height)

    @classmethod
    def fitted(cls, source: tuple[int, int], box: tuple[int, int, int, int]) -> Transform:
        """``source`` (width, height) scaled to fit inside ``box`` (x, y, width, height),
        keeping its aspect ratio, centred."""
        x, y, width, height = box
        scale = min(width / source[0], height / source[1])
        w, h = max(1, round(source[0] * scale)), max(1, round(source[1] * scale))
        return cls(x + (width - w) // 2, y + (height - h) // 2, w, h)

    def moved(self, dx: int, dy: int) -> Transform:
        return replace(self, x=self.x + dx, y=self.y + dy)


@dataclass(frozen=True)
class SourceConfig:
    """A source as saved: its kind (a key of :data:`studio.core.scenes.sources.KINDS`), the
    name a person gave it and its parameter values."""

    id: str
    kind: str
    name: str
    values: Mapping[str, ParamValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Layer:
    id: str
    source_id: str
    transform: Transform = Transform()
    visible: bool = True
    locked: bool = False  # the UI does not move or resize a locked layer


@dataclass(frozen=True)
class Scene:
    """Layers from bottom to top."""

    id: str
    name: str
    layers: tuple[Layer, ...] = ()

    def layer(self, layer_id: str) -> Layer:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise SceneError(f"scene {self.name!r} has no layer {layer_id!r}")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class SceneCollection:
    """The scenes, the sources they use, which scene is on air, the canvas and the transition.

    Every edit replaces whole immutable pieces and then tells ``changed`` (with what changed:
    ``"sources"``, ``"scenes"``, ``"current"``, ``"canvas"``, ``"transition"``) and the
    watchers given to :meth:`watch` (the settings saver), so views and the saved file follow.
    """

    def __init__(
        self,
        sources: Iterable[SourceConfig] = (),
        scenes: Iterable[Scene] = (),
        current: str = "",
        canvas: str = DEFAULT_CANVAS,
        transition: Transition = Transition.FADE,
        fade_ms: int = DEFAULT_FADE_MS,
    ) -> None:
        self._sources: dict[str, SourceConfig] = {s.id: s for s in sources}
        self._scenes: tuple[Scene, ...] = tuple(scenes)
        self._check_canvas(canvas)
        self.canvas = canvas
        self.transition = transition
        self.fade_ms = self._checked_fade(fade_ms)
        self.current = current or (self._scenes[0].id if self._scenes else "")
        self.changed: Observers[str] = Observers()
        self._watchers: list[Callable[[str], None]] = []
        for scene in self._scenes:
            self._check_layers(scene.layers)

    # ---- reading ----------------------------------------------------------------------
    @property
    def scenes(self) -> tuple[Scene, ...]:
        return self._scenes

    @property
    def sources(self) -> dict[str, SourceConfig]:
        return dict(self._sources)

    @property
    def size(self) -> tuple[int, int]:
        """The canvas's (width, height)."""
        return CANVASES[self.canvas]

    def scene(self, scene_id: str) -> Scene:
        for scene in self._scenes:
            if scene.id == scene_id:
                return scene
        raise SceneError(f"there is no scene {scene_id!r}")

    def scene_named(self, name: str) -> Scene:
        for scene in self._scenes:
            if scene.name == name:
                return scene
        raise SceneError(f"there is no scene called {name!r}")

    def current_scene(self) -> Scene | None:
        try:
            return self.scene(self.current)
        except SceneError:
            return None

    def source(self, source_id: str) -> SourceConfig:
        try:
            return self._sources[source_id]
        except KeyError:
            raise SceneError(f"there is no source {source_id!r}") from None

    def scenes_using(self, source_id: str) -> list[Scene]:
        return [s for s in self._scenes if any(la.source_id == source_id for la in s.layers)]

    # ---- switching --------------------------------------------------------------------
    def switch(self, scene_id: str) -> None:
        """Put ``scene_id`` on air (the compositor cuts or fades to it with the next frame)."""
        self.scene(scene_id)
        if scene_id != self.current:
            self.current = scene_id
            self._tell("current")

    def set_transition(self, transition: Transition, fade_ms: int | None = None) -> None:
        self.transition = Transition(transition)
        if fade_ms is not None:
            self.fade_ms = self._checked_fade(fade_ms)
        self._tell("transition")

    def set_canvas(self, canvas: str) -> None:
        """Change the canvas size; layers keep their pixel boxes (move them if need be)."""
        self._check_canvas(canvas)
        if canvas != self.canvas:
            self.canvas = canvas
            self._tell("canvas")

    # ---- sources ----------------------------------------------------------------------
    def add_source(
        self, kind: str, name: str, values: Mapping[str, ParamValue] | None = None
    ) -> SourceConfig:
        """A new source (values are checked by the source kind when it opens:
        :func:`studio.core.scenes.sources.check_values` checks them beforehand)."""
        source = SourceConfig(new_id(), kind, self._unique_source_name(name), dict(values or {}))
        self._sources[source.id] = source
        self._tell("sources")
        return source

    def update_source(self, source_id: str, **values: ParamValue) -> SourceConfig:
        old = self.source(source_id)
        new = replace(old, values={**old.values, **values})
        self._sources[source_id] = new
        self._tell("sources")
        return new

    def rename_source(self, source_id: str, name: str) -> None:
        self._sources[source_id] = replace(self.source(source_id), name=self._clean(name))
        self._tell("sources")

    def remove_source(self, source_id: str) -> None:
        """Remove the source and every layer that shows it."""
        self.source(source_id)
        self._scenes = tuple(
            replace(s, layers=tuple(la for la in s.layers if la.source_id != source_id))
            for s in self._scenes
        )
        del self._sources[source_id]
        self._tell("scenes")
        self._tell("sources")

    # ---- scenes -----------------------------------------------------------------------
    def add_scene(self, name: str, layers: Iterable[Layer] = ()) -> Scene:
        scene = Scene(new_id(), self._unique_scene_name(name), tuple(layers))
        self._check_layers(scene.layers)
        self._scenes = (*self._scenes, scene)
        if not self.current:
            self.current = scene.id
        self._tell("scenes")
        return scene

    def rename_scene(self, scene_id: str, name: str) -> None:
        scene = self.scene(scene_id)
        if name != scene.name:
            self._put(replace(scene, name=self._unique_scene_name(name)))

    def duplicate_scene(self, scene_id: str) -> Scene:
        """A copy of the scene (new layer ids, the same sources) right after it."""
        scene = self.scene(scene_id)
        layers = tuple(replace(layer, id=new_id()) for layer in scene.layers)
        copy = Scene(new_id(), self._unique_scene_name(f"{scene.name} copy"), layers)
        index = self._scenes.index(scene) + 1
        self._scenes = (*self._scenes[:index], copy, *self._scenes[index:])
        self._tell("scenes")
        return copy

    def remove_scene(self, scene_id: str) -> None:
        """Remove a scene (not the last one); its sources stay for other scenes."""
        scene = self.scene(scene_id)
        if len(self._scenes) == 1:
            raise SceneError("the last scene cannot be removed")
        index = self._scenes.index(scene)
        self._scenes = tuple(s for s in self._scenes if s.id != scene_id)
        if self.current == scene_id:
            self.current = self._scenes[min(index, len(self._scenes) - 1)].id
            self._tell("current")
        self._tell("scenes")

    def move_scene(self, scene_id: str, index: int) -> None:
        self._scenes = _moved(self._scenes, self.scene(scene_id), index)
        self._tell("scenes")

    # ---- layers -----------------------------------------------------------------------
    def add_layer(self, scene_id: str, source_id: str, transform: Transform | None = None) -> Layer:
        """Show ``source_id`` on top of ``scene_id`` (default: filling the canvas)."""
        self.source(source_id)
        layer = Layer(new_id(), source_id, transform or Transform.filling(*self.size))
        scene = self.scene(scene_id)
        self._put(replace(scene, layers=(*scene.layers, layer)))
        return layer

    def update_layer(
        self,
        scene_id: str,
        layer_id: str,
        *,
        transform: Transform | None = None,
        visible: bool | None = None,
        locked: bool | None = None,
    ) -> Layer:
        scene = self.scene(scene_id)
        old = scene.layer(layer_id)
        new = replace(
            old,
            transform=transform if transform is not None else old.transform,
            visible=visible if visible is not None else old.visible,
            locked=locked if locked is not None else old.locked,
        )
        self._put(
            replace(scene, layers=tuple(new if la.id == layer_id else la for la in scene.layers))
        )
        return new

    def remove_layer(self, scene_id: str, layer_id: str) -> None:
        scene = self.scene(scene_id)
        scene.layer(layer_id)
        self._put(replace(scene, layers=tuple(la for la in scene.layers if la.id != layer_id)))

    def move_layer(self, scene_id: str, layer_id: str, index: int) -> None:
        """Put a layer at ``index`` (0 = bottom)."""
        scene = self.scene(scene_id)
        self._put(replace(scene, layers=_moved(scene.layers, scene.layer(layer_id), index)))

    # ---- saving -----------------------------------------------------------------------
    def watch(self, watcher: Callable[[str], None]) -> None:
        """Call ``watcher(what changed)`` after every edit (the settings saver's hook)."""
        self._watchers.append(watcher)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "canvas": self.canvas,
            "transition": self.transition.value,
            "fade_ms": self.fade_ms,
            "current": self.current,
            "sources": [
                {"id": s.id, "kind": s.kind, "name": s.name, "values": dict(s.values)}
                for s in self._sources.values()
            ],
            "scenes": [
                {
                    "id": scene.id,
                    "name": scene.name,
                    "layers": [
                        {
                            "id": la.id,
                            "source": la.source_id,
                            "transform": asdict(la.transform),
                            "visible": la.visible,
                            "locked": la.locked,
                        }
                        for la in scene.layers
                    ],
                }
                for scene in self._scenes
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SceneCollection:
        """The collection a :meth:`to_dict` gave; SceneError naming what is wrong."""
        version = data.get("version")
        if version != VERSION:
            raise SceneError(f"scene collection version {version!r} is not {VERSION}")
        try:
            sources = [
                SourceConfig(str(s["id"]), str(s["kind"]), str(s["name"]), dict(s["values"]))
                for s in data["sources"]
            ]
            scenes = [
                Scene(str(s["id"]), str(s["name"]), tuple(_layer(la) for la in s["layers"]))
                for s in data["scenes"]
            ]
            return cls(
                sources,
                scenes,
                current=str(data.get("current", "")),
                canvas=str(data.get("canvas", DEFAULT_CANVAS)),
                transition=Transition(data.get("transition", Transition.FADE)),
                fade_ms=int(data.get("fade_ms", DEFAULT_FADE_MS)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SceneError):
                raise
            raise SceneError(f"the scene collection is damaged: {exc!r}") from exc

    # ---- helpers ----------------------------------------------------------------------
    def _put(self, scene: Scene) -> None:
        self._check_layers(scene.layers)
        self._scenes = tuple(scene if s.id == scene.id else s for s in self._scenes)
        self._tell("scenes")

    def _tell(self, what: str) -> None:
        self.changed.emit(what)
        for watcher in tuple(self._watchers):
            watcher(what)

    def _check_layers(self, layers: Iterable[Layer]) -> None:
        for layer in layers:
            if layer.source_id not in self._sources:
                raise SceneError(f"layer {layer.id!r} shows a source that does not exist")

    @staticmethod
    def _check_canvas(canvas: str) -> None:
        if canvas not in CANVASES:
            raise SceneError(f"canvas {canvas!r} is not one of {', '.join(CANVASES)}")

    @staticmethod
    def _checked_fade(fade_ms: int) -> int:
        if not 0 <= fade_ms <= MAX_FADE_MS:
            raise SceneError(f"a fade lasts 0 to {MAX_FADE_MS} ms, not {fade_ms}")
        return fade_ms

    @staticmethod
    def _clean(name: str) -> str:
        cleaned = " ".join(name.split())
        if not cleaned:
            raise SceneError("a name cannot be empty")
        return cleaned[:80]

    def _unique_scene_name(self, name: str) -> str:
        return _unique(self._clean(name), {s.name for s in self._scenes})

    def _unique_source_name(self, name: str) -> str:
        return _unique(self._clean(name), {s.name for s in self._sources.values()})


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    return next(f"{name} {n}" for n in itertools.count(2) if f"{name} {n}" not in taken)


T = TypeVar("T")


def _moved(items: tuple[T, ...], item: T, index: int) -> tuple[T, ...]:
    rest = [i for i in items if i is not item]
    index = max(0, min(index, len(rest)))
    return (*rest[:index], item, *rest[index:])


_TRANSFORM_FIELDS = {f.name for f in fields(Transform)}
_TRANSFORM_TYPES: dict[str, Callable[[Any], Any]] = {
    **{name: int for name in _TRANSFORM_FIELDS},
    "rotation": float,
    "keep_aspect": bool,
}


def _layer(data: Mapping[str, Any]) -> Layer:
    values = {k: v for k, v in dict(data.get("transform", {})).items() if k in _TRANSFORM_FIELDS}
    transform = Transform(**{k: _TRANSFORM_TYPES[k](v) for k, v in values.items()})
    return Layer(
        str(data["id"]),
        str(data["source"]),
        transform,
        bool(data.get("visible", True)),
        bool(data.get("locked", False)),
    )
