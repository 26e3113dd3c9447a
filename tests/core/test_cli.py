"""The lenet-viz command: help, eval, and one-line errors instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lenet_viz.cli import main


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "lenet_viz", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_help_documents_options():
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("--checkpoint", "--data-dir", "--device", "train", "eval", "download"):
        assert option in result.stdout


def test_eval_on_broken_file_is_one_line(tmp_path):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not weights")
    result = run_cli("eval", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in result.stderr


def test_eval_on_missing_data_is_one_line(tmp_path):
    result = run_cli("eval", "--data-dir", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--epochs", "many"])
    assert info.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_train_rejects_bad_hyperparameters(capsys, mnist_dir):
    assert main(["train", "--data-dir", str(mnist_dir), "--lr", "-1"]) == 1
    assert "learning rate" in capsys.readouterr().err


@pytest.mark.parametrize("variant", ["modern", "classic"])
def test_eval_shipped_weights(mnist_dir, capsys, variant):
    from lenet_viz.core.checkpoint import shipped_weights_path

    assert main(["eval", str(shipped_weights_path(variant)), "--data-dir", str(mnist_dir)]) == 0
    out = capsys.readouterr().out
    assert f"({variant})" in out
    accuracy = float(out.split("accuracy:")[1].split("%")[0])
    assert accuracy >= 99.0
    assert "confusion matrix" in out and len(out.strip().splitlines()) >= 13


def test_train_short_run_saves_a_loadable_model(mnist_dir, tmp_path, capsys):
    from lenet_viz.core.checkpoint import load_checkpoint, read_metadata

    out = tmp_path / "t.safetensors"
    code = main(
        ["train", "--data-dir", str(mnist_dir), "--epochs", "1", "--limit", "5000", "--out", str(out)]
    )
    assert code == 0
    assert load_checkpoint(out).variant == "modern"
    assert float(read_metadata(out)["test_accuracy"]) > 0.5  # chance is 0.1
    assert "epoch 1/1" in capsys.readouterr().out


def test_train_state_and_resume(mnist_dir, tmp_path, capsys):
    from lenet_viz.core.resume import is_training_state

    state = tmp_path / "state.safetensors"
    common = ["train", "--data-dir", str(mnist_dir), "--limit", "1000"]
    assert (
        main([*common, "--epochs", "1", "--state", str(state), "--out", str(tmp_path / "a.safetensors")]) == 0
    )
    assert is_training_state(state)
    assert main([*common, "--resume", str(state), "--out", str(tmp_path / "b.safetensors")]) == 0
    assert "resuming" in capsys.readouterr().out
    assert main([*common, "--resume", str(tmp_path / "a.safetensors")]) == 1
    assert "weights only" in capsys.readouterr().err
