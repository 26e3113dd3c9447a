"""Autosaves of a training run: the last and the best epoch, and a marker while a run is live.

The marker file exists from the start of a training run until it ends or the app closes cleanly;
finding it at the next start means the app died mid-run, so the last autosave is worth offering.
"""

from __future__ import annotations

import os
from pathlib import Path

from lenet_viz.core.checkpoint import CheckpointError, read_metadata, save_checkpoint
from lenet_viz.core.model import LeNet5

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

    def save_epoch(self, model: LeNet5, epoch: int, test_accuracy: float | None) -> None:
        """Write the last autosave, and the best one when ``test_accuracy`` beats it (atomic writes)."""
        meta = {"epoch": str(epoch), "source": "autosave"}
        if test_accuracy is not None:
            meta["test_accuracy"] = f"{test_accuracy:.4f}"
        save_checkpoint(model, self.last_path(model.variant), meta)
        if test_accuracy is not None and test_accuracy > self.best_accuracy(model.variant):
            save_checkpoint(model, self.best_path(model.variant), meta)

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
