"""MNIST as training :class:`Dataset` pairs."""

from __future__ import annotations

from pathlib import Path

from lenet_viz.core.mnist import load_mnist
from lenet_viz.core.training import Dataset


def load_datasets(folder: Path | str, limit: int | None = None) -> tuple[Dataset, Dataset]:
    """(train, test) from the MNIST files in ``folder``; ``limit`` keeps the first N of each."""
    train_images, train_labels = load_mnist(folder, "train")
    test_images, test_labels = load_mnist(folder, "test")
    if limit is not None:
        train_images, train_labels = train_images[:limit], train_labels[:limit]
        test_images, test_labels = test_images[:limit], test_labels[:limit]
    return (
        Dataset.from_numpy(train_images, train_labels),
        Dataset.from_numpy(test_images, test_labels),
    )
