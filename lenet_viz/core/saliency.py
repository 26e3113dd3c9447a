"""Where the network looks: gradient saliency and Grad-CAM for one input and one class."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lenet_viz.core.model import LeNet5


def class_score(model: LeNet5, output: Tensor, target: int) -> Tensor:
    """The score that rises as the network favours ``target``: the logit, or minus the RBF distance."""
    # Not log-probabilities: a confident net's softmax saturates and its gradient vanishes.
    return -output[0, target] if model.variant == "classic" else output[0, target]


def _target(model: LeNet5, output: Tensor, target: int | None) -> int:
    return int(model.classify(output)[0]) if target is None else target


def gradient_saliency(model: LeNet5, x: Tensor, target: int | None = None) -> np.ndarray:
    """|d score / d input| for a (1, 1, 32, 32) input, scaled to [0, 1]: (32, 32)."""
    with torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        output = model(x)
        score = class_score(model, output, _target(model, output, target))
        (grad,) = torch.autograd.grad(score, x)
    saliency = grad[0, 0].abs()
    return (saliency / saliency.max().clamp_min(1e-12)).cpu().numpy()


def grad_cam(model: LeNet5, x: Tensor, target: int | None = None, layer: str = "C3") -> np.ndarray:
    """Grad-CAM on ``layer``: its maps weighted by their mean gradient, ReLU, upsampled to (32, 32)."""
    with torch.enable_grad():
        activations = model.forward_with_activations(
            x.detach().clone()
        )  # clone: x may be an inference tensor
        maps = activations[layer]  # (1, C, H, W)
        output = activations["OUTPUT"]
        score = class_score(model, output, _target(model, output, target))
        (grad,) = torch.autograd.grad(score, maps)
    weights = grad.mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1)
    cam = F.relu((weights * maps).sum(dim=1, keepdim=True))  # (1, 1, H, W)
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    return (cam / cam.max().clamp_min(1e-12)).detach().cpu().numpy()


SALIENCY_METHODS = {"gradient": gradient_saliency, "grad-cam": grad_cam}
