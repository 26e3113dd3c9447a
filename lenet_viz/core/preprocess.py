"""Turn a drawing into an MNIST-style image, the way MNIST itself was made.

MNIST's digits were size-normalised to fit a 20x20 box (keeping the aspect ratio, with
anti-aliasing), then centred by their centre of mass in a 28x28 field. Doing the same to a
drawing is what lets a network trained on MNIST read a digit drawn anywhere, at any size.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

FIELD = 28  # MNIST image side
BOX = 20  # side of the box the ink is scaled to fit
INK_THRESHOLD = 0.05  # faint pixels (anti-aliasing fringes) do not widen the bounding box


def ink_bounding_box(canvas: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), bottom/right exclusive, of pixels above the threshold; None if blank."""
    mask = canvas > INK_THRESHOLD
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def fit_to_box(ink: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale ``ink`` so its longer side is ``box`` pixels, keeping the aspect ratio (anti-aliased)."""
    h, w = ink.shape
    scale = box / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    t = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None]
    resized = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)
    return resized[0, 0].clamp_(0.0, 1.0).numpy()


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, col) of the intensity-weighted centre of ``image``."""
    total = float(image.sum())
    rows = np.arange(image.shape[0], dtype=np.float64)
    cols = np.arange(image.shape[1], dtype=np.float64)
    return float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ cols) / total


def center_in_field(fitted: np.ndarray, field: int = FIELD) -> np.ndarray:
    """Place ``fitted`` in a ``field``x``field`` image so its centre of mass is at the centre."""
    h, w = fitted.shape
    com_r, com_c = center_of_mass(fitted)
    centre = (field - 1) / 2.0
    # Integer shifts (as MNIST did) keep strokes sharp; clamping keeps all the ink in the field.
    top = int(np.clip(round(centre - com_r), 0, field - h))
    left = int(np.clip(round(centre - com_c), 0, field - w))
    out = np.zeros((field, field), dtype=np.float32)
    out[top : top + h, left : left + w] = fitted
    return out


def preprocess_steps(canvas: np.ndarray) -> dict[str, np.ndarray]:
    """Every step from a drawing to the MNIST-style image, for showing them side by side.

    Keys, in order: "canvas" (the drawing), "cropped" (its ink's bounding box), "fitted" (scaled
    to fit 20x20), "centred" (28x28, centre of mass in the middle). An empty canvas gives empty
    crops and an all-zero "centred".
    """
    canvas = np.asarray(canvas, dtype=np.float32)
    if canvas.ndim != 2:
        raise ValueError(f"expected a 2-D canvas, got shape {canvas.shape}")
    empty = np.zeros((0, 0), dtype=np.float32)
    steps = {"canvas": canvas, "cropped": empty, "fitted": empty}
    box = ink_bounding_box(canvas)
    if box is None:
        return {**steps, "centred": np.zeros((FIELD, FIELD), dtype=np.float32)}
    top, bottom, left, right = box
    cropped = np.clip(canvas[top:bottom, left:right], 0.0, 1.0)
    fitted = fit_to_box(cropped)
    centred = center_in_field(fitted) if fitted.sum() > 0 else np.zeros((FIELD, FIELD), dtype=np.float32)
    return {"canvas": canvas, "cropped": cropped, "fitted": fitted, "centred": centred}


def preprocess_canvas(canvas: np.ndarray) -> np.ndarray:
    """A drawing (2-D, any size, ink high in [0, 1]) -> MNIST-style (28, 28) float32 in [0, 1].

    An empty canvas gives all zeros.
    """
    return preprocess_steps(canvas)["centred"]
