"""Tile a stack of small maps into one 2-D image, so each layer is drawn with a single image.

One ``setImage`` per layer (not one per map) keeps the GUI's per-frame work small.
"""

from __future__ import annotations

import math

import numpy as np


def grid_shape(count: int, columns: int | None = None) -> tuple[int, int]:
    """(rows, columns) for ``count`` tiles; near-square unless ``columns`` is given."""
    cols = columns or math.ceil(math.sqrt(count))
    return math.ceil(count / cols), cols


def tile(maps: np.ndarray, columns: int | None = None, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """(C, H, W) -> (rows*H + (rows-1)*gap, cols*W + (cols-1)*gap) float32, gaps = ``fill``."""
    maps = np.asarray(maps, dtype=np.float32)
    count, height, width = maps.shape
    rows, cols = grid_shape(count, columns)
    out = np.full((rows * (height + gap) - gap, cols * (width + gap) - gap), fill, dtype=np.float32)
    for index in range(count):
        r, c = divmod(index, cols)
        top, left = r * (height + gap), c * (width + gap)
        out[top : top + height, left : left + width] = maps[index]
    return out
