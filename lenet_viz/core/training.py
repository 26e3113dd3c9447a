"""The Trainer: mini-batch training and evaluation of a LeNet-5, with callbacks.

It knows nothing of threads or Qt (minGPT style): whoever runs it passes ``should_stop`` and
``wait_if_paused`` and listens through ``add_callback``. The learning rate is ``base_lr``
times the schedule's factor at the current step, recomputed every step, so changing
``base_lr`` mid-run takes effect at the next batch without resetting anything.
"""

from __future__ import annotations

import copy
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from lenet_viz.core.augment import augment_batch
from lenet_viz.core.model import LeNet5
from lenet_viz.core.sdlm import SDLM, hessian_diagonal, paper_eta

OPTIMIZERS = ("adam", "sgd", "sdlm")
SCHEDULES = ("constant", "cosine", "step", "paper")
GOOD_STATE_EVERY = 50  # steps between copies of the weights a diverging run falls back to
DIVERGENCE_FACTOR = 50.0  # a batch loss this many times the smoothed loss means divergence
CURVATURE_SAMPLES = 500  # patterns used to re-estimate SDLM's Hessian diagonal before each pass


@dataclass
class TrainConfig:
    """Hyperparameters. The defaults reach 99% MNIST test accuracy in a few epochs."""

    epochs: int = 4
    batch_size: int = 64
    lr: float = 2e-3
    optimizer: str = "adam"  # "adam", "sgd" (with momentum) or "sdlm" (the paper's, classic only)
    momentum: float = 0.9
    schedule: str = "cosine"  # "constant", "cosine" (to zero), "step" (x0.3 per epoch) or "paper"
    weight_decay: float = 0.0
    augment: bool = True  # shifts, rotations, scaling and stroke thickness: reads real handwriting
    seed: int = 0

    def validate(self) -> None:
        """Raise ValueError with a readable reason for any out-of-range value."""
        if not 1 <= self.epochs <= 1000:
            raise ValueError(f"epochs must be between 1 and 1000, not {self.epochs}")
        if not 1 <= self.batch_size <= 60000:
            raise ValueError(f"batch size must be between 1 and 60000, not {self.batch_size}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise ValueError(f"learning rate must be > 0 and <= 10, not {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), not {self.momentum}")


@dataclass
class Dataset:
    """Images as MNIST stores them, uint8 (N, 28, 28), and uint8 labels (N,)."""

    images: Tensor
    labels: Tensor

    @classmethod
    def from_numpy(cls, images: np.ndarray, labels: np.ndarray) -> Dataset:
        # torch wants writable memory; arrays read from a buffer are read-only, so copy those.
        images = np.require(images, dtype=np.uint8, requirements=["C", "W"])
        return cls(torch.from_numpy(images), torch.from_numpy(np.asarray(labels)).long())

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass
class EpochProgress:
    """Where the current pass stands, so a stopped or resumed run continues at the next batch."""

    order: Tensor  # the pass's random order of training images
    next_batch: int = 0
    correct: int = 0
    loss_sum: float = 0.0
    seen: int = 0


@dataclass
class EvalResult:
    loss: float
    accuracy: float
    confusion: np.ndarray  # (10, 10) int64: rows = true class, columns = predicted class

    @property
    def error_rate(self) -> float:
        return 1.0 - self.accuracy


@dataclass
class History:
    """Curves for plotting: per batch (by global step) and per epoch."""

    batch_steps: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    smoothed_loss: list[float] = field(default_factory=list)
    epoch_steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    _SMOOTHING = 0.98
    #: Per-batch points kept: beyond this, every other older point is dropped, so memory (and
    #: every snapshot's copy of the curves) stays bounded however long training runs.
    MAX_BATCH_POINTS = 20_000

    def add_batch(self, step: int, loss: float) -> None:
        """Record the loss of global step ``step`` (1-based)."""
        # Bias-corrected exponential moving average (as Adam does), so the start is not dragged to 0.
        beta = self._SMOOTHING
        raw_prev = self.smoothed_loss[-1] * (1 - beta ** (step - 1)) if self.smoothed_loss else 0.0
        raw = beta * raw_prev + (1 - beta) * loss
        self.batch_steps.append(step)
        self.batch_loss.append(loss)
        self.smoothed_loss.append(raw / (1 - beta**step))
        if len(self.batch_steps) > self.MAX_BATCH_POINTS:
            self._thin_out()

    def _thin_out(self) -> None:
        keep = slice(None, None, 2) if len(self.batch_steps) % 2 else slice(1, None, 2)  # keep the last
        self.batch_steps = self.batch_steps[keep]
        self.batch_loss = self.batch_loss[keep]
        self.smoothed_loss = self.smoothed_loss[keep]


def schedule_factor(schedule: str, step: int, total_steps: int, steps_per_epoch: int) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) for ``schedule``."""
    if schedule == "cosine":
        warmup = min(100, max(1, total_steps // 20))  # a short warm-up keeps Adam's first steps sane
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "step":
        return float(0.3 ** (step // max(1, steps_per_epoch)))
    if schedule == "paper":  # the paper's eta per pass, relative to its first value
        return paper_eta(step // max(1, steps_per_epoch)) / paper_eta(0)
    return 1.0


Callback = Callable[["Trainer"], None]


class Trainer:
    """Trains ``model`` on ``train`` and evaluates on ``test`` after each epoch."""

    def __init__(
        self,
        model: LeNet5,
        train: Dataset,
        test: Dataset | None,
        config: TrainConfig,
        device: str | torch.device = "cpu",
    ) -> None:
        config.validate()
        self.model = model.to(device)
        self.device = torch.device(device)
        self.train_data = train
        self.test_data = test
        self.config = config
        self.base_lr = config.lr
        self.optimizer = self._make_optimizer()
        self.history = History()
        self.generator = torch.Generator().manual_seed(config.seed)
        self.steps_per_epoch = math.ceil(len(train) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.step = 0  # global optimisation steps done
        self.epoch = 0  # epochs completed
        self.batch = 0  # batches done in the current epoch
        self.last_loss = float("nan")
        self.images_per_second = 0.0
        self.last_eval: EvalResult | None = None
        self.current_epoch: EpochProgress | None = None
        self._callbacks: dict[str, list[Callback]] = defaultdict(list)
        self._good_state: tuple[dict[str, Tensor], dict[str, Any]] | None = None
        self.divergences = 0
        self.remember_good()

    # -- configuration ------------------------------------------------------------------
    def add_callback(self, event: str, callback: Callback) -> None:
        """``event`` is "on_batch_end", "on_epoch_end" or "on_diverged"."""
        self._callbacks[event].append(callback)

    def set_lr(self, lr: float) -> None:
        """Change the base learning rate; applies from the next batch, schedule kept."""
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be positive, not {lr}")
        self.base_lr = lr

    @property
    def current_lr(self) -> float:
        factor = schedule_factor(self.config.schedule, self.step, self.total_steps, self.steps_per_epoch)
        return self.base_lr * factor

    @property
    def eta_seconds(self) -> float:
        if self.images_per_second <= 0:
            return float("nan")
        remaining_steps = self.total_steps - self.step
        return remaining_steps * self.config.batch_size / self.images_per_second

    @property
    def finished(self) -> bool:
        return self.epoch >= self.config.epochs

    def _make_optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.config.optimizer == "sdlm":
            if not hasattr(self.model, "primitives"):
                raise ValueError("the SDLM optimizer needs the classic variant (squashing units)")
            return SDLM(params, lr=self.base_lr)
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(
                params,
                lr=self.base_lr,
                momentum=self.config.momentum,
                weight_decay=self.config.weight_decay,
            )
        return torch.optim.Adam(params, lr=self.base_lr, weight_decay=self.config.weight_decay)

    # -- running --------------------------------------------------------------------------
    def run(
        self,
        should_stop: Callable[[], bool] = lambda: False,
        wait_if_paused: Callable[[], None] = lambda: None,
    ) -> None:
        """Train the remaining epochs; returns early (between batches) when ``should_stop()``."""
        while not self.finished:
            if not self.train_epoch(should_stop, wait_if_paused):
                return

    def train_epoch(
        self,
        should_stop: Callable[[], bool] = lambda: False,
        wait_if_paused: Callable[[], None] = lambda: None,
    ) -> bool:
        """One pass over the training data (or the rest of it, after a stop or a resume).

        False if stopped before the end; calling again continues from the next batch.
        """
        model, cfg = self.model, self.config
        model.train()
        if self.current_epoch is None:
            if isinstance(self.optimizer, SDLM):
                self.estimate_curvature()
            self.current_epoch = EpochProgress(torch.randperm(len(self.train_data), generator=self.generator))
        ep = self.current_epoch
        while ep.next_batch < self.steps_per_epoch:
            self.batch = ep.next_batch
            wait_if_paused()
            if should_stop():
                return False
            # Timed from here, so time spent paused never counts against images per second.
            batch_clock = time.perf_counter()
            start = ep.next_batch * cfg.batch_size
            index = ep.order[start : start + cfg.batch_size]
            result = self.train_batch(index)
            if result is None:  # diverged: the last good weights are back, the run is paused
                continue
            output, labels, _ = result
            ep.next_batch += 1
            self.batch = ep.next_batch
            with torch.no_grad():
                ep.correct += int((model.classify(output) == labels).sum())
            ep.loss_sum += self.last_loss * len(index)
            ep.seen += len(index)
            self._fire("on_batch_end")
            self._update_rate(len(index), time.perf_counter() - batch_clock)
        self.current_epoch = None
        loss_sum, correct, seen = ep.loss_sum, ep.correct, ep.seen
        self.epoch += 1
        self.history.epoch_steps.append(self.step)
        self.history.train_loss.append(loss_sum / max(1, seen))
        self.history.train_accuracy.append(correct / max(1, seen))
        if self.test_data is not None:
            self.last_eval = self.evaluate(self.test_data)
            self.history.test_loss.append(self.last_eval.loss)
            self.history.test_accuracy.append(self.last_eval.accuracy)
        self._fire("on_epoch_end")
        return True

    def estimate_curvature(self, samples: int = CURVATURE_SAMPLES) -> None:
        """Re-estimate SDLM's Hessian diagonal on ``samples`` random training patterns."""
        assert isinstance(self.optimizer, SDLM)
        index = torch.randperm(len(self.train_data), generator=self.generator)[:samples]
        images = self.train_data.images[index].float().div_(255.0)
        if self.config.augment:
            images = augment_batch(images, self.generator)
        chain = self.model.primitives()  # type: ignore[operator]
        self.optimizer.set_curvature(hessian_diagonal(chain, self.model.to_input(images)))

    def train_batch(self, index: Tensor) -> tuple[Tensor, Tensor, Tensor] | None:
        """One optimisation step on the training images at ``index``: (output, labels, images).

        None if the loss diverged: the last good weights are restored and "on_diverged" fires.
        """
        model, cfg = self.model, self.config
        images = self.train_data.images[index].float().div_(255.0)  # (B, 28, 28)
        labels = self.train_data.labels[index].to(self.device)
        if cfg.augment:
            images = augment_batch(images, self.generator)
        output = model(model.to_input(images))
        loss = model.loss(output, labels)
        if self._diverged(float(loss.detach())):
            self.restore_last_good()
            self._fire("on_diverged")  # listeners pause the run; the loop then waits
            return None
        for group in self.optimizer.param_groups:
            group["lr"] = self.current_lr
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        self.optimizer.step()
        self.step += 1
        self.last_loss = float(loss.detach())
        self.history.add_batch(self.step, self.last_loss)
        if self.step % GOOD_STATE_EVERY == 0:
            self.remember_good()
        return output.detach(), labels, images

    def remember_good(self) -> None:
        """Copy the weights and optimizer state a diverging run will fall back to."""
        weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self._good_state = (weights, copy.deepcopy(self.optimizer.state_dict()))

    def restore_last_good(self) -> None:
        assert self._good_state is not None
        weights, optimizer_state = self._good_state
        self.model.load_state_dict(weights)
        self.optimizer.load_state_dict(copy.deepcopy(optimizer_state))
        self.divergences += 1

    def _diverged(self, loss: float) -> bool:
        """NaN or Inf, or far above the smoothed loss so far (an explosion on its way to Inf)."""
        if not math.isfinite(loss):
            return True
        smoothed = self.history.smoothed_loss
        return bool(smoothed) and loss > DIVERGENCE_FACTOR * max(smoothed[-1], 1.0)

    def _update_rate(self, images: int, seconds: float) -> None:
        if seconds <= 0:
            return
        rate = images / seconds
        # Exponential average over ~50 batches: steady enough to read, quick to follow changes.
        self.images_per_second = (
            rate if self.images_per_second <= 0 else 0.96 * self.images_per_second + 0.04 * rate
        )

    def _fire(self, event: str) -> None:
        for callback in self._callbacks[event]:
            callback(self)

    @torch.inference_mode()
    def evaluate(self, data: Dataset, batch_size: int = 2000) -> EvalResult:
        return evaluate(self.model, data, batch_size)


@torch.inference_mode()
def evaluate(model: LeNet5, data: Dataset, batch_size: int = 2000) -> EvalResult:
    """Mean loss, accuracy and confusion matrix of ``model`` on ``data``."""
    was_training = model.training
    model.eval()
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    loss_sum = 0.0
    for start in range(0, len(data), batch_size):
        images = data.images[start : start + batch_size].float().div_(255.0)
        labels = data.labels[start : start + batch_size].to(model.device)
        output = model(model.to_input(images))
        loss_sum += float(model.loss(output, labels)) * len(labels)
        predicted = model.classify(output).cpu()
        confusion += torch.bincount(labels.cpu() * 10 + predicted, minlength=100).reshape(10, 10)
    model.train(was_training)
    total = max(1, len(data))
    accuracy = float(confusion.diagonal().sum()) / total
    return EvalResult(loss=loss_sum / total, accuracy=accuracy, confusion=confusion.numpy())
