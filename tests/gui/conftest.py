"""GUI fixtures: a real MainWindow under offscreen Qt, and a guard against leftover threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from lenet_viz.gui.main_window import MainWindow


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path, monkeypatch):
    """Autosaves and saved models go to a temporary folder, never the real user's."""
    monkeypatch.setenv("LENET_VIZ_CHECKPOINTS", str(tmp_path / "checkpoints"))


@pytest.fixture(autouse=True)
def no_leftover_threads():
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for thread in leftover:
        thread.join(2.0)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"threads left running: {still}"


@pytest.fixture
def window(qtbot, mnist_dir):
    win = MainWindow(data_dir=mnist_dir)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _send(widget, kind, pos: QPointF, buttons) -> None:
    button = Qt.MouseButton.LeftButton if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def draw_stroke(pad, points, process_events: bool = True) -> None:
    """Press at the first point, move through the rest with the left button held, release.

    Coordinates are fractions of the pad's square drawing area (0..1). The button is released in
    ``finally`` so a failing assertion never leaves it pressed.
    """
    side = min(pad.width(), pad.height())
    x0, y0 = (pad.width() - side) / 2, (pad.height() - side) / 2
    scaled = [QPointF(x0 + fx * side, y0 + fy * side) for fx, fy in points]
    held = Qt.MouseButton.LeftButton
    _send(pad, QMouseEvent.Type.MouseButtonPress, scaled[0], held)
    try:
        for a, b in zip(scaled, scaled[1:]):
            for t in np.linspace(0, 1, 5)[1:]:
                _send(pad, QMouseEvent.Type.MouseMove, a + (b - a) * float(t), held)
                if process_events:
                    QApplication.processEvents()
    finally:
        _send(pad, QMouseEvent.Type.MouseButtonRelease, scaled[-1], Qt.MouseButton.NoButton)
    QApplication.processEvents()


ONE = [(0.5, 0.15), (0.5, 0.85)]
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]
ZERO = [
    (0.5, 0.15),
    (0.3, 0.3),
    (0.28, 0.6),
    (0.45, 0.85),
    (0.65, 0.75),
    (0.72, 0.45),
    (0.65, 0.2),
    (0.5, 0.15),
]
