"""The invariance lab: sliders that distort the current digit, and a sweep of one of them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QGridLayout, QLabel, QPushButton, QSlider, QWidget

from lenet_viz.core.invariance import RANGES, Transform
from lenet_viz.gui import style

style.configure_pyqtgraph()

LABELS = {
    "shift_x": "Shift right (px)",
    "shift_y": "Shift down (px)",
    "rotation": "Rotate (°)",
    "scale": "Scale (×)",
    "thickness": "Thicker / thinner (px)",
    "noise": "Noise (σ)",
}
STEPS = 100  # slider positions across each range


class InvarianceLab(QDialog):
    changed = Signal()  # the transform changed: the window redraws every view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Invariance lab: what does the network tolerate?")
        self.setObjectName("invariance_lab")
        self.resize(760, 620)
        grid = QGridLayout(self)
        self.sliders: dict[str, QSlider] = {}
        self.value_labels: dict[str, QLabel] = {}
        for row, name in enumerate(RANGES):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, STEPS if name != "thickness" else int(RANGES[name][1] - RANGES[name][0]))
            slider.setObjectName(f"slider_{name}")
            value = QLabel("")
            grid.addWidget(QLabel(LABELS[name]), row, 0)
            grid.addWidget(slider, row, 1)
            grid.addWidget(value, row, 2)
            self.sliders[name], self.value_labels[name] = slider, value
            slider.valueChanged.connect(self._moved)
        self.reset_button = QPushButton("Reset")
        self.reset_button.clicked.connect(self.reset)
        grid.addWidget(self.reset_button, len(RANGES), 2)
        self.sweep_choice = QComboBox()
        for name in RANGES:
            self.sweep_choice.addItem(LABELS[name], name)
        self.sweep_choice.setCurrentIndex(list(RANGES).index("rotation"))
        self.sweep_choice.currentIndexChanged.connect(lambda: self.changed.emit())
        grid.addWidget(QLabel("Sweep:"), len(RANGES), 0)
        grid.addWidget(self.sweep_choice, len(RANGES), 1)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setYRange(0, 1.02, padding=0)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.curve = self.plot.plot(
            pen=pg.mkPen(style.ACCENT, width=3), symbol="o", symbolSize=6, symbolBrush=style.ACCENT
        )
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(style.ACCENT_2, width=2))
        self.plot.addItem(self.marker)
        grid.addWidget(self.plot, len(RANGES) + 1, 0, 1, 3)
        grid.setRowStretch(len(RANGES) + 1, 1)
        grid.setColumnStretch(1, 1)
        self.reset()

    def _value(self, name: str) -> float:
        low, high = RANGES[name]
        slider = self.sliders[name]
        if name == "thickness":
            return low + slider.value()
        return low + (high - low) * slider.value() / STEPS

    def set_value(self, name: str, value: float) -> None:
        low, high = RANGES[name]
        position = value - low if name == "thickness" else (value - low) / (high - low) * STEPS
        self.sliders[name].setValue(int(round(position)))

    def transform(self) -> Transform:
        values = {name: self._value(name) for name in RANGES}
        return Transform(**{**values, "thickness": int(values["thickness"])})  # type: ignore[arg-type]

    def reset(self) -> None:
        for name, slider in self.sliders.items():
            slider.blockSignals(True)
            default = getattr(Transform(), name)
            low, high = RANGES[name]
            slider.setValue(
                int(round(default - low if name == "thickness" else (default - low) / (high - low) * STEPS))
            )
            slider.blockSignals(False)
        self._moved()

    def _moved(self) -> None:
        for name in RANGES:
            self.value_labels[name].setText(f"{self._value(name):+.2f}".rstrip("0").rstrip("."))
        self.changed.emit()

    def sweep_parameter(self) -> tuple[str, np.ndarray]:
        name = str(self.sweep_choice.currentData())
        low, high = RANGES[name]
        count = int(high - low) + 1 if name == "thickness" else 25
        return name, np.linspace(low, high, count)

    def show_sweep(self, name: str, values: np.ndarray, probabilities: np.ndarray, digit: int) -> None:
        self.curve.setData(values, probabilities)
        self.marker.setValue(getattr(self.transform(), name))
        self.plot.setLabel("bottom", LABELS[name])
        self.plot.setLabel("left", f"probability of {digit}")
        self.plot.setXRange(float(values[0]), float(values[-1]), padding=0.02)
