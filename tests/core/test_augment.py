"""Each distortion kind alone does what its name says, within its documented range."""

from __future__ import annotations

import pytest
import torch

from lenet_viz.core.augment import Distortions, augment_batch, random_affine

N = 200


@pytest.fixture
def blobs():
    """A batch of identical images: an upright bar plus a crossbar, well inside the field."""
    image = torch.zeros(28, 28)
    image[8:20, 13:15] = 1.0
    image[12:14, 10:18] = 1.0
    return image.expand(N, 28, 28).clone()


def moments(images):
    rows = torch.arange(28.0).view(1, 28, 1)
    cols = torch.arange(28.0).view(1, 1, 28)
    mass = images.sum((1, 2))
    r = (images * rows).sum((1, 2)) / mass
    c = (images * cols).sum((1, 2)) / mass
    var_r = (images * (rows - r.view(-1, 1, 1)) ** 2).sum((1, 2)) / mass
    var_c = (images * (cols - c.view(-1, 1, 1)) ** 2).sum((1, 2)) / mass
    cov = (images * (rows - r.view(-1, 1, 1)) * (cols - c.view(-1, 1, 1))).sum((1, 2)) / mass
    return r, c, var_r.sqrt(), var_c.sqrt(), cov


def warp(images, **kinds):
    return random_affine(images, torch.Generator().manual_seed(0), Distortions.only(**kinds))


def test_nothing_on_changes_nothing(blobs):
    torch.testing.assert_close(warp(blobs), blobs, atol=1e-5, rtol=0)


def test_horizontal_translation(blobs):
    r0, c0, *_ = moments(blobs)
    r, c, *_ = moments(warp(blobs, shift_x=2.5))
    assert (r - r0).abs().max() < 0.05
    assert (c - c0).abs().max() <= 2.6 and (c - c0).abs().max() > 2.0 and (c - c0).std() > 1.0


def test_vertical_translation(blobs):
    r0, c0, *_ = moments(blobs)
    r, c, *_ = moments(warp(blobs, shift_y=2.5))
    assert (c - c0).abs().max() < 0.05
    assert (r - r0).abs().max() <= 2.6 and (r - r0).abs().max() > 2.0


def test_scaling_is_uniform(blobs):
    _, _, sr0, sc0, _ = moments(blobs)
    _, _, sr, sc, _ = moments(warp(blobs, scale=0.15))
    fr, fc = sr / sr0, sc / sc0
    assert (fr - fc).abs().max() < 0.05  # both axes by the same factor
    assert fr.min() > 0.8 and fr.max() < 1.2 and fr.max() - fr.min() > 0.15


def test_squeezing_trades_width_for_height(blobs):
    _, _, sr0, sc0, _ = moments(blobs)
    _, _, sr, sc, _ = moments(warp(blobs, squeeze=0.15))
    fr, fc = sr / sr0, sc / sc0
    assert ((fr - 1) * (fc - 1) <= 1e-3).all()  # one grows while the other shrinks
    assert (fr * fc - 1).abs().max() < 0.06  # the area stays about the same
    assert fc.max() > 1.08 and fc.min() < 0.92


def test_horizontal_shear_slants_verticals(blobs):
    r0, _, sr0, _, cov0 = moments(blobs)
    r, _, sr, _, cov = moments(warp(blobs, shear=0.25))
    assert (r - r0).abs().max() < 0.05 and (sr - sr0).abs().max() < 0.05  # rows stay put
    slant = (cov - cov0) / sr0**2  # column shift per row
    assert slant.abs().max() <= 0.27 and slant.abs().max() > 0.2


def test_thickness_changes_ink_but_keeps_every_digit(blobs):
    out = augment_batch(blobs, torch.Generator().manual_seed(1), Distortions.only(thickness=True))
    ink, ink0 = out.sum((1, 2)), blobs.sum((1, 2))
    assert (ink > ink0 * 1.2).float().mean() > 0.25  # thickened
    assert (ink < ink0 * 0.9).float().mean() > 0.05  # thinned
    assert (ink > 0.3 * ink0).all()
