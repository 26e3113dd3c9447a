"""Saliency maps: the gradient one equals autograd's, Grad-CAM is a normalised map on the input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lenet_viz.core.saliency import grad_cam, gradient_saliency
from lenet_viz.core.variants import load_pretrained


@pytest.mark.parametrize("variant", ["modern", "classic"])
def test_saliency_maps(variant):
    model = load_pretrained(variant)
    image = np.zeros((28, 28), dtype=np.float32)
    image[4:24, 12:16] = 1.0  # a "1"
    x = model.to_input(image[None])
    sal = gradient_saliency(model, x, target=1)
    xg = x.clone().requires_grad_(True)
    out = model(xg)
    score = -out[0, 1] if variant == "classic" else out[0, 1]
    (grad,) = torch.autograd.grad(score, xg)
    expected = grad[0, 0].abs() / grad.abs().max()
    np.testing.assert_allclose(sal, expected.numpy(), rtol=1e-5, atol=1e-6)
    cam = grad_cam(model, x)
    assert cam.shape == (32, 32) and cam.min() >= 0 and cam.max() == pytest.approx(1.0)
