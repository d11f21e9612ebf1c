"""Shared image helpers: the 8-bit composite matches the float one."""

import numpy as np

from filters.video.common import blend, blend_u8


def test_blend_u8_matches_the_float_blend_within_one_level() -> None:
    rng = np.random.default_rng(5)
    base, layer = (rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2))
    alpha = rng.integers(0, 256, (48, 64), dtype=np.uint8)
    alpha[:8] = 0
    alpha[8:16] = 255
    exact = blend(base, layer, alpha.astype(np.float32) / 255.0).astype(int)
    fast = blend_u8(base, layer, alpha).astype(int)
    assert np.abs(fast - exact).max() <= 1
    assert (fast[:8] == base[:8]).all() and (fast[8:16] == layer[8:16]).all()
