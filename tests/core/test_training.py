"""Training on real MNIST slices: the loss falls, the session thread publishes and obeys."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from lenet_viz.core.augment import augment_batch
from lenet_viz.core.data import load_datasets
from lenet_viz.core.session import TrainingSession
from lenet_viz.core.training import Dataset, TrainConfig, Trainer, evaluate, schedule_factor
from lenet_viz.core.variants import create_model


@pytest.fixture(scope="module")
def mnist_slice(mnist_dir):
    train, test = load_datasets(mnist_dir)
    return (
        Dataset(train.images[:3000], train.labels[:3000]),
        Dataset(test.images[:1000], test.labels[:1000]),
    )


def test_loss_falls_and_accuracy_rises(mnist_slice):
    train, test = mnist_slice
    model = create_model(seed=0)
    before = evaluate(model, test)
    trainer = Trainer(model, train, test, TrainConfig(epochs=2, augment=False))
    epochs_seen = []
    trainer.add_callback("on_epoch_end", lambda t: epochs_seen.append(t.epoch))
    trainer.run()
    h = trainer.history
    assert epochs_seen == [1, 2]
    assert len(h.batch_loss) == trainer.total_steps == 2 * math.ceil(3000 / 64)
    assert np.mean(h.batch_loss[-10:]) < 0.5 * np.mean(h.batch_loss[:10])
    assert h.test_accuracy[-1] > before.accuracy + 0.5
    assert h.test_accuracy[-1] > 0.85
    assert trainer.last_eval is not None and trainer.last_eval.confusion.sum() == 1000


def test_set_lr_applies_mid_run_without_reset(mnist_slice):
    train, _ = mnist_slice
    trainer = Trainer(create_model(seed=0), train, None, TrainConfig(epochs=1, schedule="constant"))
    seen: list[float] = []

    def change(t: Trainer) -> None:
        seen.append(t.optimizer.param_groups[0]["lr"])
        if t.step == 5:
            t.set_lr(1e-4)

    trainer.add_callback("on_batch_end", change)
    trainer.run(should_stop=lambda: trainer.step >= 8)
    assert seen[:5] == [2e-3] * 5 and seen[6:8] == [1e-4, 1e-4]
    assert trainer.step == 8


def test_schedules():
    assert schedule_factor("constant", 500, 1000, 100) == 1.0
    assert schedule_factor("cosine", 999, 1000, 100) < 0.01
    assert schedule_factor("cosine", 50, 1000, 100) == 1.0
    assert schedule_factor("step", 250, 1000, 100) == pytest.approx(0.09)


def test_config_validation():
    with pytest.raises(ValueError, match="learning rate"):
        TrainConfig(lr=-1).validate()
    with pytest.raises(ValueError, match="batch size"):
        TrainConfig(batch_size=0).validate()
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="lbfgs").validate()


def test_augmentation_keeps_range_and_changes_images(mnist_slice):
    train, _ = mnist_slice
    images = train.images[:32].float() / 255
    out = augment_batch(images, torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    assert (out - images).abs().mean() > 0.01
    # Ink survives: no digit is erased by the distortions.
    assert (out.flatten(1).sum(1) > 0.3 * images.flatten(1).sum(1)).all()


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_session_publishes_pauses_and_stops(mnist_slice):
    model = create_model(seed=0)
    session = TrainingSession(model, lambda: mnist_slice, TrainConfig(epochs=50), publish_hz=100)
    session.start()
    try:
        snaps = []
        assert wait_for(
            lambda: (
                (s := session.latest()) is not None
                and s.status == "running"
                and s.progress.step > 3
                and not snaps.append(s)
            )
        )
        first = snaps[-1]
        assert not torch.equal(first.weights["c1.weight"], model.c1.weight)  # trained a copy
        session.pause()
        assert wait_for(
            lambda: (s := session.latest()) is not None and s.status == "paused" and not snaps.append(s)
        )
        step = snaps[-1].progress.step
        time.sleep(0.3)
        late = session.latest()
        assert late is None or late.progress.step == step  # nothing moves while paused
        session.resume()
        assert wait_for(lambda: (s := session.latest()) is not None and s.progress.step > step + 2)
        session.set_lr(1e-4)
        assert wait_for(lambda: session.trainer is not None and session.trainer.base_lr == 1e-4)
    finally:
        session.stop()
        assert session.join(2.0)
    final = session.latest()
    assert final is not None and final.status == "stopped"


def test_session_reports_failures(mnist_slice):
    def broken():
        raise OSError("disk on fire")

    session = TrainingSession(create_model(seed=0), broken, TrainConfig())
    session.start()
    assert session.join(5)
    snap = session.latest()
    assert snap is not None and snap.status == "failed" and "disk on fire" in snap.message


def test_divergence_restores_good_weights_and_fires(mnist_slice):
    train, _ = mnist_slice
    trainer = Trainer(
        create_model(seed=0),
        train,
        None,
        TrainConfig(epochs=1, optimizer="sgd", lr=10.0, schedule="constant", augment=False),
    )
    events = []
    trainer.add_callback("on_diverged", lambda t: events.append(t.step))
    trainer.run(should_stop=lambda: bool(events))
    assert events, "a learning rate of 10 must blow up"
    assert trainer.divergences == 1
    assert all(math.isfinite(x) and x < 1e3 for x in trainer.history.batch_loss)  # the bad batch is not kept
    state = trainer.model.state_dict()
    assert all(torch.isfinite(v).all() for v in state.values())
    # The restored weights still produce a sane loss.
    images = train.images[:256].float() / 255
    loss = trainer.model.loss(trainer.model(trainer.model.to_input(images)), train.labels[:256])
    assert loss.item() < 10


def test_session_pauses_with_a_reason_when_the_loss_explodes(mnist_slice):
    session = TrainingSession(
        create_model(seed=0),
        lambda: mnist_slice,
        TrainConfig(epochs=5, optimizer="sgd", lr=10.0, schedule="constant", augment=False),
        publish_hz=100,
    )
    session.start()
    try:
        snaps = []
        assert wait_for(
            lambda: (s := session.latest()) is not None and s.status == "paused" and not snaps.append(s)
        )
        assert "learning rate" in snaps[-1].message
        assert session.is_paused
        assert all(torch.isfinite(w).all() for w in snaps[-1].weights.values())
        session.set_lr(1e-3)
        session.resume()
        assert wait_for(lambda: (s := session.latest()) is not None and s.status == "running")
    finally:
        session.stop()
        assert session.join(2)


def test_batch_history_stays_bounded():
    from lenet_viz.core.training import History

    history = History()
    for step in range(1, 50_001):
        history.add_batch(step, 1.0 / step)
    assert len(history.batch_steps) <= History.MAX_BATCH_POINTS
    assert history.batch_steps[-1] == 50_000 and history.batch_loss[-1] == pytest.approx(1 / 50_000)
    assert history.batch_steps == sorted(history.batch_steps)
    assert len(history.batch_steps) == len(history.batch_loss) == len(history.smoothed_loss)
