"""Saving and loading model weights safely.

Weights are written as safetensors (a format that cannot execute code when read), atomically:
a temporary file in the same folder, flushed and fsynced, then ``os.replace``d over the target,
so a crash mid-save leaves the previous file intact. ``.pt``/``.pth`` files are read with
``torch.load(weights_only=True)``. Every problem becomes a one-line :class:`CheckpointError`
that names the file, and the caller's current model is never touched by a failed load.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import torch
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save
from torch import Tensor

from lenet_viz.core.model import LeNet5
from lenet_viz.core.variants import MODEL_VARIANTS, create_model

FORMAT_TAG = "lenet-viz"


class CheckpointError(Exception):
    """A file that is not a usable checkpoint; the message names the file and the problem."""


def shipped_weights_path(variant: str = "modern") -> Path:
    """Path of the weights that ship inside the package for ``variant``."""
    path = resources.files("lenet_viz.resources") / "weights" / f"{variant}.safetensors"
    return Path(str(path))


def save_checkpoint(
    model: LeNet5, path: str | os.PathLike[str], metadata: Mapping[str, str] | None = None
) -> Path:
    """Write ``model``'s weights to ``path`` (safetensors) atomically; returns the path."""
    path = Path(path)
    meta = {"format": FORMAT_TAG, "variant": model.variant}
    meta.update({str(k): str(v) for k, v in (metadata or {}).items()})
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return write_atomic(safetensors_save(state, metadata=meta), path)


def write_atomic(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` so that a crash at any moment leaves the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The metadata of a safetensors checkpoint (empty for other formats)."""
    path = Path(path)
    data = _read_bytes(path)
    return _safetensors_metadata(data, path) if not _looks_like_torch_file(path, data) else {}


def load_checkpoint(path: str | os.PathLike[str], variant: str | None = None) -> LeNet5:
    """A new model (eval mode) with the weights in ``path``.

    The variant comes from ``variant`` if given, else from the file's metadata, else from the
    tensor names. Raises :class:`CheckpointError` for anything that is not a valid checkpoint.
    """
    path = Path(path)
    data = _read_bytes(path)
    if _looks_like_torch_file(path, data):
        state, meta = _torch_state(data, path), {}
    else:
        meta = _safetensors_metadata(data, path)
        try:
            state = safetensors_load(data)
        except Exception as exc:  # safetensors raises its own error types for bad bytes
            raise CheckpointError(f"{path}: not a valid weights file ({_short(exc)})") from None
        # A training state also holds "optimizer/..." and "trainer/..." entries: not weights.
        state = {k: v for k, v in state.items() if "/" not in k}
    chosen = variant or meta.get("variant") or _guess_variant(state)
    if chosen not in MODEL_VARIANTS:
        raise CheckpointError(f"{path}: unknown model variant {chosen!r}")
    model = create_model(chosen)
    load_state_into(model, state, path)
    return model.eval()


def load_state_into(model: LeNet5, state: Mapping[str, Tensor], source: object = "weights") -> None:
    """Validate ``state`` against ``model`` (names, shapes, finite values), then load it."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        detail = []
        if missing:
            detail.append("missing " + ", ".join(missing[:4]) + ("..." if len(missing) > 4 else ""))
        if unexpected:
            detail.append("unexpected " + ", ".join(unexpected[:4]))
        raise CheckpointError(f"{source}: not weights for the {model.variant} LeNet-5 ({'; '.join(detail)})")
    for name, tensor in state.items():
        if not isinstance(tensor, Tensor):
            raise CheckpointError(f"{source}: entry {name!r} is not a tensor")
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise CheckpointError(
                f"{source}: {name} has shape {tuple(tensor.shape)}, "
                f"the {model.variant} model needs {tuple(expected[name].shape)}"
            )
        if not tensor.is_floating_point() or not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{source}: {name} holds NaN, Inf or non-float values")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a folder, not a weights file") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror})") from None
    if not data:
        raise CheckpointError(f"{path}: the file is empty")
    return data


def _looks_like_torch_file(path: Path, data: bytes) -> bool:
    # torch.save writes a zip archive ("PK") or, in the legacy format, a raw pickle (0x80).
    return path.suffix in {".pt", ".pth"} or data[:2] == b"PK" or data[:1] == b"\x80"


def _safetensors_metadata(data: bytes, path: Path) -> dict[str, str]:
    # The header is an 8-byte little-endian length followed by that much JSON.
    if len(data) < 8:
        raise CheckpointError(f"{path}: not a valid weights file (truncated: only {len(data)} bytes)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise CheckpointError(
            f"{path}: not a valid weights file (truncated, or not safetensors: bad header length)"
        )
    try:
        header = json.loads(data[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"{path}: not a valid weights file (unreadable header)") from None
    meta = header.get("__metadata__", {}) if isinstance(header, dict) else {}
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def _torch_state(data: bytes, path: Path) -> dict[str, Tensor]:
    import io

    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unsafe content"
        raise CheckpointError(
            f"{path}: refused — it holds objects other than plain weights ({first[:120]})"
        ) from None
    except Exception as exc:  # zip errors, truncated pickles, ...
        raise CheckpointError(f"{path}: not a valid PyTorch weights file ({_short(exc)})") from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a dict of weights")
    return obj


def _guess_variant(state: Mapping[str, Tensor]) -> str:
    for name, cls in MODEL_VARIANTS.items():
        if set(cls().state_dict()) == set(state):
            return name
    return "modern"  # the shape check then explains what does not fit


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
