"""Training curves: loss per batch (raw and smoothed) with test loss per epoch; accuracy per epoch."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from lenet_viz.core.snapshot import Curves
from lenet_viz.gui import style
from lenet_viz.gui.views.layer_views import TitledPanel

style.configure_pyqtgraph()


def _placeholder(plot: pg.PlotWidget, x: float, y: float) -> pg.TextItem:
    """A hint shown in an empty plot until the first data arrives."""
    text = pg.TextItem("press Train to start", color=style.MUTED, anchor=(0.5, 0.5))
    font = QFont()
    font.setPointSizeF(14)
    text.setFont(font)
    text.setPos(x, y)
    plot.addItem(text)
    return text


def _follow_data(plot: pg.PlotWidget, placeholder: pg.TextItem, has_data: bool) -> None:
    """With data: hide the hint and let the axes follow it (the empty plot had fixed ranges)."""
    if has_data and placeholder.isVisible():
        placeholder.setVisible(False)
        plot.enableAutoRange()
    elif not has_data:
        placeholder.setVisible(True)


def _marked_series(plot: pg.PlotWidget, colour: str, symbol: str, name: str) -> pg.PlotDataItem:
    """A line with a marker per point: one point per epoch."""
    return plot.plot(
        pen=pg.mkPen(colour, width=2), symbol=symbol, symbolSize=9, symbolBrush=colour, name=name
    )


def _plot(left: str, bottom: str, legend_offset: tuple[int, int] = (-10, 10)) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setMenuEnabled(False)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setLabel("left", left)
    # No "(x0.001)" unit prefixes: on a log axis they turn a loss of 0.1 into "10^2".
    plot.getAxis("left").enableAutoSIPrefix(False)
    plot.setLabel("bottom", bottom)
    plot.addLegend(offset=legend_offset, labelTextSize="10pt")  # negative: from the right/bottom
    return plot


class LossView(TitledPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "LOSS", "per batch (faint), smoothed, and on the test set after each epoch", "", parent
        )
        # Bottom left: the loss falls from the top left, so the legend stays out of its way.
        self.plot = _plot("loss (log scale)", "training step (batches)", legend_offset=(10, -10))
        self.plot.setLogMode(y=True)
        self.raw = self.plot.plot(pen=pg.mkPen("#5f6b7a", width=1), name="batch")
        self.smooth = self.plot.plot(pen=pg.mkPen(style.ACCENT, width=3), name="smoothed")
        self.test = _marked_series(self.plot, style.ACCENT_2, "o", "test")
        self.plot.setXRange(0, 1000)
        self.plot.setYRange(-2, 0.5)  # log10: loss 0.01 .. 3
        self.placeholder = _placeholder(self.plot, 500, -0.75)
        self.body.addWidget(self.plot, 1)

    def set_curves(self, curves: Curves) -> None:
        steps = curves.batch_steps
        _follow_data(self.plot, self.placeholder, len(steps) > 0)
        # Loss can reach exactly 0 on a batch; the log axis needs positive values.
        self.raw.setData(steps, np.maximum(curves.batch_loss, 1e-6))
        self.smooth.setData(steps, np.maximum(curves.smoothed_loss, 1e-6))
        n = len(curves.test_loss)
        self.test.setData(curves.epoch_steps[:n], np.maximum(curves.test_loss, 1e-6))

    def clear(self) -> None:
        for item in (self.raw, self.smooth, self.test):
            item.setData([], [])
        self.placeholder.setVisible(True)


class AccuracyView(TitledPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("ACCURACY", "on the training and test sets, after each epoch", "", parent)
        # Bottom right: accuracy climbs towards the top, so the legend stays out of its way.
        self.plot = _plot("accuracy (%)", "epoch", legend_offset=(-10, -10))
        self.train = _marked_series(self.plot, style.ACCENT, "s", "train")
        self.test = _marked_series(self.plot, style.ACCENT_2, "o", "test")
        self.plot.setXRange(0.5, 4.5)
        self.plot.setYRange(80, 100)
        self.plot.getAxis("bottom").setTickSpacing(1, 1)  # whole epochs only
        self.placeholder = _placeholder(self.plot, 2.5, 90)
        self.body.addWidget(self.plot, 1)

    def set_curves(self, curves: Curves) -> None:
        _follow_data(self.plot, self.placeholder, len(curves.train_accuracy) > 0)
        self.plot.setXRange(0.5, max(1, len(curves.train_accuracy)) + 0.5, padding=0)
        epochs = np.arange(1, len(curves.train_accuracy) + 1)
        self.train.setData(epochs, curves.train_accuracy * 100)
        self.test.setData(np.arange(1, len(curves.test_accuracy) + 1), curves.test_accuracy * 100)

    def clear(self) -> None:
        self.train.setData([], [])
        self.test.setData([], [])
        self.placeholder.setVisible(True)
