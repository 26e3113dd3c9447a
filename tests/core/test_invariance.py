"""The invariance lab's transforms do what their names say; a sweep gives one probability per value."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_viz.core.invariance import Transform, apply, sweep
from lenet_viz.core.preprocess import center_of_mass
from lenet_viz.core.variants import load_pretrained


@pytest.fixture
def digit():
    image = np.zeros((28, 28), dtype=np.float32)
    image[8:20, 12:16] = 1.0
    return image


def test_identity_and_shifts(digit):
    np.testing.assert_array_equal(apply(digit, Transform()), digit)
    r0, c0 = center_of_mass(digit)
    r, c = center_of_mass(apply(digit, Transform(shift_x=3)))
    assert c - c0 == pytest.approx(3, abs=0.05) and r == pytest.approx(r0, abs=0.05)
    r, c = center_of_mass(apply(digit, Transform(shift_y=-2)))
    assert r - r0 == pytest.approx(-2, abs=0.05) and c == pytest.approx(c0, abs=0.05)


def test_rotation_scale_thickness_noise(digit):
    rotated = apply(digit, Transform(rotation=90))
    rows, cols = np.nonzero(rotated > 0.5)
    assert np.ptp(cols) > np.ptp(rows)  # the upright bar now lies down
    assert apply(digit, Transform(scale=0.5)).sum() == pytest.approx(digit.sum() / 4, rel=0.15)
    assert apply(digit, Transform(thickness=1)).sum() > digit.sum() * 1.3
    assert apply(digit, Transform(thickness=-1)).sum() < digit.sum() * 0.8
    noisy = apply(digit, Transform(noise=0.3, seed=1))
    np.testing.assert_array_equal(noisy, apply(digit, Transform(noise=0.3, seed=1)))
    assert 0 <= noisy.min() and noisy.max() <= 1 and np.abs(noisy - digit).mean() > 0.05


def test_sweep_over_rotation(digit):
    model = load_pretrained()
    values = np.linspace(-60, 60, 13)
    probabilities = sweep(model, digit, Transform(), "rotation", values, 1)
    assert probabilities.shape == (13,) and ((0 <= probabilities) & (probabilities <= 1)).all()
    assert probabilities[6] > 0.9  # upright: a confident 1
