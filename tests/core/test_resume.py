"""A run saved mid-pass and resumed ends exactly like the same run left uninterrupted."""

from __future__ import annotations

import pytest
import torch

from lenet_viz.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lenet_viz.core.data import load_datasets
from lenet_viz.core.resume import is_training_state, load_training_state, save_training_state
from lenet_viz.core.training import Dataset, TrainConfig, Trainer
from lenet_viz.core.variants import create_model


@pytest.fixture(scope="module")
def small(mnist_dir):
    train, test = load_datasets(mnist_dir, limit=1000)
    return Dataset(train.images[:640], train.labels[:640]), test


@pytest.mark.parametrize("optimizer, variant", [("adam", "modern"), ("sgd", "classic")])
def test_resume_matches_an_uninterrupted_run(small, tmp_path, optimizer, variant):
    train, test = small
    config = TrainConfig(epochs=2, batch_size=64, optimizer=optimizer, lr=1e-3, augment=True, seed=5)
    torch.set_num_threads(1)  # same reduction order in both runs
    straight = Trainer(create_model(variant, seed=1), train, test, config)
    straight.run()

    first = Trainer(create_model(variant, seed=1), train, test, config)
    first.run(should_stop=lambda: first.step >= 13)  # stop mid-way through pass 2
    assert first.epoch == 1 and first.batch == 3
    path = save_training_state(first, tmp_path / "state.safetensors")
    resumed = load_training_state(path, train, test)
    assert (resumed.step, resumed.epoch, resumed.batch) == (13, 1, 3)
    resumed.run()

    assert resumed.step == straight.step == 20
    for (name, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
    assert resumed.history.batch_loss == pytest.approx(straight.history.batch_loss, rel=1e-5)
    assert resumed.history.test_accuracy == pytest.approx(straight.history.test_accuracy)


def test_a_training_state_is_also_a_model_file(small, tmp_path):
    train, test = small
    trainer = Trainer(create_model(seed=0), train, test, TrainConfig(epochs=1))
    trainer.run(should_stop=lambda: trainer.step >= 2)
    path = save_training_state(trainer, tmp_path / "s.safetensors")
    assert is_training_state(path)
    model = load_checkpoint(path)
    torch.testing.assert_close(model.c1.weight, trainer.model.c1.weight)


def test_weights_only_and_damaged_states_are_refused(small, tmp_path):
    train, test = small
    weights = save_checkpoint(create_model(seed=0), tmp_path / "w.safetensors")
    with pytest.raises(CheckpointError, match="weights only"):
        load_training_state(weights, train, test)
    trainer = Trainer(create_model(seed=0), train, test, TrainConfig(epochs=1))
    path = save_training_state(trainer, tmp_path / "s.safetensors")
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"step":"0"', b'"step":"x"'))
    with pytest.raises(CheckpointError, match="damaged training state"):
        load_training_state(path, train, test)
