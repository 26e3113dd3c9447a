"""What crosses from the training thread to the GUI: frozen, copied, and one slot deep.

A snapshot owns copies of everything it holds (weights cloned, curves as fresh arrays), so the
trainer can keep mutating its tensors and the reader can keep the snapshot as long as it likes.
The mailbox keeps only the latest snapshot: a slow reader skips frames instead of queueing
them, so memory stays bounded however slow the GUI is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from torch import Tensor

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    epoch: int  # epochs completed
    epochs: int
    batch: int  # batches done in the current epoch
    batches_per_epoch: int
    step: int
    total_steps: int
    images_per_second: float
    eta_seconds: float
    lr: float

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0


@dataclass(frozen=True)
class Curves:
    batch_steps: np.ndarray
    batch_loss: np.ndarray
    smoothed_loss: np.ndarray
    epoch_steps: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray


@dataclass(frozen=True)
class TrainingSnapshot:
    serial: int  # increases with every snapshot of a session
    status: str  # "loading", "running", "paused", "finished", "stopped", "failed"
    weights: dict[str, Tensor]  # cloned CPU tensors
    progress: Progress
    curves: Curves
    message: str = ""  # for "failed": what went wrong; otherwise a short status text
    confusion: np.ndarray | None = None  # test confusion matrix of the last epoch


class Mailbox(Generic[T]):
    """A one-slot, thread-safe box: ``put`` replaces, ``take`` empties."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None

    def put(self, value: T) -> None:
        with self._lock:
            self._value = value

    def take(self) -> T | None:
        with self._lock:
            value, self._value = self._value, None
            return value
