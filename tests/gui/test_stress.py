"""Random interleavings of everything a user can do, while training and drawing: nothing breaks."""

from __future__ import annotations

import random
import threading

import numpy as np
from conftest import ONE, SEVEN, ZERO, draw_stroke
from PySide6.QtWidgets import QApplication

from lenet_viz.core.checkpoint import save_checkpoint
from lenet_viz.core.training import TrainConfig
from lenet_viz.core.variants import create_model


def test_two_hundred_random_actions(window, qtbot, tmp_path):
    checkpoint = save_checkpoint(create_model("classic", seed=3), tmp_path / "classic.safetensors")
    ctrl = window.controller
    panel = window.training_panel
    rng = random.Random(1234)
    actions = {
        "train": lambda: ctrl.start_training(TrainConfig(epochs=2, batch_size=rng.choice([32, 64, 128]))),
        "pause/resume": panel.pause_button.click,
        "stop": panel.stop_button.click,
        "reset": panel.reset_button.click,
        "variant": lambda: ctrl.switch_variant(rng.choice(["modern", "classic"])),
        "load": lambda: ctrl.load_model_file(checkpoint),
        "revert": window.revert_action.trigger,
        "lr": lambda: panel.lr.setValue(rng.choice([1e-4, 1e-3, 5e-3])),
        "draw": lambda: draw_stroke(window.drawing_pad, rng.choice([ONE, SEVEN, ZERO]), process_events=False),
        "clear": window.clear_button.click,
    }
    names = list(actions)
    weights = [4, 3, 2, 1, 1, 1, 1, 2, 4, 1]
    history = []
    states: list[str] = []
    ctrl.state_changed.connect(states.append)
    for _ in range(200):
        name = rng.choices(names, weights)[0]
        history.append(name)
        actions[name]()
        for _ in range(rng.randint(0, 3)):
            QApplication.processEvents()
        qtbot.wait(rng.choice([0, 1, 5, 20, 100]))
    ctrl.stop_training(wait=True)
    assert ctrl.session is None or ctrl.session.join(2)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("lenet-viz") and t.is_alive()]
    # Still fully usable afterwards.
    window.drawing_pad.clear()
    draw_stroke(window.drawing_pad, SEVEN)
    ctrl.refresh()
    digit, probabilities = window.prediction()
    assert digit is not None and np.isfinite(probabilities).all(), history[-20:]
    assert history.count("train") > 20
    assert states.count("running") >= 3 and "paused" in states, states
