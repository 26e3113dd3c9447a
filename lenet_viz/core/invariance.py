"""The invariance lab: shift, rotate, scale, thicken and add noise to a digit, and sweep one of them.

Everything acts on the MNIST-style (28, 28) image, after preprocessing: it shows what the network
itself tolerates (preprocessing would undo shifts and scale of a drawing before the net sees it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from lenet_viz.core.model import LeNet5


@dataclass(frozen=True)
class Transform:
    shift_x: float = 0.0  # pixels, + to the right
    shift_y: float = 0.0  # pixels, + downwards
    rotation: float = 0.0  # degrees, + counter-clockwise
    scale: float = 1.0
    thickness: int = 0  # + thickens by that many pixels, - thins
    noise: float = 0.0  # standard deviation of added Gaussian noise (image in [0, 1])
    seed: int = 0

    @property
    def is_identity(self) -> bool:
        return self == Transform(seed=self.seed)


#: Slider ranges: (minimum, maximum) per parameter.
RANGES: dict[str, tuple[float, float]] = {
    "shift_x": (-8, 8),
    "shift_y": (-8, 8),
    "rotation": (-90, 90),
    "scale": (0.4, 1.6),
    "thickness": (-2, 3),
    "noise": (0.0, 0.6),
}


def apply(image: np.ndarray, t: Transform) -> np.ndarray:
    """``image`` (28, 28) in [0, 1] transformed by ``t``; float32 in [0, 1]."""
    if t.is_identity:
        return np.asarray(image, dtype=np.float32)
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))[None, None]  # (1, 1, 28, 28)
    angle = math.radians(t.rotation)
    cos, sin = math.cos(angle) / t.scale, math.sin(angle) / t.scale
    # affine_grid maps output to input coordinates (y points down, so + angle turns it visually left).
    theta = torch.tensor(
        [
            [cos, sin, -t.shift_x * 2 / 28 * cos - t.shift_y * 2 / 28 * sin],
            [-sin, cos, t.shift_x * 2 / 28 * sin - t.shift_y * 2 / 28 * cos],
        ],
        dtype=torch.float32,
    )[None]
    grid = F.affine_grid(theta, [1, 1, 28, 28], align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False)
    for _ in range(max(0, t.thickness)):
        x = F.max_pool2d(x, 3, stride=1, padding=1)
    for _ in range(max(0, -t.thickness)):
        x = -F.max_pool2d(-x, 3, stride=1, padding=1)
    if t.noise > 0:
        generator = torch.Generator().manual_seed(t.seed)
        x = x + torch.randn(x.shape, generator=generator) * t.noise
    return x.clamp(0.0, 1.0)[0, 0].numpy()


@torch.inference_mode()
def sweep(
    model: LeNet5, image: np.ndarray, base: Transform, name: str, values: np.ndarray, digit: int
) -> np.ndarray:
    """Probability of ``digit`` as parameter ``name`` takes each of ``values`` (others from ``base``)."""
    batch = np.stack([apply(image, replace(base, **{name: type(getattr(base, name))(v)})) for v in values])
    return model.predict(batch)[:, digit]
