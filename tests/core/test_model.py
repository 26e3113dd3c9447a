"""The modern LeNet-5: shapes, activations against torch.nn.functional, the public API."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lenet_viz
from lenet_viz.core.model import LAYER_NAMES, LAYER_SHAPES
from lenet_viz.core.variants import create_model


@pytest.fixture
def model():
    return create_model("modern", seed=1).eval()


def test_forward_with_activations_names_and_shapes(model):
    x = model.to_input(np.random.default_rng(0).random((3, 28, 28)))
    acts = model.forward_with_activations(x)
    assert list(acts) == list(LAYER_NAMES)
    for name, tensor in acts.items():
        assert tuple(tensor.shape) == (3, *LAYER_SHAPES[name]), name


def test_activations_match_functional_ops(model):
    x = model.to_input(np.random.default_rng(1).random((2, 28, 28)))
    acts = model.forward_with_activations(x)
    c1 = F.relu(F.conv2d(x, model.c1.weight, model.c1.bias))
    s2 = F.max_pool2d(c1, 2)
    c3 = F.relu(F.conv2d(s2, model.c3.weight, model.c3.bias))
    s4 = F.max_pool2d(c3, 2)
    c5 = F.relu(F.conv2d(s4, model.c5.weight, model.c5.bias)).flatten(1)
    f6 = F.relu(F.linear(c5, model.f6.weight, model.f6.bias))
    out = F.linear(f6, model.output.weight, model.output.bias)
    for name, expected in zip(LAYER_NAMES, [c1, s2, c3, s4, c5, f6, out], strict=True):
        torch.testing.assert_close(acts[name], expected, msg=name)
    torch.testing.assert_close(model(x), out)


def test_to_input_pads_and_normalises(model):
    images = np.zeros((1, 28, 28), dtype=np.float32)
    images[0, 10, 12] = 1.0
    x = model.to_input(images)
    assert x.shape == (1, 1, 32, 32) and x.dtype == torch.float32
    background = (0 - 0.1307) / 0.3081
    assert torch.allclose(x[0, 0, 0, 0], torch.tensor(background))
    assert torch.isclose(x[0, 0, 12, 14], torch.tensor((1 - 0.1307) / 0.3081))
    with pytest.raises(ValueError, match="28, 28"):
        model.to_input(np.zeros((1, 32, 32)))


def test_predict_returns_probabilities(model):
    probs = model.predict(np.random.default_rng(2).random((4, 28, 28)))
    assert isinstance(probs, np.ndarray) and probs.shape == (4, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_kernels_are_copies(model):
    kernels = model.kernels()
    assert kernels["C1"].shape == (6, 1, 5, 5) and kernels["C3"].shape == (16, 6, 5, 5)
    kernels["C1"].zero_()
    assert model.c1.weight.abs().sum() > 0


def test_create_model_is_seeded_and_rejects_unknown_variants():
    a, b = create_model(seed=5), create_model(seed=5)
    torch.testing.assert_close(a.c1.weight, b.c1.weight)
    with pytest.raises(ValueError, match="unknown model variant"):
        create_model("resnet")


def test_load_pretrained_is_eval_and_shipped():
    model = lenet_viz.load_pretrained()
    assert not model.training
    assert model.variant == "modern"
