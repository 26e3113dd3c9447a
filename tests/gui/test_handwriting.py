"""Digits drawn with the mouse, not taken from MNIST: large, small, off-centre, thin and thick.

The strokes are one developer's own handwriting, written as polylines on the unit square; each is
drawn on the real pad with mouse events and must be read by the shipped weights.
"""

from __future__ import annotations

import pytest
from conftest import draw_stroke

from lenet_viz.gui.views.drawing_pad import PEN_WIDTHS

DIGITS: dict[int, list[list[tuple[float, float]]]] = {
    0: [
        [
            (0.5, 0.1),
            (0.3, 0.2),
            (0.22, 0.5),
            (0.3, 0.82),
            (0.5, 0.9),
            (0.7, 0.8),
            (0.78, 0.5),
            (0.7, 0.2),
            (0.5, 0.1),
        ]
    ],
    1: [[(0.42, 0.22), (0.55, 0.1), (0.55, 0.9)]],
    2: [[(0.25, 0.25), (0.4, 0.1), (0.62, 0.12), (0.7, 0.3), (0.6, 0.5), (0.25, 0.88), (0.78, 0.88)]],
    3: [[(0.25, 0.15), (0.6, 0.1), (0.7, 0.25), (0.45, 0.45), (0.72, 0.62), (0.65, 0.85), (0.25, 0.88)]],
    4: [[(0.55, 0.1), (0.2, 0.6), (0.8, 0.6)], [(0.6, 0.3), (0.6, 0.92)]],
    5: [[(0.72, 0.12), (0.32, 0.12), (0.28, 0.45), (0.6, 0.4), (0.72, 0.6), (0.62, 0.85), (0.25, 0.85)]],
    6: [
        [
            (0.65, 0.1),
            (0.38, 0.38),
            (0.28, 0.68),
            (0.4, 0.88),
            (0.62, 0.84),
            (0.7, 0.65),
            (0.52, 0.5),
            (0.3, 0.62),
        ]
    ],
    7: [[(0.2, 0.15), (0.8, 0.15), (0.42, 0.9)]],
    8: [
        [
            (0.62, 0.15),
            (0.42, 0.1),
            (0.3, 0.25),
            (0.5, 0.45),
            (0.7, 0.65),
            (0.56, 0.9),
            (0.36, 0.86),
            (0.32, 0.66),
            (0.5, 0.45),
            (0.68, 0.28),
            (0.62, 0.15),
        ]
    ],
    9: [[(0.7, 0.28), (0.5, 0.12), (0.3, 0.26), (0.4, 0.45), (0.68, 0.36), (0.7, 0.28), (0.66, 0.92)]],
}

# (name, scale, (left, top), pen): how big and where on the pad, with which pen.
PLACEMENTS = [
    ("large", 0.95, (0.02, 0.02), "medium"),
    ("small top-left", 0.35, (0.03, 0.03), "medium"),
    ("small bottom-right", 0.4, (0.57, 0.55), "medium"),
    ("thin", 0.8, (0.1, 0.1), "thin"),
    ("thick", 0.8, (0.1, 0.1), "thick"),
]


def draw_digit(window, digit: int, scale: float, offset: tuple[float, float], pen: str) -> int | None:
    pad = window.drawing_pad
    pad.clear()
    pad.pen_width = PEN_WIDTHS[pen]
    for stroke in DIGITS[digit]:
        points = [(offset[0] + scale * x, offset[1] + scale * y) for x, y in stroke]
        draw_stroke(pad, points, process_events=False)
    window.controller.refresh()
    return window.prediction()[0]


@pytest.mark.parametrize("variant", ["modern", "classic"])
@pytest.mark.parametrize("name, scale, offset, pen", PLACEMENTS, ids=[p[0] for p in PLACEMENTS])
def test_hand_drawn_digits_are_read(window, variant, name, scale, offset, pen):
    window.controller.switch_variant(variant)
    wrong = {}
    for digit in DIGITS:
        predicted = draw_digit(window, digit, scale, offset, pen)
        if predicted != digit:
            wrong[digit] = predicted
    assert len(wrong) <= 1, f"{variant}, {name}: misread {wrong} (true: predicted)"
