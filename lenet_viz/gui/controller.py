"""The one object that owns threads: training session, download, and the GUI's inference model.

Views never see torch. The pad's changes are coalesced into one update on the next event-loop
turn (several mouse moves before it runs make a single forward pass), and a timer pulls the
latest training snapshot ~30 times a second; arrays never travel through queued signals.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import OrderedDict
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal

from lenet_viz.core.autosave import Autosave
from lenet_viz.core.checkpoint import (
    load_checkpoint,
    save_checkpoint,
    shipped_weights_path,
)
from lenet_viz.core.data import load_datasets
from lenet_viz.core.invariance import apply as apply_transform
from lenet_viz.core.invariance import sweep
from lenet_viz.core.mnist import MIRROR_URL, MnistError, download_mnist, has_mnist
from lenet_viz.core.model import LeNet5
from lenet_viz.core.paths import checkpoint_dir, mnist_dir
from lenet_viz.core.preprocess import preprocess_steps
from lenet_viz.core.resume import is_training_state
from lenet_viz.core.saliency import SALIENCY_METHODS
from lenet_viz.core.session import TrainingSession
from lenet_viz.core.snapshot import Mailbox, TrainingSnapshot
from lenet_viz.core.testset import TestSet
from lenet_viz.core.training import Dataset, TrainConfig, Trainer
from lenet_viz.core.variants import create_model

if TYPE_CHECKING:
    from lenet_viz.gui.main_window import MainWindow

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 40  # 25 Hz: smooth to the eye; every frame costs the trainer CPU
CURVE_INTERVAL_S = 0.25


class DownloadJob:
    """download_mnist on a daemon thread; progress and outcome read through mailboxes."""

    def __init__(self, folder: Path, mirror: str) -> None:
        self.folder = folder
        self.mirror = mirror
        self.cancel = threading.Event()
        self.progress: Mailbox[tuple[int, int, str]] = Mailbox()
        self.error: str | None = None
        self.cancelled = False
        self.thread = threading.Thread(target=self._run, name="lenet-viz-download", daemon=True)

    def _run(self) -> None:
        from lenet_viz.core.mnist import DownloadCancelled

        try:
            download_mnist(
                self.folder,
                base_url=self.mirror,
                progress=lambda d, t, n: self.progress.put((d, t, n)),
                cancel=self.cancel,
            )
        except DownloadCancelled:
            self.cancelled = True
        except MnistError as exc:
            self.error = str(exc)
        except Exception as exc:  # reported, never lost in the thread
            log.exception("download failed")
            self.error = f"{type(exc).__name__}: {exc}"


class Controller(QObject):
    """Connects the window's views and controls to the core."""

    #: Emitted (GUI thread) with a one-line message for the user; the window shows a dialog.
    error = Signal(str, str)  # title, message
    #: Emitted when the training state changes: idle, loading, running, paused, finished, stopped, failed.
    state_changed = Signal(str)
    #: Emitted with (done_bytes, total_bytes, file) while MNIST downloads; total 0 if unknown.
    download_progress = Signal(int, int, str)
    download_finished = Signal(bool)  # True if MNIST is now ready

    def __init__(
        self,
        window: MainWindow,
        model: LeNet5,
        model_source: str,
        data_dir: str | os.PathLike[str] | None = None,
        device: str = "cpu",
    ) -> None:
        super().__init__(window)
        self.window = window
        self.model = model.cpu().eval()  # the GUI's own inference copy; training never touches it
        self.model_source = model_source
        self.data_dir = mnist_dir(data_dir)
        self.device = device
        # LENET_VIZ_MIRROR points downloads at another server (a local mirror, or a test server).
        self.mirror_url = os.environ.get("LENET_VIZ_MIRROR", MIRROR_URL)
        self.session: TrainingSession | None = None
        self.download: DownloadJob | None = None
        self.state = "idle"
        self.last_snapshot: TrainingSnapshot | None = None
        self.activations: OrderedDict[str, torch.Tensor] | None = None
        self.probabilities: np.ndarray | None = None
        self._refresh_pending = False
        self._curves_drawn_at = 0.0
        self._dataset_cache: tuple[Path, tuple[Dataset, Dataset]] | None = None
        self.train_limit: int | None = None  # use only the first N images (quick demos, tests)
        self.autosave = Autosave(checkpoint_dir() / "autosave")
        #: A training state to continue exactly at the next Train (set by recovery or Open model).
        self.resume_path: Path | None = None
        self.test_set: TestSet | None = None
        self.shown_test_index: int | None = None
        self._predictions: np.ndarray | None = None  # of the test set, for the current weights
        self._confusion_epoch = -1  # the epoch whose confusion matrix is on screen
        self.saliency_method: str | None = None  # "gradient", "grad-cam" or None
        self.saliency: np.ndarray | None = None
        self._stepper: Trainer | None = None  # single-step mode's trainer for the shown model
        self._rng = np.random.default_rng()
        self._pending_config: TrainConfig | None = None
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_INTERVAL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.download_timer = QTimer(self)
        self.download_timer.setInterval(100)
        self.download_timer.timeout.connect(self._poll_download)
        window.drawing_pad.changed.connect(self.schedule_refresh)

    # -- the pen -----------------------------------------------------------------------
    def schedule_refresh(self) -> None:
        """Coalesce: many pad changes before the event loop turns make one refresh."""
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self.refresh)

    def refresh(self) -> None:
        """One forward pass of the current drawing; every layer view and the prediction update."""
        self._refresh_pending = False
        pad = self.window.drawing_pad
        image = pad.source_image  # a test digit, already in MNIST's format
        steps = None
        if image is None:
            steps = preprocess_steps(pad.canvas_array())
            image = steps["centred"]  # (28, 28)
        lab = self.window.open_invariance_lab()
        untouched = image
        if lab is not None:
            image = apply_transform(image, lab.transform())  # what the network tolerates
        with torch.inference_mode():
            x = self.model.to_input(image[None])  # (1, 1, 32, 32)
            activations = self.model.forward_with_activations(x)
            probabilities = self.model.scores_to_probabilities(activations["OUTPUT"])[0].numpy()
        self.activations = activations
        self.probabilities = None if pad.is_empty() else probabilities
        # Background and full ink, as the variant normalises them.
        levels = (self.model.input_offset, self.model.input_offset + self.model.input_scale)
        self.window.show_activations(
            x[0, 0].numpy(), levels, {k: v[0].numpy() for k, v in activations.items()}
        )
        # Saliency for the predicted class, drawn over INPUT (only when asked for: a backward pass).
        method = SALIENCY_METHODS.get(self.saliency_method or "")
        self.saliency = method(self.model, x) if method is not None and not pad.is_empty() else None
        self.window.input_view.set_overlay(self.saliency)
        if lab is not None and not pad.is_empty():
            digit = int(np.argmax(probabilities))
            name, values = lab.sweep_parameter()
            lab.show_sweep(
                name, values, sweep(self.model, untouched, lab.transform(), name, values, digit), digit
            )
        dialog = self.window.open_preprocessing_dialog()
        if dialog is not None:
            if steps is None:  # a test digit: MNIST already made it, the pad shows it as is
                steps = {
                    "canvas": pad.canvas_array(),
                    "cropped": untouched,
                    "fitted": untouched,
                    "centred": untouched,
                }
            dialog.set_steps({**steps, "input": x[0, 0].numpy()}, levels)
        self.window.output_view.set_prediction(
            self.probabilities, None if pad.is_empty() else activations["OUTPUT"][0].numpy()
        )

    def show_kernels(self) -> None:
        kernels = self.model.kernels()
        self.window.c1_kernels.set_kernels(kernels["C1"].numpy())
        self.window.c3_kernels.set_kernels(kernels["C3"].numpy())

    def refresh_all(self) -> None:
        self.show_kernels()
        self.refresh()

    # -- MNIST test digits ---------------------------------------------------------------
    def _test_set(self) -> TestSet | None:
        """The test set of the MNIST folder, read once; None (and the download offer) if missing."""
        if self.test_set is None:
            if not has_mnist(self.data_dir):
                self.window.ask_download(self.data_dir)
                return None
            try:
                self.test_set = TestSet.load(self.data_dir)
            except MnistError as exc:
                self.window.ask_download(self.data_dir, problem=str(exc))
                return None
        return self.test_set

    def show_test_digit(self, index: int) -> bool:
        """Put MNIST test image ``index`` on the pad; every view follows as for a drawing."""
        tests = self._test_set()
        if tests is None or not 0 <= index < len(tests):
            return False
        self.window.drawing_pad.show_mnist(
            tests.image(index), f"MNIST test #{index} · label {tests.labels[index]}"
        )
        self.shown_test_index = index
        return True

    def random_test_digit(self, digit: int | None = None) -> bool:
        tests = self._test_set()
        if tests is None:
            return False
        pool = tests.indices_of(digit) if digit is not None else np.arange(len(tests))
        return self.show_test_digit(int(self._rng.choice(pool)))

    def random_misclassified(self) -> bool:
        """A test image the current model gets wrong (the status bar says if there is none)."""
        tests = self._test_set()
        if tests is None:
            return False
        wrong = tests.misclassified(self.model)
        if wrong.size == 0:
            self.window.statusBar().showMessage("The current model gets every test image right.", 5000)
            return False
        return self.show_test_digit(int(self._rng.choice(wrong)))

    def show_confusion(self) -> None:
        """Open (or refresh) the confusion matrix of the current model on the test set."""
        tests = self._test_set()
        if tests is None:
            return
        dialog = self.window.confusion_dialog()
        predictions = tests.predictions(self.model)
        self._predictions = predictions
        matrix = np.bincount(tests.labels * 10 + predictions, minlength=100).reshape(10, 10)
        dialog.set_matrix(matrix, f"current model ({self.model_source})")
        dialog.show()
        dialog.raise_()

    def show_confusion_cell(self, true: int, predicted: int) -> None:
        tests = self.test_set
        if tests is None:
            return
        if self._predictions is None:  # the weights changed since the matrix was drawn
            self._predictions = tests.predictions(self.model)
        indices = np.flatnonzero((tests.labels == true) & (self._predictions == predicted))
        self.window.confusion_dialog().show_gallery(true, predicted, indices, tests.images)

    def single_step(self) -> bool:
        """Train the shown model on one mini-batch (the panel's settings) and show what changed."""
        if self.session is not None and self.session.is_alive:
            self.error.emit("Single step", "Stop the running training first.")
            return False
        if not has_mnist(self.data_dir):
            self.window.ask_download(self.data_dir)
            return False
        if self._stepper is None or self._stepper.model is not self.model:
            train, _ = self._datasets(self.data_dir)
            self._stepper = Trainer(self.model, train, None, self.window.training_panel.config())
        stepper = self._stepper
        before = self.model.kernels()["C1"].numpy()
        index = torch.randint(
            len(stepper.train_data), (stepper.config.batch_size,), generator=stepper.generator
        )
        result = stepper.train_batch(index)
        self.model.eval()
        if result is None:
            self.error.emit("Single step", "The loss exploded on this batch; the weights were kept.")
            return False
        _, labels, images = result
        after = self.model.kernels()["C1"].numpy()
        self.window.single_step_dialog().show_step(
            images.numpy(), labels.numpy(), stepper.last_loss, before, after, stepper.step
        )
        self.model_source = "single steps"
        self.window.set_model(self.model, self.model_source)
        self.refresh_all()
        return True

    # -- model management --------------------------------------------------------------
    def _replace_model(self, model: LeNet5, source: str, resume_path: Path | None = None) -> None:
        self.resume_path = resume_path
        self._predictions = None
        variant_changed = model.variant != self.model.variant
        self.model = model.cpu().eval()
        self.model_source = source
        if variant_changed:
            self.window.clear_curves()
        self.window.set_model(self.model, source)
        self.refresh_all()

    def switch_variant(self, variant: str) -> None:
        """Swap to the shipped weights of ``variant`` (stops a running training first)."""
        if variant == self.model.variant:
            return
        self.stop_training(wait=True)
        self._replace_model(load_checkpoint(shipped_weights_path(variant)), "shipped weights")

    def load_model_file(self, path: str | os.PathLike[str]) -> bool:
        """Load weights from ``path``; on any problem the current model stays and an error is shown."""
        from lenet_viz.core.checkpoint import CheckpointError

        try:
            model = load_checkpoint(path)
        except CheckpointError as exc:
            self.error.emit("Could not load the model", str(exc))
            return False
        self.stop_training(wait=True)
        # A training state (an autosave, or `lenet-viz train --state`) also continues exactly.
        self._replace_model(model, Path(path).name, Path(path) if is_training_state(path) else None)
        if self.resume_path is not None:
            self.window.statusBar().showMessage(
                "This file holds a whole training run: Train continues it where it stopped.", 8000
            )
        return True

    def revert_to_shipped(self) -> None:
        self.stop_training(wait=True)
        self._replace_model(load_checkpoint(shipped_weights_path(self.model.variant)), "shipped weights")

    def reset_weights(self) -> None:
        """Fresh random weights (stops a running training first)."""
        self.stop_training(wait=True)
        self.window.clear_curves()
        self._replace_model(create_model(self.model.variant, seed=random.randrange(2**31)), "random weights")

    def save_model(self, path: str | os.PathLike[str]) -> bool:
        meta = {"source": self.model_source}
        snap = self.last_snapshot
        if snap is not None and len(snap.curves.test_accuracy):
            meta["test_accuracy"] = f"{snap.curves.test_accuracy[-1]:.4f}"
        try:
            save_checkpoint(self.model, path, meta)
        except OSError as exc:
            self.error.emit("Could not save the model", f"{path}: {exc.strerror or exc}")
            return False
        return True

    # -- training ----------------------------------------------------------------------
    def start_training(self, config: TrainConfig | None = None) -> None:
        """Start training the current weights; downloads MNIST first if it is missing."""
        if self.session is not None and self.session.is_alive:
            return
        config = config or self.window.training_panel.config()
        try:
            config.validate()
        except ValueError as exc:
            self.error.emit("Invalid setting", str(exc))
            return
        if not has_mnist(self.data_dir):
            self._pending_config = config
            self.window.ask_download(self.data_dir)
            return
        self.session = TrainingSession(
            self.model,
            partial(self._datasets, self.data_dir),
            config,
            device=self.device,
            num_threads=os.cpu_count() or 1,
            resume_from=self.resume_path,
            autosave=self.autosave,
        )
        self.resume_path = None  # once resumed, the run goes on from the session's own state
        self.window.clear_curves()
        self.session.start()
        self._confusion_epoch = -1
        self.autosave.begin_run()
        self._set_state("loading")
        self.poll_timer.start()

    def _datasets(self, folder: Path) -> tuple[Dataset, Dataset]:
        """MNIST for ``folder``, read once: the next Train starts at once. Runs on the worker."""
        cached = self._dataset_cache
        if cached is not None and cached[0] == folder and self.train_limit is None:
            return cached[1]
        datasets = load_datasets(folder, self.train_limit)
        self._dataset_cache = (folder, datasets)  # one rebinding: safe to read from any thread
        return datasets

    def pause_or_resume(self) -> None:
        session = self.session
        if session is None or not session.is_alive:
            return
        if session.is_paused:
            session.resume()
            self._set_state("running")
        else:
            session.pause()
            self._set_state("paused")

    def stop_training(self, wait: bool = False) -> None:
        session = self.session
        if session is None:
            return
        session.stop()
        if wait:
            session.join(timeout=1.5)
            self.poll()  # take the final snapshot so the views show the last weights

    def set_lr(self, lr: float) -> None:
        if self.session is not None and self.session.is_alive:
            self.session.set_lr(lr)

    def poll(self) -> None:
        """Timer slot: apply the newest snapshot, if any."""
        session = self.session
        if session is None:
            self.poll_timer.stop()
            return
        snapshot = session.latest()
        if snapshot is not None:
            self.apply_snapshot(snapshot)
        elif not session.is_alive:  # its final snapshot has been applied already
            self.poll_timer.stop()
            if self.state in {"loading", "running", "paused"}:
                self._set_state("failed" if session.error else "stopped")

    def apply_snapshot(self, snapshot: TrainingSnapshot) -> None:
        self.last_snapshot = snapshot
        if snapshot.status == "failed":
            self._set_state("failed")
            session = self.session
            if session is not None and isinstance(session.exception, MnistError):
                # Damaged or truncated files: offer a fresh download (wrong files are replaced).
                self._pending_config = session.config
                self.window.ask_download(self.data_dir, problem=snapshot.message)
            else:
                self.error.emit("Training stopped", snapshot.message)
            return
        if snapshot.status == "paused" and snapshot.message and self.state != "paused":
            self.error.emit("Training paused", snapshot.message)  # the session paused itself
        if snapshot.progress.total_steps:
            # Our own trainer's tensors: names and shapes are right, so skip the file checks.
            self.model.load_state_dict(snapshot.weights)
            self._predictions = None
            dialog = self.window.open_confusion_dialog()
            if (
                dialog is not None
                and snapshot.confusion is not None
                and snapshot.progress.epoch > self._confusion_epoch
            ):
                # The trainer's own end-of-epoch evaluation: no extra pass over the test set here.
                self._confusion_epoch = snapshot.progress.epoch
                dialog.set_matrix(snapshot.confusion, f"after epoch {snapshot.progress.epoch}")
            self.window.training_panel.set_progress(snapshot.progress, snapshot.status)
            now = time.monotonic()
            # Plots with axes cost the most to repaint: a few times a second is plenty for curves.
            if now - self._curves_drawn_at >= CURVE_INTERVAL_S or snapshot.status != "running":
                self._curves_drawn_at = now
                self.window.loss_view.set_curves(snapshot.curves)
                self.window.accuracy_view.set_curves(snapshot.curves)
            self.show_kernels()
            self.refresh()
            if self.model_source != "trained in this window":
                self.model_source = "trained in this window"
                self.window.set_model(self.model, self.model_source)
        else:
            self.window.training_panel.status.setText(snapshot.message or "Loading MNIST…")
        # A paused session publishes "paused" itself; keep the user's last request otherwise.
        if snapshot.status != self.state and not (self.state == "paused" and snapshot.status == "running"):
            self._set_state(snapshot.status)

    def _set_state(self, state: str) -> None:
        if state in {"finished", "stopped", "failed"}:
            self.autosave.end_run()
        if state != self.state:
            self.state = state
            self.window.training_panel.set_state(state)
            self.state_changed.emit(state)

    # -- downloading -------------------------------------------------------------------
    def start_download(self) -> None:
        if self.download is not None and self.download.thread.is_alive():
            return
        self.download = DownloadJob(self.data_dir, self.mirror_url)
        self.download.thread.start()
        self.download_timer.start()

    def cancel_download(self) -> None:
        if self.download is not None:
            self.download.cancel.set()

    def _poll_download(self) -> None:
        job = self.download
        if job is None:
            self.download_timer.stop()
            return
        progress = job.progress.take()
        if progress is not None:
            self.download_progress.emit(*progress)
        if job.thread.is_alive():
            return
        self.download_timer.stop()
        self.download = None
        ok = job.error is None and not job.cancelled and has_mnist(job.folder)
        self.download_finished.emit(ok)
        if job.error:
            self.error.emit("Could not download MNIST", job.error)
        if ok and self._pending_config is not None:
            config, self._pending_config = self._pending_config, None
            self.start_training(config)
        elif not ok:
            self._pending_config = None

    def set_data_dir(self, folder: str | os.PathLike[str]) -> None:
        self.data_dir = Path(folder)
        self.test_set = None
        self.window.set_data_dir(self.data_dir)

    # -- closing -----------------------------------------------------------------------
    def shutdown(self, timeout: float = 1.5) -> None:
        """Stop every background thread (bounded wait) and the timers."""
        self.poll_timer.stop()
        self.download_timer.stop()
        if self.download is not None:
            self.download.cancel.set()
        if self.session is not None:
            # The worker saves its state to the last autosave as it stops (see TrainingSession).
            self.session.stop()
            if not self.session.join(timeout):
                log.warning("training thread did not stop within %.1f s", timeout)
            self.autosave.end_run()
        if self.download is not None:
            self.download.thread.join(0.3)
