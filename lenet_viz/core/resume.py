"""Training states: everything needed to continue a run exactly where it stopped.

A training state is a safetensors file whose plain entries are the model's weights (so any weights
loader, the window included, opens it as a model) plus ``optimizer/<param>/<key>`` tensors, the
random generator and the current pass's order under ``trainer/``; the metadata holds the
hyperparameters, the position (epoch, batch, step), the curves and the optimizer's settings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save
from torch import Tensor

from lenet_viz.core.checkpoint import (
    FORMAT_TAG,
    CheckpointError,
    load_state_into,
    read_metadata,
    write_atomic,
)
from lenet_viz.core.training import Dataset, EpochProgress, History, TrainConfig, Trainer
from lenet_viz.core.variants import MODEL_VARIANTS, create_model

KIND = "training-state"


def save_training_state(trainer: Trainer, path: str | os.PathLike[str]) -> Path:
    """Write ``trainer``'s complete state to ``path`` atomically."""
    tensors: dict[str, Tensor] = {
        k: v.detach().cpu().contiguous() for k, v in trainer.model.state_dict().items()
    }
    optimizer = trainer.optimizer.state_dict()
    plain: dict[str, Any] = {}
    for index, entries in optimizer["state"].items():
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"optimizer/{index}/{key}"] = value.detach().cpu().contiguous()
            else:
                plain[f"{index}/{key}"] = value
    tensors["trainer/generator"] = trainer.generator.get_state()
    epoch = trainer.current_epoch
    if epoch is not None:
        tensors["trainer/order"] = epoch.order.contiguous()
    history = {f.name: getattr(trainer.history, f.name) for f in fields(History)}
    meta = {
        "format": FORMAT_TAG,
        "kind": KIND,
        "variant": trainer.model.variant,
        "config": json.dumps(asdict(trainer.config)),
        "step": str(trainer.step),
        "epoch": str(trainer.epoch),
        "base_lr": repr(trainer.base_lr),
        "history": json.dumps(history),
        "param_groups": json.dumps(optimizer["param_groups"]),
        "optimizer_plain": json.dumps(plain),
        "epoch_progress": json.dumps(
            {k: v for k, v in asdict(epoch).items() if k != "order"} if epoch is not None else None
        ),
    }
    if trainer.history.test_accuracy:
        meta["test_accuracy"] = f"{trainer.history.test_accuracy[-1]:.4f}"
    return write_atomic(safetensors_save(tensors, metadata=meta), path)


def is_training_state(path: str | os.PathLike[str]) -> bool:
    try:
        return read_metadata(path).get("kind") == KIND
    except CheckpointError:
        return False


def load_training_state(
    path: str | os.PathLike[str], train: Dataset, test: Dataset | None, device: str = "cpu"
) -> Trainer:
    """A Trainer that continues the saved run at its next batch, with the same results."""
    path = Path(path)
    meta = read_metadata(path)
    if meta.get("kind") != KIND:
        raise CheckpointError(f"{path}: holds weights only, not a training state to resume")
    try:
        tensors = safetensors_load(path.read_bytes())
        variant = meta["variant"]
        if variant not in MODEL_VARIANTS:
            raise CheckpointError(f"{path}: unknown model variant {variant!r}")
        model = create_model(variant)
        load_state_into(model, {k: v for k, v in tensors.items() if "/" not in k}, path)
        trainer = Trainer(model, train, test, TrainConfig(**json.loads(meta["config"])), device=device)
        state: dict[int, dict[str, Any]] = {}
        for name, value in tensors.items():
            if name.startswith("optimizer/"):
                _, index, key = name.split("/", 2)
                state.setdefault(int(index), {})[key] = value
        for name, value in json.loads(meta["optimizer_plain"]).items():
            index, key = name.split("/", 1)
            state.setdefault(int(index), {})[key] = value
        trainer.optimizer.load_state_dict({"state": state, "param_groups": json.loads(meta["param_groups"])})
        trainer.step, trainer.epoch = int(meta["step"]), int(meta["epoch"])
        trainer.base_lr = float(meta["base_lr"])
        trainer.history = History(**json.loads(meta["history"]))
        trainer.generator.set_state(tensors["trainer/generator"])
        progress = json.loads(meta["epoch_progress"])
        if progress is not None:
            trainer.current_epoch = EpochProgress(tensors["trainer/order"], **progress)
            trainer.batch = trainer.current_epoch.next_batch
    except CheckpointError:
        raise
    except Exception as exc:  # damaged metadata or tensors: one line, no traceback
        raise CheckpointError(f"{path}: damaged training state ({type(exc).__name__}: {exc})") from None
    trainer.remember_good()
    return trainer
