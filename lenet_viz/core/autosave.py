"""Autosaves of a training run: the last and the best epoch, and a marker while a run is live.

Autosaves are full training states (see :mod:`lenet_viz.core.resume`), so a recovered run
continues exactly where it stopped. The marker file exists from the start of a training run
until it ends or the app closes cleanly; finding it at the next start means the app died
mid-run, so the last autosave is worth offering.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from lenet_viz.core.checkpoint import CheckpointError, read_metadata
from lenet_viz.core.resume import save_training_state
from lenet_viz.core.training import Trainer

MARKER = "training-in-progress"


class Autosave:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def last_path(self, variant: str) -> Path:
        return self.folder / f"{variant}-last.safetensors"

    def best_path(self, variant: str) -> Path:
        return self.folder / f"{variant}-best.safetensors"

    @property
    def marker(self) -> Path:
        return self.folder / MARKER

    def begin_run(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.marker.write_text("a training run is live; if this file outlives the app, it crashed\n")

    def end_run(self) -> None:
        self.marker.unlink(missing_ok=True)

    def save(self, trainer: Trainer) -> None:
        """The run's state as the last autosave, and as the best when its test accuracy is higher."""
        variant = trainer.model.variant
        last = save_training_state(trainer, self.last_path(variant))
        accuracy = trainer.history.test_accuracy
        if accuracy and accuracy[-1] > self.best_accuracy(variant):
            tmp = self.best_path(variant).with_suffix(".tmp")
            shutil.copyfile(last, tmp)
            os.replace(tmp, self.best_path(variant))

    def best_accuracy(self, variant: str) -> float:
        try:
            return float(read_metadata(self.best_path(variant)).get("test_accuracy", "-1"))
        except (CheckpointError, ValueError):
            return -1.0

    def recoverable(self) -> Path | None:
        """The newest last-epoch autosave, if the previous run did not end cleanly."""
        if not self.marker.exists():
            return None
        candidates = [p for p in self.folder.glob("*-last.safetensors") if p.is_file()]
        return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None
