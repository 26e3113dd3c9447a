"""The MNIST test set as a browser: digits by index, by class, at random, or the misclassified."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from lenet_viz.core.mnist import load_mnist
from lenet_viz.core.model import LeNet5


class TestSet:
    """10,000 labelled test digits, with the current model's predictions computed on demand."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images = images  # (N, 28, 28) uint8
        self.labels = labels.astype(np.int64)  # (N,)

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> TestSet:
        return cls(*load_mnist(Path(folder), "test"))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def image(self, index: int) -> np.ndarray:
        """(28, 28) float32 in [0, 1], ink high (what the pad and the network take)."""
        return np.asarray(self.images[index], dtype=np.float32) / np.float32(255.0)

    def indices_of(self, digit: int) -> np.ndarray:
        return np.flatnonzero(self.labels == digit)

    @torch.inference_mode()
    def predictions(self, model: LeNet5, batch_size: int = 2000) -> np.ndarray:
        """The model's predicted class for every test image."""
        out = []
        for start in range(0, len(self), batch_size):
            images = torch.from_numpy(self.images[start : start + batch_size]).float() / 255.0
            out.append(model.classify(model(model.to_input(images))).cpu().numpy())
        return np.concatenate(out)

    def misclassified(self, model: LeNet5) -> np.ndarray:
        """Indices of the test images ``model`` gets wrong."""
        return np.flatnonzero(self.predictions(model) != self.labels)
