"""Training controls: hyperparameters, Train / Pause / Stop / Reset, and live progress."""

from __future__ import annotations

import math

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyle,
    QWidget,
)

from lenet_viz.core.snapshot import Progress
from lenet_viz.core.training import TrainConfig

OPTIMIZER_CHOICES = [("Adam", "adam"), ("SGD + momentum", "sgd")]
SCHEDULE_CHOICES = [
    ("cosine decay", "cosine"),
    ("step (×0.3 per epoch)", "step"),
    ("constant", "constant"),
]
SUGGESTED_LR = {"adam": 2e-3, "sgd": 0.05}
BATCH_SIZES = [16, 32, 64, 128, 256, 512]


class _Explaining:
    """Mixin for spin boxes: say so when typed text is refused, instead of silently ignoring it."""

    refused: Signal

    def validate(self, text: str, pos: int) -> object:
        result = super().validate(text, pos)  # type: ignore[misc]
        if result[0] == QValidator.State.Invalid:
            self.refused.emit(text)  # type: ignore[attr-defined]
        return result


class _ExplainingDoubleSpinBox(_Explaining, QDoubleSpinBox):
    refused = Signal(str)


class _ExplainingSpinBox(_Explaining, QSpinBox):
    refused = Signal(str)


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingPanel(QGroupBox):
    """Emits what the user asks for; shows what the controller reports."""

    train_clicked = Signal()
    pause_clicked = Signal()
    stop_clicked = Signal()
    reset_clicked = Signal()
    lr_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("TRAINING", parent)
        defaults = TrainConfig()
        self.lr = _ExplainingDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr.setValue(defaults.lr)
        self.lr.setToolTip("Applies immediately, also while training")
        self.batch_size = QComboBox()
        for size in BATCH_SIZES:
            self.batch_size.addItem(str(size), size)
        self.batch_size.setCurrentIndex(BATCH_SIZES.index(defaults.batch_size))
        self.optimizer = QComboBox()
        for text, key in OPTIMIZER_CHOICES:
            self.optimizer.addItem(text, key)
        self.schedule = QComboBox()
        for text, key in SCHEDULE_CHOICES:
            self.schedule.addItem(text, key)
        self.epochs = _ExplainingSpinBox()
        self.epochs.setRange(1, 100)
        self.epochs.setValue(defaults.epochs)
        self.augment = QCheckBox("distort digits")
        self.augment.setToolTip(
            "Random shifts, rotations, scaling and stroke thickness: reads real handwriting better"
        )
        self.augment.setChecked(defaults.augment)

        icons = self.style()
        pixmap = QStyle.StandardPixmap
        self._play_icon = icons.standardIcon(pixmap.SP_MediaPlay)
        self._pause_icon = icons.standardIcon(pixmap.SP_MediaPause)
        self.train_button = QPushButton(self._play_icon, "Train")
        self.train_button.setObjectName("train_button")
        self.pause_button = QPushButton(self._pause_icon, "Pause")
        self.pause_button.setObjectName("pause_button")
        self.stop_button = QPushButton(icons.standardIcon(pixmap.SP_MediaStop), "Stop")
        self.stop_button.setObjectName("stop_button")
        self.reset_button = QPushButton(icons.standardIcon(pixmap.SP_BrowserReload), "Reset weights")
        self.reset_button.setObjectName("reset_button")
        self.reset_button.setToolTip("Random weights: watch the network learn from scratch")

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setFormat("%p%")
        self.status = QLabel("Ready. Press Train to learn on MNIST.")
        self.status.setObjectName("training_status")
        self.status.setWordWrap(True)
        self.speed = QLabel("")
        self.speed.setObjectName("training_speed")
        self.input_hint = QLabel("")
        self.input_hint.setObjectName("input_hint")
        self.input_hint.setStyleSheet("color: #ff8a80;")
        self.input_hint.hide()
        self._hint_timer = QTimer(self)
        self._hint_timer.setSingleShot(True)
        self._hint_timer.timeout.connect(self.input_hint.hide)
        self.lr.refused.connect(
            lambda text: self._refuse(text, "Learning rate", "a number from 0.00001 to 1")
        )
        self.epochs.refused.connect(lambda text: self._refuse(text, "Epochs", "a whole number from 1 to 100"))

        # Two columns of settings keep the panel short, leaving height for the network above.
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(10)
        settings = [
            ("Learning rate", self.lr, "Batch size", self.batch_size),
            ("Optimizer", self.optimizer, "LR schedule", self.schedule),
        ]
        for row, (label_a, widget_a, label_b, widget_b) in enumerate(settings):
            grid.addWidget(QLabel(label_a), row, 0)
            grid.addWidget(widget_a, row, 1)
            grid.addWidget(QLabel(label_b), row, 2)
            grid.addWidget(widget_b, row, 3)
        grid.addWidget(QLabel("Epochs"), 2, 0)
        grid.addWidget(self.epochs, 2, 1)
        grid.addWidget(self.augment, 2, 2, 1, 2)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button, self.reset_button):
            buttons.addWidget(button)
        grid.addLayout(buttons, 3, 0, 1, 4)
        grid.addWidget(self.progress_bar, 4, 0, 1, 4)
        grid.addWidget(self.status, 5, 0, 1, 4)
        grid.addWidget(self.speed, 6, 0, 1, 4)
        grid.addWidget(self.input_hint, 7, 0, 1, 4)
        grid.setRowStretch(8, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.train_button.clicked.connect(self.train_clicked)
        self.pause_button.clicked.connect(self.pause_clicked)
        self.stop_button.clicked.connect(self.stop_clicked)
        self.reset_button.clicked.connect(self.reset_clicked)
        self.lr.valueChanged.connect(self.lr_changed)
        self.optimizer.currentIndexChanged.connect(self._suggest_lr)
        self.set_state("idle")

    def _refuse(self, text: str, what: str, allowed: str) -> None:
        self.input_hint.setText(f"{what}: “{text}” refused — type {allowed}.")
        self.input_hint.show()
        self._hint_timer.start(5000)

    def _suggest_lr(self) -> None:
        self.lr.setValue(SUGGESTED_LR[self.optimizer.currentData()])

    def config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs.value(),
            batch_size=int(self.batch_size.currentData()),
            lr=self.lr.value(),
            optimizer=str(self.optimizer.currentData()),
            schedule=str(self.schedule.currentData()),
            augment=self.augment.isChecked(),
        )

    def set_state(self, state: str) -> None:
        """``state``: idle, loading, running, paused (or the finished/stopped/failed idle states)."""
        active = state in {"loading", "running", "paused"}
        self.train_button.setEnabled(not active)
        self.pause_button.setEnabled(state in {"running", "paused"})
        paused = state == "paused"
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(self._play_icon if paused else self._pause_icon)
        self.stop_button.setEnabled(active)
        for widget in (self.batch_size, self.optimizer, self.schedule, self.epochs, self.augment):
            widget.setEnabled(not active)

    def set_progress(self, progress: Progress, status: str) -> None:
        self.progress_bar.setValue(int(1000 * progress.fraction))
        epoch_shown = min(progress.epoch + 1, progress.epochs)
        if status == "finished":
            epoch_text = f"Finished {progress.epochs} epoch(s)"
        else:
            epoch_text = (
                f"{status.capitalize()}: epoch {epoch_shown}/{progress.epochs} · "
                f"batch {progress.batch}/{progress.batches_per_epoch}"
            )
        self.status.setText(epoch_text)
        if progress.images_per_second > 0:
            self.speed.setText(
                f"{progress.images_per_second:,.0f} images/s · ETA "
                f"{format_duration(progress.eta_seconds if status != 'finished' else 0)} · "
                f"lr {progress.lr:.2e}"
            )
