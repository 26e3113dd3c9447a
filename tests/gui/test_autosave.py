"""No training is lost: autosaves each epoch, a save when closing mid-run, recovery after a crash."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SEVEN, draw_stroke
from PySide6.QtWidgets import QPushButton

from lenet_viz.core.autosave import Autosave
from lenet_viz.core.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from lenet_viz.core.resume import is_training_state
from lenet_viz.core.training import TrainConfig
from lenet_viz.core.variants import create_model
from lenet_viz.gui.main_window import MainWindow


def autosave_dir() -> Path:
    return Path(os.environ["LENET_VIZ_CHECKPOINTS"]) / "autosave"


def test_each_epoch_is_autosaved_and_the_marker_cleared(window, qtbot):
    window.controller.train_limit = 2000
    draw_stroke(window.drawing_pad, SEVEN)
    window.controller.start_training(TrainConfig(epochs=2))
    assert (autosave_dir() / "training-in-progress").exists()
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=30000)
    last, best = autosave_dir() / "modern-last.safetensors", autosave_dir() / "modern-best.safetensors"
    assert read_metadata(last)["epoch"] == "2"
    assert float(read_metadata(best)["test_accuracy"]) > 0.5
    assert not (autosave_dir() / "training-in-progress").exists()


def test_closing_mid_run_saves_a_state_that_resumes_exactly(qtbot, mnist_dir):
    win = MainWindow(data_dir=mnist_dir)
    qtbot.addWidget(win)
    win.show()
    win.training_panel.train_button.click()
    qtbot.waitUntil(
        lambda: win.controller.last_snapshot is not None and win.controller.last_snapshot.progress.step > 30,
        timeout=20000,
    )
    win.close()
    trainer = win.controller.session.trainer
    path = autosave_dir() / "modern-last.safetensors"
    assert is_training_state(path)
    saved = load_checkpoint(path)
    assert all((saved.state_dict()[k] == v).all() for k, v in trainer.model.state_dict().items())
    assert not (autosave_dir() / "training-in-progress").exists()
    # Opening that file in a new window and pressing Train continues the same run.
    win2 = MainWindow(data_dir=mnist_dir)
    qtbot.addWidget(win2)
    assert win2.controller.load_model_file(path)
    assert win2.controller.resume_path == path
    win2.training_panel.train_button.click()
    qtbot.waitUntil(
        lambda: (
            win2.controller.last_snapshot is not None
            and win2.controller.last_snapshot.progress.step > trainer.step
        ),
        timeout=20000,
    )
    assert win2.controller.session.trainer.history.batch_loss[: trainer.step] == trainer.history.batch_loss
    win2.close()


def test_after_a_crash_the_next_start_offers_recovery(qtbot, mnist_dir):
    autosave = Autosave(autosave_dir())
    autosave.begin_run()  # as if the app had died mid-run
    crashed = create_model("classic", seed=7)
    save_checkpoint(crashed, autosave.last_path("classic"))
    win = MainWindow(data_dir=mnist_dir)
    qtbot.addWidget(win)
    win.show()
    box = win.recover_box
    assert box is not None and box.isVisible()
    next(b for b in box.findChildren(QPushButton) if b.text() == "Recover").click()
    qtbot.waitUntil(lambda: win.controller.model.variant == "classic")
    assert (win.controller.model.c1.weight == crashed.c1.weight).all()
    assert autosave.recoverable() is None
    win.close()
    # A clean start offers nothing.
    win2 = MainWindow(data_dir=mnist_dir)
    qtbot.addWidget(win2)
    assert win2.recover_box is None
    win2.close()
