import numpy as np

from filters.context import FrameContext, Trigger
from filters.types import Image
from filters.video import particles
from filters.video.particles import MAX_PARTICLES, ParticleSystem
from tests.filters.helpers import changed


def _ctx(scene: Image, t: float, events: tuple[Trigger, ...] = ()) -> FrameContext:
    return FrameContext(scene, time=t, events=events)


def test_emits_over_time_and_bursts_on_gifts(scene: Image) -> None:
    system = ParticleSystem(rate=10.0, emitter="bottom", seed=1)
    for i in range(31):
        out = system.process(scene, _ctx(scene, i / 30))
    steady = system.count
    assert 5 <= steady <= 12
    assert changed(scene, out).any()
    system.process(scene, _ctx(scene, 31 / 30, (Trigger("gift", {"quantity": 2}),)))
    assert system.count >= steady + 70


def test_particles_age_out_and_are_capped(scene: Image) -> None:
    system = ParticleSystem(rate=0.0, gift_burst=200, lifetime=0.5, emitter="everywhere")
    system.process(scene, _ctx(scene, 0.0, (Trigger("gift", {"quantity": 5}),)))
    assert system.count == MAX_PARTICLES
    for i in range(1, 12):
        system.process(scene, _ctx(scene, i * 0.1))
    assert system.count == 0


def test_same_seed_same_frames(scene: Image) -> None:
    a, b = (
        ParticleSystem(seed=7, emitter="everywhere"),
        ParticleSystem(seed=7, emitter="everywhere"),
    )
    for i in range(10):
        out_a = a.process(scene, _ctx(scene, i / 30))
        out_b = b.process(scene, _ctx(scene, i / 30))
    assert np.array_equal(out_a, out_b)


def test_sprites_are_drawn_on_the_first_frame_before_any_particle(scene: Image) -> None:
    """Drawing every sprite takes a while: it happens when the effect starts, not in the
    middle of the stream when the first particle appears."""
    particles._sprite_set.cache_clear()
    system = ParticleSystem(kind="stars", rate=6.0, emitter="bottom")
    assert system.process(scene, _ctx(scene, 0.0)) is scene  # nothing emitted yet
    assert particles._sprite_set.cache_info().currsize == 1
