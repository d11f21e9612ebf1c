"""Particle systems: hearts, sparkles, stars, confetti or bubbles from the face or screen,
with bursts on gifts (``Pipeline.trigger("gift", quantity=...)``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from filters import art
from filters import landmarks as lm
from filters.base import Category, VideoFilter
from filters.context import FrameContext
from filters.params import Param, amount, choice, integer, scalar
from filters.types import Image, Vectors
from filters.video.sprites import paste_into

KINDS = ("hearts", "sparkles", "stars", "confetti", "bubbles")
EMITTERS = ("face", "head_top", "mouth", "bottom", "everywhere")
MAX_PARTICLES = 400
SIZE_STEPS = 8
ANGLE_STEPS = 12
MAX_STEP_S = 0.1


@lru_cache(maxsize=8)
def _base_sprites(kind: str) -> tuple[Image, ...]:
    if kind == "hearts":
        return (art.heart(96), art.heart(96, (150, 80, 255)), art.heart(96, (120, 40, 230)))
    if kind == "sparkles":
        return (art.sparkle(96),)
    if kind == "stars":
        return (art.star(96),)
    if kind == "bubbles":
        return (art.bubble(96),)
    return tuple(art.confetti(48, hue) for hue in (0, 25, 60, 100, 140, 165))


ROTATING = ("stars", "confetti", "sparkles")
SpriteSet = tuple[tuple[tuple[Image, ...], ...], ...]
"""Sprites by variant, size step and angle step."""


@lru_cache(maxsize=4)
def _sprite_set(kind: str, px: int) -> SpriteSet:
    """Every scaled and rotated sprite of ``kind`` at once, so frames never pause to draw
    one the first time a particle needs it (that made the 99th percentile spike)."""
    angles = range(ANGLE_STEPS if kind in ROTATING else 1)
    return tuple(
        tuple(
            tuple(_sprite(base, size, angle, px) for angle in angles) for size in range(SIZE_STEPS)
        )
        for base in _base_sprites(kind)
    )


def _sprite(base: Image, size_step: int, angle_step: int, px: int) -> Image:
    side = max(4, round(px * (size_step + 1) / SIZE_STEPS))
    scaled = cv2.resize(base, (side, side), interpolation=cv2.INTER_AREA)
    if angle_step == 0:
        return scaled
    matrix = cv2.getRotationMatrix2D((side / 2, side / 2), 360.0 * angle_step / ANGLE_STEPS, 1.0)
    return cv2.warpAffine(scaled, matrix, (side, side), flags=cv2.INTER_LINEAR)


@dataclass
class _Particles:
    """Structure-of-arrays particle state."""

    pos: NDArray[np.float32]
    vel: NDArray[np.float32]
    age: NDArray[np.float32]
    life: NDArray[np.float32]
    size: NDArray[np.float32]
    angle: NDArray[np.float32]
    spin: NDArray[np.float32]
    variant: NDArray[np.int32]

    @classmethod
    def empty(cls) -> _Particles:
        z = np.zeros(0, np.float32)
        return cls(np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32), z, z, z, z, z,
                   np.zeros(0, np.int32))  # fmt: skip

    def __len__(self) -> int:
        return len(self.age)

    def keep(self, mask: NDArray[np.bool_]) -> _Particles:
        return _Particles(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def extend(self, other: _Particles) -> _Particles:
        return _Particles(*(np.concatenate([getattr(self, f), getattr(other, f)])
                            for f in self.__dataclass_fields__))  # fmt: skip


class ParticleSystem(VideoFilter):
    """Emits sprites with velocity, gravity, spin and fade; gifts trigger bursts."""

    id = "ar.particles"
    name = "Particles"
    category = Category.AR
    description = "Floating hearts, sparkles, stars, confetti or bubbles; bursts on gifts."
    tags = ("ar", "particles", "hearts", "sparkles", "confetti", "gift")
    premium = True
    price_coins = 60
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (
        choice("kind", "Particles", "hearts", KINDS),
        choice("emitter", "Emit from", "face", EMITTERS),
        scalar("rate", "Rate", 6.0, 0.0, 60.0, 1.0, "/s"),
        integer("gift_burst", "Burst per gift", 40, 0, 200),
        scalar("size", "Size", 1.0, 0.3, 3.0, 0.1, "×"),
        scalar("gravity", "Gravity", -0.3, -1.0, 1.0, 0.05, "× frame height/s²"),
        scalar("lifetime", "Lifetime", 2.5, 0.5, 8.0, 0.1, "s"),
        amount("opacity", "Opacity", 100.0),
        integer("seed", "Random seed", 0, 0, 1_000_000),
    )

    def __init__(self, **values: object) -> None:
        super().__init__(**values)
        self._reset()

    def changed(self, names: set[str]) -> None:
        if names & {"kind", "seed"}:
            self._reset()

    def _reset(self) -> None:
        self._rng = np.random.default_rng(int(self.number("seed")))
        self._state = _Particles.empty()
        self._last_time: float | None = None
        self._carry = 0.0

    @property
    def count(self) -> int:
        """Particles alive now."""
        return len(self._state)

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        dt = (
            0.0
            if self._last_time is None
            else min(max(ctx.time - self._last_time, 0.0), MAX_STEP_S)
        )
        self._last_time = ctx.time
        self._step(dt, ctx)
        bursts = sum(int(e.data.get("quantity", 1)) for e in ctx.triggered("gift"))
        wanted = self._carry + self.number("rate") * dt
        self._carry = wanted - int(wanted)
        self._emit(int(wanted), ctx, burst=False)
        self._emit(bursts * int(self.number("gift_burst")), ctx, burst=True)
        return self._render(frame, ctx)

    def _step(self, dt: float, ctx: FrameContext) -> None:
        s = self._state
        s.vel[:, 1] += self.number("gravity") * ctx.height * dt
        s.pos += s.vel * dt
        s.age += dt
        s.angle += s.spin * dt
        self._state = s.keep(s.age < s.life)

    def _origins(self, count: int, ctx: FrameContext) -> Vectors:
        emitter = self.text("emitter")
        face = ctx.face
        rng = self._rng
        if emitter in ("face", "head_top", "mouth") and face is not None:
            if emitter == "mouth":
                center, spread = face.points[13], face.width * 0.1
            elif emitter == "head_top":
                center, spread = face.points[lm.FOREHEAD], face.width * 0.35
            else:
                center, spread = face.points[lm.NOSE_TIP], face.width * 0.5
            around: Vectors = center + rng.normal(0, spread * 0.5, (count, 2))
            return around
        if emitter == "bottom":
            xs = rng.uniform(0, ctx.width, count)
            return np.stack([xs, np.full(count, ctx.height * 1.02)], axis=1)
        return rng.uniform([0, 0], [ctx.width, ctx.height], (count, 2))

    def _emit(self, count: int, ctx: FrameContext, burst: bool) -> None:
        count = min(count, MAX_PARTICLES - len(self._state))
        if count <= 0:
            return
        rng = self._rng
        speed = ctx.height * (0.35 if burst else 0.12)
        direction = rng.uniform(-np.pi, np.pi, count) if burst else rng.uniform(-2.4, -0.7, count)
        fresh = _Particles(
            pos=self._origins(count, ctx).astype(np.float32),
            vel=(np.stack([np.cos(direction), np.sin(direction)], axis=1)
                 * rng.uniform(0.5, 1.0, (count, 1)) * speed).astype(np.float32),
            age=np.zeros(count, np.float32),
            life=rng.uniform(0.7, 1.0, count).astype(np.float32) * self.number("lifetime"),
            size=rng.uniform(0.6, 1.0, count).astype(np.float32),
            angle=rng.uniform(0, 2 * np.pi, count).astype(np.float32),
            spin=rng.normal(0, 2.0, count).astype(np.float32),
            variant=rng.integers(0, len(_base_sprites(self.text("kind"))), count).astype(np.int32),
        )  # fmt: skip
        self._state = self._state.extend(fresh)

    def _render(self, frame: Image, ctx: FrameContext) -> Image:
        kind = self.text("kind")
        # Drawn on the first frame, not when the first particle appears a few frames later.
        sprites = _sprite_set(kind, round(ctx.height * 0.07 * self.number("size")))
        s = self._state
        if not len(s):
            return frame
        out = ctx.writable(frame)
        rotates = kind in ROTATING
        fade = np.minimum(1.0, np.minimum(s.age / 0.2, (s.life - s.age) / 0.5))
        opacity = self.fraction("opacity")
        for i in range(len(s)):
            size_step = min(SIZE_STEPS - 1, int(s.size[i] * SIZE_STEPS))
            angle_step = int(s.angle[i] / (2 * np.pi) * ANGLE_STEPS) % ANGLE_STEPS if rotates else 0
            sprite = sprites[int(s.variant[i])][size_step][angle_step]
            x = int(s.pos[i, 0]) - sprite.shape[1] // 2
            y = int(s.pos[i, 1]) - sprite.shape[0] // 2
            paste_into(out, sprite, x, y, float(fade[i]) * opacity)
        return out
