"""A training run on a background thread, controlled with Events, observed through snapshots.

The GUI (or a script) creates a :class:`TrainingSession`, calls ``start``, and polls
``latest()`` at its own pace. Control goes through ``threading.Event``s, never through a queued
call, because the worker's loop is busy and would not run queued work until the end.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable

import numpy as np
import torch

from lenet_viz.core.autosave import Autosave
from lenet_viz.core.mnist import MnistError
from lenet_viz.core.model import LeNet5
from lenet_viz.core.resume import load_training_state
from lenet_viz.core.snapshot import Curves, Mailbox, Progress, TrainingSnapshot
from lenet_viz.core.training import Dataset, TrainConfig, Trainer

log = logging.getLogger(__name__)

DIVERGED_MESSAGE = (
    "The loss exploded (the learning rate is probably too high), so training is paused and the "
    "last good weights are back. Lower the learning rate, then press Resume."
)

DataLoader = Callable[[], tuple[Dataset, Dataset | None]]


class TrainingSession:
    """Trains a private copy of ``model``; publishes snapshots at most ``publish_hz`` a second."""

    def __init__(
        self,
        model: LeNet5,
        load_data: DataLoader,
        config: TrainConfig,
        *,
        device: str = "cpu",
        publish_hz: float = 30.0,
        num_threads: int | None = None,
        resume_from: str | os.PathLike[str] | None = None,
        autosave: Autosave | None = None,
    ) -> None:
        """``resume_from``: a training state to continue exactly (its settings win over ``config``).
        ``autosave``: where each epoch's state, and the state at a stop, are written."""
        config.validate()
        self.config = config
        self.device = device
        self._model = copy.deepcopy(model).cpu()
        self._load_data = load_data
        self._publish_interval = 1.0 / publish_hz
        self._num_threads = num_threads
        self._resume_from = resume_from
        self._autosave = autosave
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self._mailbox: Mailbox[TrainingSnapshot] = Mailbox()
        self._serial = 0
        self._last_publish = 0.0
        self._pending_lr: float | None = None
        self._pause_message = ""  # why the session paused itself, if it did
        self._thread: threading.Thread | None = None
        self.trainer: Trainer | None = None
        self.status = "idle"
        self.error: str | None = None
        self.exception: Exception | None = None  # what ended a failed run

    # -- control (any thread) -----------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a session can only be started once")
        # Daemon: even if a caller forgets to stop it, the process can still exit.
        self._thread = threading.Thread(target=self._run, name="lenet-viz-training", daemon=True)
        self.status = "loading"
        self._thread.start()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def set_lr(self, lr: float) -> None:
        """Change the learning rate of the running session from the next batch."""
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, not {lr}")
        self._pending_lr = lr  # read by the worker between batches (an atomic rebind)

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def is_paused(self) -> bool:
        return not self._running.is_set() and not self._stop.is_set()

    def latest(self) -> TrainingSnapshot | None:
        """The newest snapshot not yet taken, or None."""
        return self._mailbox.take()

    # -- worker -------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            if self._num_threads:
                torch.set_num_threads(self._num_threads)  # per thread: must be set here too
            self._publish_status("loading", "Loading MNIST…", force=True)
            train, test = self._load_data()
            if self._stop.is_set():
                self.status = "stopped"
                return
            if self._resume_from is not None:
                trainer = load_training_state(self._resume_from, train, test, device=self.device)
                self.config = trainer.config
            else:
                trainer = Trainer(self._model, train, test, self.config, device=self.device)
            self.trainer = trainer
            trainer.add_callback("on_batch_end", self._on_batch_end)
            trainer.add_callback("on_diverged", self._on_diverged)
            trainer.add_callback("on_epoch_end", self._on_epoch_end)
            self._publish("running", force=True)
            trainer.run(self._stop.is_set, self._wait_if_paused)
            final = "stopped" if self._stop.is_set() and not trainer.finished else "finished"
            if final == "stopped":
                self._save_autosave(trainer)  # keep what was learnt since the last epoch
            self._publish(final, force=True)
        except Exception as exc:  # reported to the user, never lost in the thread
            log.exception("training failed")
            self.exception = exc
            self.error = str(exc) if isinstance(exc, MnistError) else f"{type(exc).__name__}: {exc}"
            self._publish_status("failed", self.error, force=True)

    def _on_epoch_end(self, trainer: Trainer) -> None:
        self._save_autosave(trainer)
        self._publish("running", force=True)

    def _save_autosave(self, trainer: Trainer) -> None:
        if self._autosave is None:
            return
        try:
            self._autosave.save(trainer)
        except OSError as exc:  # a full or read-only disk must not stop the training
            log.warning("autosave failed: %s", exc)

    def _on_batch_end(self, trainer: Trainer) -> None:
        self._publish("running")

    def _apply_pending_lr(self) -> None:
        lr = self._pending_lr
        if lr is not None and self.trainer is not None:
            self._pending_lr = None
            self.trainer.set_lr(lr)

    def _on_diverged(self, trainer: Trainer) -> None:
        self._pause_message = DIVERGED_MESSAGE  # published by the wait that follows
        self.pause()

    def _wait_if_paused(self) -> None:
        """Runs before every batch: waits while paused, then applies a new learning rate."""
        if self._running.is_set():
            self._apply_pending_lr()
            return
        self._publish("paused", force=True, message=self._pause_message)
        self._running.wait()
        self._pause_message = ""
        self._apply_pending_lr()
        if not self._stop.is_set():
            self._publish("running", force=True)

    def _publish(self, status: str, force: bool = False, message: str = "") -> None:
        now = time.monotonic()
        if not force and now - self._last_publish < self._publish_interval:
            return
        self._last_publish = now
        self.status = status
        trainer = self.trainer
        if trainer is None:
            return
        self._serial += 1
        h = trainer.history
        curves = Curves(
            batch_steps=np.array(h.batch_steps, dtype=np.int64),
            batch_loss=np.array(h.batch_loss, dtype=np.float64),
            smoothed_loss=np.array(h.smoothed_loss, dtype=np.float64),
            epoch_steps=np.array(h.epoch_steps, dtype=np.int64),
            train_loss=np.array(h.train_loss, dtype=np.float64),
            train_accuracy=np.array(h.train_accuracy, dtype=np.float64),
            test_loss=np.array(h.test_loss, dtype=np.float64),
            test_accuracy=np.array(h.test_accuracy, dtype=np.float64),
        )
        progress = Progress(
            epoch=trainer.epoch,
            epochs=trainer.config.epochs,
            batch=trainer.batch,
            batches_per_epoch=trainer.steps_per_epoch,
            step=trainer.step,
            total_steps=trainer.total_steps,
            images_per_second=trainer.images_per_second,
            eta_seconds=trainer.eta_seconds,
            lr=trainer.current_lr,
        )
        weights = {k: v.detach().to("cpu", copy=True) for k, v in trainer.model.state_dict().items()}
        confusion = trainer.last_eval.confusion.copy() if trainer.last_eval is not None else None
        self._mailbox.put(
            TrainingSnapshot(self._serial, status, weights, progress, curves, message, confusion)
        )

    def _publish_status(self, status: str, message: str, force: bool = False) -> None:
        """Publish a status without training data yet (before the trainer exists)."""
        self.status = status
        if self.trainer is not None:
            self._publish(status, force=force, message=message)
            return
        self._serial += 1
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        curves = Curves(empty_i, empty_f, empty_f, empty_i, empty_f, empty_f, empty_f, empty_f)
        progress = Progress(0, self.config.epochs, 0, 0, 0, 0, 0.0, float("nan"), self.config.lr)
        weights = {k: v.detach().clone() for k, v in self._model.state_dict().items()}
        self._mailbox.put(TrainingSnapshot(self._serial, status, weights, progress, curves, message))
