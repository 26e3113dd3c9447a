"""Where lenet-viz keeps its files: user folders from platformdirs, overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "lenet-viz"

#: Environment variable naming the folder that holds (or will hold) the four MNIST files.
DATA_ENV = "LENET_VIZ_DATA"
#: Environment variable naming the folder where trained checkpoints are saved by default.
CHECKPOINT_ENV = "LENET_VIZ_CHECKPOINTS"


def mnist_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The MNIST folder: ``override`` (``--data-dir``), else ``$LENET_VIZ_DATA``, else the user cache."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "mnist"


def checkpoint_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Default folder for saved models: ``override``, else ``$LENET_VIZ_CHECKPOINTS``, else user data."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(CHECKPOINT_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "checkpoints"


def log_dir() -> Path:
    """Folder for the application log."""
    return Path(platformdirs.user_log_dir(APP_NAME))
