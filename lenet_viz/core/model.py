"""LeNet-5 models with named layers and single-pass activation capture.

Every variant exposes the same layer names (``LAYER_NAMES``) and the same four methods
(``to_input``, ``forward``, ``forward_with_activations``, ``predict``), so the views, the
trainer and the checkpoints never need to know which variant they hold. A variant only
declares its modules, its input normalisation and how a layer's output is computed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: The layer names of the 1998 paper, in forward order.
LAYER_NAMES: tuple[str, ...] = ("C1", "S2", "C3", "S4", "C5", "F6", "OUTPUT")

#: Shape of one sample's activation per layer (without the batch dimension).
LAYER_SHAPES: dict[str, tuple[int, ...]] = {
    "C1": (6, 28, 28),
    "S2": (6, 14, 14),
    "C3": (16, 10, 10),
    "S4": (16, 5, 5),
    "C5": (120,),
    "F6": (84,),
    "OUTPUT": (10,),
}

ImageBatch = np.ndarray | Tensor


class LeNet5(nn.Module):
    """Common interface of all LeNet-5 variants. Subclasses define ``layers()``."""

    variant: ClassVar[str] = ""
    #: Input normalisation x = offset + scale * p for a pixel p in [0, 1] (ink high).
    input_offset: ClassVar[float] = 0.0
    input_scale: ClassVar[float] = 1.0

    def to_input(self, images: ImageBatch) -> Tensor:
        """(N, 28, 28) MNIST-style images in [0, 1] -> the (N, 1, 32, 32) float tensor the net sees."""
        x = torch.as_tensor(images, dtype=torch.float32)
        if x.dim() == 2:
            x = x.unsqueeze(0)
        if x.dim() != 3 or x.shape[-2:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {tuple(x.shape)}")
        x = x.to(self.device).unsqueeze(1)  # (N, 1, 28, 28)
        x = F.pad(x, (2, 2, 2, 2))  # (N, 1, 32, 32): the paper pads so strokes reach C1's centres
        return x * self.input_scale + self.input_offset

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def layers(self) -> list[tuple[str, nn.Module]]:
        """(name, module) pairs in forward order; each module maps the previous output to the next."""
        raise NotImplementedError

    def forward_with_activations(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """One forward pass of (N, 1, 32, 32) input; returns each named layer's output."""
        activations: OrderedDict[str, Tensor] = OrderedDict()
        for name, layer in self.layers():
            x = layer(x)
            activations[name] = x
        return activations

    def forward(self, x: Tensor) -> Tensor:
        for _, layer in self.layers():
            x = layer(x)
        return x

    def loss(self, output: Tensor, labels: Tensor) -> Tensor:
        """Training loss of a batch's OUTPUT against integer labels (cross-entropy here)."""
        return F.cross_entropy(output, labels)

    def classify(self, output: Tensor) -> Tensor:
        """Predicted class per sample from the OUTPUT layer."""
        return output.argmax(dim=-1)

    def scores_to_probabilities(self, output: Tensor) -> Tensor:
        """Class probabilities from the OUTPUT layer (logits for the modern variant)."""
        return torch.softmax(output, dim=-1)

    @torch.inference_mode()
    def predict(self, images: ImageBatch) -> np.ndarray:
        """(N, 28, 28) images in [0, 1] -> (N, 10) class probabilities as a numpy array."""
        output = self.forward(self.to_input(images))
        return self.scores_to_probabilities(output).cpu().numpy()

    def kernels(self) -> dict[str, Tensor]:
        """Convolution kernels to show: "C1" (6, 1, 5, 5) and "C3" (16, 6, 5, 5), detached copies."""
        raise NotImplementedError


class _Flatten(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(1)


class _ConvReLU(nn.Module):
    def __init__(self, conv: nn.Conv2d, flatten: bool = False) -> None:
        super().__init__()
        self.conv = conv
        self.flatten = flatten

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(self.conv(x))
        return y.flatten(1) if self.flatten else y


class _LinearReLU(nn.Module):
    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.linear = linear

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.linear(x))


class ModernLeNet5(LeNet5):
    """The LeNet-5 most tutorials teach: ReLU and max pooling, a linear 10-way output (logits).

    Conv(1,6,5)-ReLU-MaxPool(2)-Conv(6,16,5)-ReLU-MaxPool(2)-Conv(16,120,5)-ReLU-
    Linear(120,84)-ReLU-Linear(84,10), on 1x32x32 input normalised with MNIST's mean and std.
    """

    variant = "modern"
    # MNIST's pixel mean and standard deviation: x = (p - mean) / std.
    input_offset = -0.1307 / 0.3081
    input_scale = 1.0 / 0.3081

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)
        self._layers = [
            ("C1", _ConvReLU(self.c1)),  # (N, 6, 28, 28)
            ("S2", nn.MaxPool2d(2)),  # (N, 6, 14, 14)
            ("C3", _ConvReLU(self.c3)),  # (N, 16, 10, 10)
            ("S4", nn.MaxPool2d(2)),  # (N, 16, 5, 5)
            ("C5", _ConvReLU(self.c5, flatten=True)),  # (N, 120)
            ("F6", _LinearReLU(self.f6)),  # (N, 84)
            ("OUTPUT", self.output),  # (N, 10) logits
        ]

    def layers(self) -> list[tuple[str, nn.Module]]:
        return self._layers

    def kernels(self) -> dict[str, Tensor]:
        return {"C1": self.c1.weight.detach().clone(), "C3": self.c3.weight.detach().clone()}
