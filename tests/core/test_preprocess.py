"""Preprocessing drawings the way MNIST was made."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_viz import preprocess_canvas
from lenet_viz.core.preprocess import center_of_mass


def stroke_canvas(size: int, box: tuple[int, int, int, int], width: int = 6) -> np.ndarray:
    """A rectangle outline (a crude '0') drawn into a size x size canvas."""
    top, bottom, left, right = box
    canvas = np.zeros((size, size), dtype=np.float32)
    canvas[top : top + width, left:right] = 1
    canvas[bottom - width : bottom, left:right] = 1
    canvas[top:bottom, left : left + width] = 1
    canvas[top:bottom, right - width : right] = 1
    return canvas


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero((image > 0.05).any(axis=1))
    cols = np.flatnonzero((image > 0.05).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_empty_canvas_gives_zeros():
    out = preprocess_canvas(np.zeros((123, 77)))
    assert out.shape == (28, 28) and out.dtype == np.float32 and not out.any()


@pytest.mark.parametrize(
    "size, box",
    [
        (280, (20, 120, 30, 90)),
        (280, (150, 270, 200, 260)),
        (500, (10, 490, 100, 300)),
        (64, (5, 20, 40, 60)),
    ],
)
def test_fits_20x20_keeps_aspect_and_centres_mass(size, box):
    canvas = stroke_canvas(size, box, width=max(2, size // 40))
    out = preprocess_canvas(canvas)
    assert out.shape == (28, 28) and out.min() >= 0 and out.max() <= 1
    h, w = ink_extent(out)
    assert max(h, w) in (20, 21)  # anti-aliasing may spill one faint pixel
    top, bottom, left, right = box
    assert h / w == pytest.approx((bottom - top) / (right - left), rel=0.15)
    r, c = center_of_mass(out)
    assert abs(r - 13.5) <= 0.5 + 1e-6 and abs(c - 13.5) <= 0.5 + 1e-6


def test_position_and_scale_do_not_matter():
    small = preprocess_canvas(stroke_canvas(280, (10, 60, 10, 50), width=3))
    large = preprocess_canvas(stroke_canvas(280, (40, 240, 60, 220), width=12))
    assert np.abs(small - large).mean() < 0.08


def test_rejects_non_2d():
    with pytest.raises(ValueError):
        preprocess_canvas(np.zeros((2, 28, 28)))


def test_steps_lead_to_the_same_image():
    from lenet_viz.core.preprocess import preprocess_steps

    canvas = stroke_canvas(280, (50, 150, 100, 140), width=8)
    steps = preprocess_steps(canvas)
    assert list(steps) == ["canvas", "cropped", "fitted", "centred"]
    assert steps["cropped"].shape == (100, 40) and steps["fitted"].shape == (20, 8)
    np.testing.assert_array_equal(steps["centred"], preprocess_canvas(canvas))
