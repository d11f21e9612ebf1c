"""The colour looks shipped as ``.cube`` files (``assets/luts``), defined as RGB transforms.

``python -m filters.build_assets`` writes the ``.cube`` files from these functions; the
tests check that applying a shipped file matches its function.
"""

from __future__ import annotations

import numpy as np

from filters.video.lut import F32, Look

REC709 = np.array([0.2126, 0.7152, 0.0722], np.float32)


def luma(rgb: F32) -> F32:
    return (rgb @ REC709)[..., None]


def saturate(rgb: F32, amount: float) -> F32:
    y = luma(rgb)
    return y + (rgb - y) * amount


def s_curve(x: F32, strength: float) -> F32:
    """Contrast around mid-grey: 0 = identity, 1 = strong."""
    smooth = x * x * (3.0 - 2.0 * x)
    return x + (smooth - x) * strength


def lift(x: F32, black: float, white: float) -> F32:
    """Map 0..1 to black..white (faded blacks, softened whites)."""
    return black + x * (white - black)


def split_tone(
    rgb: F32, shadows: tuple[float, ...], highlights: tuple[float, ...], k: float
) -> F32:
    y = luma(rgb)
    shadow_w, highlight_w = (1.0 - y) ** 2, y**2
    return rgb + k * (
        shadow_w * np.array(shadows, np.float32) + highlight_w * np.array(highlights, np.float32)
    )


def vintage(rgb: F32) -> F32:
    out = saturate(rgb, 0.75)
    out = split_tone(out, (-0.02, 0.04, 0.03), (0.06, 0.03, -0.06), 1.0)
    return lift(s_curve(out, 0.25), 0.08, 0.94)


def warm(rgb: F32) -> F32:
    return (
        np.float32(1.0)
        * np.power(np.clip(rgb, 0, 1), np.array([0.88, 0.97, 1.12], np.float32))
        * np.array([1.04, 1.0, 0.94], np.float32)
    )


def cool(rgb: F32) -> F32:
    return (
        np.float32(1.0)
        * np.power(np.clip(rgb, 0, 1), np.array([1.1, 1.0, 0.88], np.float32))
        * np.array([0.95, 1.0, 1.05], np.float32)
    )


def noir(rgb: F32) -> F32:
    y = s_curve(luma(rgb), 0.6)
    return np.repeat(lift(y, 0.02, 0.98), 3, axis=-1)


def cinematic(rgb: F32) -> F32:
    out = split_tone(rgb, (-0.06, 0.03, 0.08), (0.08, 0.02, -0.07), 1.0)
    return s_curve(saturate(out, 1.1), 0.35)


def faded(rgb: F32) -> F32:
    return lift(saturate(rgb, 0.7), 0.12, 0.92)


def vivid(rgb: F32) -> F32:
    return s_curve(saturate(rgb, 1.45), 0.2)


def sepia(rgb: F32) -> F32:
    matrix = np.array(
        [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32
    )
    return lift(rgb @ matrix.T, 0.03, 1.0)


def pastel(rgb: F32) -> F32:
    out = saturate(rgb, 0.65) + np.array([0.03, 0.0, 0.025], np.float32)
    return lift(s_curve(out, -0.2), 0.1, 0.97)


def golden_hour(rgb: F32) -> F32:
    out = warm(warm(rgb))
    glow = np.clip(luma(out) - 0.6, 0, 1) * np.array([0.25, 0.15, 0.0], np.float32)
    return s_curve(out + glow, 0.15)


def cyberpunk(rgb: F32) -> F32:
    out = split_tone(rgb, (0.02, -0.02, 0.12), (0.12, -0.04, 0.08), 1.0)
    return s_curve(saturate(out, 1.3), 0.3)


LOOKS: dict[str, Look] = {
    "vintage": vintage,
    "warm": warm,
    "cool": cool,
    "noir": noir,
    "cinematic": cinematic,
    "faded": faded,
    "vivid": vivid,
    "sepia": sepia,
    "pastel": pastel,
    "golden_hour": golden_hour,
    "cyberpunk": cyberpunk,
}
