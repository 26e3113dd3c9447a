"""Shared fixtures: where the read-only shared data lives, and MNIST slices from it.

The shared folder is ``<repo root>/../shared`` unless ``LENET_VIZ_SHARED`` names another.
Tests that need it skip with a reason when it is absent, except under ``CI=true``, where a
missing folder is an error so that CI can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before anything imports Qt: no display is needed, here or in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get("LENET_VIZ_SHARED", REPO_ROOT.parent / "shared")).resolve()


def _require(path: Path, what: str) -> Path:
    if path.is_dir():
        return path
    message = f"{what} not found at {path} (set LENET_VIZ_SHARED to the shared folder)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — under CI=true this is an error, not a skip")
    pytest.skip(message)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the four MNIST .gz files (read-only)."""
    return _require(shared_dir() / "data" / "mnist", "shared MNIST data")


@pytest.fixture(scope="session")
def lenet5_data_dir() -> Path:
    """The folder with the 1998 paper's tables as text."""
    return _require(shared_dir() / "data" / "lenet5", "shared LeNet-5 paper data")
