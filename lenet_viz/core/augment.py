"""Training-time distortions that make MNIST look like people's handwriting on a drawing pad.

Drawn digits differ from MNIST's after preprocessing mostly in stroke thickness (a small digit
drawn with a wide pen becomes thick once scaled to 20x20), slant, proportions and a residual
offset. Each batch gets random affine warps (rotation, shear, anisotropic scale, shift) and a
random thinning or thickening of strokes, all as a few batched tensor operations.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

MAX_ROTATION_DEG = 15.0
MAX_SHEAR = 0.25
SCALE_RANGE = (0.8, 1.15)
ASPECT_RANGE = (0.85, 1.15)
MAX_SHIFT_PX = 2.5


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def random_affine(images: Tensor, generator: torch.Generator) -> Tensor:
    """Warp each (28, 28) image by its own random rotation, shear, scale and shift."""
    n = images.shape[0]
    angle = torch.deg2rad(_uniform(n, -MAX_ROTATION_DEG, MAX_ROTATION_DEG, generator))
    shear = _uniform(n, -MAX_SHEAR, MAX_SHEAR, generator)
    scale = _uniform(n, *SCALE_RANGE, generator)
    aspect = _uniform(n, *ASPECT_RANGE, generator)
    shift = _uniform(2 * n, -MAX_SHIFT_PX, MAX_SHIFT_PX, generator).view(n, 2) * (2.0 / 28)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output coordinates to input ones, so this is the inverse warp:
    # dividing by the scale enlarges the digit, the shear slants it.
    sx, sy = 1.0 / (scale * aspect), aspect / scale
    theta = torch.empty(n, 2, 3)
    theta[:, 0, 0] = cos * sx
    theta[:, 0, 1] = (-sin + shear) * sx
    theta[:, 1, 0] = sin * sy
    theta[:, 1, 1] = cos * sy
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, [n, 1, 28, 28], align_corners=False)
    return F.grid_sample(images.unsqueeze(1), grid, align_corners=False).squeeze(1)


def random_thickness(images: Tensor, generator: torch.Generator) -> Tensor:
    """Thicken about 40% of the strokes by one or two pixels and thin about 15% by one."""
    n = images.shape[0]
    choice = torch.rand(n, generator=generator)
    x = images.unsqueeze(1)  # (N, 1, 28, 28)
    thick1 = F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 2, stride=1)
    thick2 = F.max_pool2d(x, 3, stride=1, padding=1)
    thin = -F.max_pool2d(F.pad(-x, (0, 1, 0, 1), value=-1.0), 2, stride=1)
    out = x.clone()
    out[choice < 0.25] = thick1[choice < 0.25]
    pick = (choice >= 0.25) & (choice < 0.40)
    out[pick] = thick2[pick]
    pick = choice >= 0.85
    out[pick] = torch.maximum(thin[pick], x[pick] * 0.35)  # never erase a stroke entirely
    return out.squeeze(1)


def augment_batch(images: Tensor, generator: torch.Generator) -> Tensor:
    """A distorted copy of a (B, 28, 28) float batch in [0, 1]."""
    warped = random_affine(images, generator)
    return random_thickness(warped, generator).clamp_(0.0, 1.0)
