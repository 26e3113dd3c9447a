"""Training-time distortions that make MNIST look like people's handwriting on a drawing pad.

Drawn digits differ from MNIST's after preprocessing mostly in stroke thickness (a small digit
drawn with a wide pen becomes thick once scaled to 20x20), slant, proportions and a residual
offset. Each batch gets random planar affine warps and a random thinning or thickening of strokes,
all as a few batched tensor operations. Every kind has its own documented range in
:class:`Distortions`; each is drawn uniformly and independently per image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class Distortions:
    """Ranges of the random distortions (0 switches a kind off)."""

    shift_x: float = 2.5  # horizontal translation, +-pixels of the 28x28 image
    shift_y: float = 2.5  # vertical translation, +-pixels
    scale: float = 0.15  # uniform scaling by a factor in [1 - scale, 1 + scale]
    squeeze: float = 0.15  # width x (1 + s), height / (1 + s), s in [-squeeze, squeeze]
    shear: float = 0.25  # horizontal shear: x += shear * y, +-
    rotation: float = 15.0  # +-degrees
    thickness: bool = True  # thicken ~40% of digits by 1-2 px, thin ~15% by 1 px

    @classmethod
    def only(cls, **kinds: float | bool) -> Distortions:
        """All kinds off except those given (for showing or testing one at a time)."""
        off = {
            "shift_x": 0.0,
            "shift_y": 0.0,
            "scale": 0.0,
            "squeeze": 0.0,
            "shear": 0.0,
            "rotation": 0.0,
            "thickness": False,
        }
        return cls(**{**off, **kinds})  # type: ignore[arg-type]


DEFAULT = Distortions()


def _uniform(n: int, half_range: float, generator: torch.Generator) -> Tensor:
    return (torch.rand(n, generator=generator) * 2 - 1) * half_range


def random_affine(images: Tensor, generator: torch.Generator, d: Distortions = DEFAULT) -> Tensor:
    """Warp each (28, 28) image by its own random shift, scale, squeeze, shear and rotation."""
    n = images.shape[0]
    angle = torch.deg2rad(_uniform(n, d.rotation, generator))
    shear = _uniform(n, d.shear, generator)
    scale = 1.0 + _uniform(n, d.scale, generator)
    squeeze = 1.0 + _uniform(n, d.squeeze, generator)
    shift_x = _uniform(n, d.shift_x, generator) * (2.0 / 28)  # pixels -> [-1, 1] coordinates
    shift_y = _uniform(n, d.shift_y, generator) * (2.0 / 28)
    # Forward map (output = A @ input + t) with A = R @ Shear @ Scale; affine_grid wants the inverse.
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx, sy = scale * squeeze, scale / squeeze
    forward = torch.zeros(n, 3, 3)
    forward[:, 0, 0] = cos * sx
    forward[:, 0, 1] = cos * shear * sy - sin * sy
    forward[:, 1, 0] = sin * sx
    forward[:, 1, 1] = sin * shear * sy + cos * sy
    forward[:, 0, 2] = shift_x
    forward[:, 1, 2] = shift_y
    forward[:, 2, 2] = 1.0
    theta = torch.linalg.inv(forward)[:, :2, :]
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


def augment_batch(images: Tensor, generator: torch.Generator, d: Distortions = DEFAULT) -> Tensor:
    """A distorted copy of a (B, 28, 28) float batch in [0, 1]."""
    warped = random_affine(images, generator, d)
    if d.thickness:
        warped = random_thickness(warped, generator)
    return warped.clamp_(0.0, 1.0)
