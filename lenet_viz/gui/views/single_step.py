"""Single-step mode: one mini-batch, and what it did to each C1 kernel (before, update, after)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QPushButton, QWidget

from lenet_viz.gui.views.layer_views import FeatureMapView, KernelView


class SingleStepDialog(QDialog):
    step_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Single step: one mini-batch at a time")
        self.setObjectName("single_step")
        self.resize(1400, 520)
        self.batch_view = FeatureMapView("BATCH", "the training images of this step", "", columns=8)
        self.before = KernelView("C1 before", "the six kernels", "6 of 5×5")
        self.update_view = KernelView("Update", "after − before (its own scale)", "6 of 5×5")
        self.after = KernelView("C1 after", "the six kernels", "6 of 5×5")
        self.step_button = QPushButton("Step (one mini-batch)")
        self.step_button.setObjectName("step_button")
        self.step_button.clicked.connect(self.step_requested)
        self.info = QLabel("Press Step: the network learns from one batch of training digits.")
        self.info.setWordWrap(True)
        grid = QGridLayout(self)
        grid.addWidget(self.batch_view, 0, 0)
        grid.addWidget(self.before, 0, 1)
        grid.addWidget(self.update_view, 0, 2)
        grid.addWidget(self.after, 0, 3)
        grid.addWidget(self.step_button, 1, 0)
        grid.addWidget(self.info, 1, 1, 1, 3)
        for column, stretch in enumerate([3, 2, 2, 2]):
            grid.setColumnStretch(column, stretch)

    def show_step(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        loss: float,
        before: np.ndarray,
        after: np.ndarray,
        step: int,
    ) -> None:
        """``images`` (B, 28, 28); ``before``/``after`` the C1 kernels (6, 1, 5, 5)."""
        self.batch_view.set_maps(images)
        self.before.set_kernels(before)
        self.update_view.set_kernels(after - before)
        self.after.set_kernels(after)
        counts = np.bincount(labels, minlength=10)
        digits = ", ".join(f"{n}×{d}" for d, n in enumerate(counts) if n)
        change = float(np.abs(after - before).max())
        self.info.setText(
            f"Step {step}: a batch of {len(labels)} digits ({digits}); loss {loss:.4f}. "
            f"The largest change to a C1 weight was {change:.5f}."
        )
