"""Training curves: loss per batch (raw and smoothed) with test loss per epoch; accuracy per epoch."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from lenet_viz.core.snapshot import Curves
from lenet_viz.gui import style
from lenet_viz.gui.views.layer_views import TitledPanel

style.configure_pyqtgraph()


def _plot(left: str, bottom: str) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setMenuEnabled(False)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.addLegend(offset=(-10, 10), labelTextSize="10pt")
    return plot


class LossView(TitledPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "LOSS", "per batch (faint), smoothed, and on the test set per epoch", parent
        )
        self.plot = _plot("loss (log scale)", "training step (batches)")
        self.plot.setLogMode(y=True)
        self.raw = self.plot.plot(pen=pg.mkPen("#5f6b7a", width=1), name="batch")
        self.smooth = self.plot.plot(pen=pg.mkPen(style.ACCENT, width=3), name="smoothed")
        self.test = self.plot.plot(
            pen=pg.mkPen(style.ACCENT_2, width=2),
            symbol="o",
            symbolSize=9,
            symbolBrush=style.ACCENT_2,
            name="test",
        )
        self.body.addWidget(self.plot, 1)

    def set_curves(self, curves: Curves) -> None:
        steps = curves.batch_steps
        # Loss can reach exactly 0 on a batch; the log axis needs positive values.
        self.raw.setData(steps, np.maximum(curves.batch_loss, 1e-6))
        self.smooth.setData(steps, np.maximum(curves.smoothed_loss, 1e-6))
        n = len(curves.test_loss)
        self.test.setData(curves.epoch_steps[:n], np.maximum(curves.test_loss, 1e-6))

    def clear(self) -> None:
        for item in (self.raw, self.smooth, self.test):
            item.setData([], [])


class AccuracyView(TitledPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("ACCURACY", "on the training and test sets, per epoch", parent)
        self.plot = _plot("accuracy (%)", "epoch")
        self.train = self.plot.plot(
            pen=pg.mkPen(style.ACCENT, width=2),
            symbol="s",
            symbolSize=9,
            symbolBrush=style.ACCENT,
            name="train",
        )
        self.test = self.plot.plot(
            pen=pg.mkPen(style.ACCENT_2, width=2),
            symbol="o",
            symbolSize=9,
            symbolBrush=style.ACCENT_2,
            name="test",
        )
        self.body.addWidget(self.plot, 1)

    def set_curves(self, curves: Curves) -> None:
        epochs = np.arange(1, len(curves.train_accuracy) + 1)
        self.train.setData(epochs, curves.train_accuracy * 100)
        self.test.setData(np.arange(1, len(curves.test_accuracy) + 1), curves.test_accuracy * 100)

    def clear(self) -> None:
        self.train.setData([], [])
        self.test.setData([], [])
