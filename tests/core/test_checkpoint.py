"""Checkpoints: round trip, atomic writes, and every kind of bad file gives one clear line."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lenet_viz.core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_metadata,
    save_checkpoint,
    shipped_weights_path,
)
from lenet_viz.core.variants import create_model

# 1,000 cases in the normal run; `benchmarks/reliability.py fuzz` sets 100,000.
FUZZ_EXAMPLES = int(os.environ.get("LENET_VIZ_FUZZ_EXAMPLES", "1000"))


@pytest.fixture
def saved(tmp_path):
    model = create_model(seed=3)
    path = save_checkpoint(model, tmp_path / "m.safetensors", {"note": "hello"})
    return model, path


def test_round_trip_and_metadata(saved):
    model, path = saved
    loaded = load_checkpoint(path)
    assert not loaded.training
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=name)
    meta = read_metadata(path)
    assert meta["variant"] == "modern" and meta["note"] == "hello"


def test_save_is_atomic_and_leaves_no_temp_files(saved, tmp_path):
    model, path = saved
    before = path.read_bytes()
    save_checkpoint(create_model(seed=4), path)
    assert path.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_failed_save_keeps_previous_file(saved, tmp_path, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        save_checkpoint(create_model(seed=9), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_pt_files_load_with_weights_only(tmp_path):
    model = create_model(seed=2)
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    torch.testing.assert_close(load_checkpoint(path).c1.weight, model.c1.weight)
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, tmp_path / "wrapped.pth")
    torch.testing.assert_close(load_checkpoint(tmp_path / "wrapped.pth").c3.bias, model.c3.bias)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/lenet_viz_pwned",))


def test_pickle_that_runs_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"c1.weight": _Evil()}, path)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(path)
    legacy = tmp_path / "evil_legacy.pt"
    legacy.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(CheckpointError):
        load_checkpoint(legacy)
    assert not os.path.exists("/tmp/lenet_viz_pwned")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"garbage bytes, not weights at all" * 10, "not a valid"),
        (b"\x05\x00", "truncated"),
    ],
)
def test_garbage_files(tmp_path, content, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError, match="folder"):
        load_checkpoint(tmp_path)


def test_truncated_at_every_offset(saved):
    _, path = saved
    data = path.read_bytes()
    for cut in list(range(0, 200)) + list(range(200, len(data), 997)):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError):
            load_checkpoint(path)


def test_wrong_shapes_and_names(tmp_path):
    from safetensors.torch import save_file

    state = {k: v.clone() for k, v in create_model(seed=0).state_dict().items()}
    state["c1.weight"] = torch.zeros(6, 1, 3, 3)
    save_file(state, tmp_path / "shape.safetensors")
    with pytest.raises(CheckpointError, match=r"c1.weight has shape \(6, 1, 3, 3\)"):
        load_checkpoint(tmp_path / "shape.safetensors")
    save_file({"foo": torch.zeros(2)}, tmp_path / "names.safetensors")
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path / "names.safetensors")


def test_nan_weights_are_refused(tmp_path):
    model = create_model(seed=0)
    with torch.no_grad():
        model.f6.weight[0, 0] = float("nan")
    save_checkpoint(model, tmp_path / "nan.safetensors")
    with pytest.raises(CheckpointError, match="NaN"):
        load_checkpoint(tmp_path / "nan.safetensors")


def test_zip_that_is_not_a_torch_file(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    (tmp_path / "z.pt").write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "z.pt")


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_files_only_raise_checkpoint_error(tmp_path_factory, data):
    base = shipped_weights_path().read_bytes()
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(base) - 1), st.integers(0, 255)), max_size=8))
    cut = data.draw(st.integers(0, len(base)))
    blob = bytearray(base[:cut])
    for offset, value in flips:
        if offset < len(blob):
            blob[offset] = value
    path = tmp_path_factory.mktemp("fuzz") / "f.safetensors"
    path.write_bytes(bytes(blob))
    try:
        load_checkpoint(path)
    except CheckpointError:
        pass
