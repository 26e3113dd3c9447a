"""The window, driven like a user drives it: strokes on the pad, buttons, menus' actions."""

from __future__ import annotations

import threading

from PySide6.QtCore import QPointF

import numpy as np
import pytest
import torch
from conftest import ONE, SEVEN, ZERO, draw_stroke

from lenet_viz.core.mnist import load_mnist
from lenet_viz.core.model import LAYER_NAMES


def test_starts_with_shipped_weights_and_empty_prediction(window):
    digit, probabilities = window.prediction()
    assert digit is None and probabilities.sum() == 0
    assert "shipped" in window.model_label.text()
    for view in (*window.map_views.values(), *window.vector_views.values()):
        assert view.title_label.text() in LAYER_NAMES


def test_drawing_changes_maps_and_prediction(window, qtbot):
    c1_before = window.map_views["C1"].current.copy()
    draw_stroke(window.drawing_pad, ONE)
    qtbot.waitUntil(lambda: window.prediction()[0] is not None)
    digit, probabilities = window.prediction()
    assert digit == 1, probabilities
    assert probabilities.sum() > 0.99
    assert not np.array_equal(window.map_views["C1"].current, c1_before, equal_nan=True)
    c5 = window.vector_views["C5"].current.copy()
    window.drawing_pad.clear()
    draw_stroke(window.drawing_pad, ZERO)
    qtbot.waitUntil(lambda: window.prediction()[0] == 0)
    assert not np.array_equal(window.vector_views["C5"].current, c5, equal_nan=True)
    window.clear_button.click()
    qtbot.waitUntil(lambda: window.prediction()[0] is None)


def test_views_show_the_models_activations(window, qtbot):
    draw_stroke(window.drawing_pad, SEVEN)
    qtbot.waitUntil(lambda: window.prediction()[0] is not None)
    acts = window.controller.activations
    np.testing.assert_allclose(np.nanmax(window.map_views["C3"].current), acts["C3"].max().item(), rtol=1e-6)
    expected = torch.softmax(acts["OUTPUT"][0], 0).numpy()
    np.testing.assert_allclose(window.prediction()[1], expected, rtol=1e-5)


def test_mnist_digits_through_the_pad_are_recognised(window, qtbot, mnist_dir):
    images, labels = load_mnist(mnist_dir, "test")
    right = 0
    for index in range(20):
        window.drawing_pad.set_canvas(images[index] / 255.0)
        window.controller.refresh()
        right += window.prediction()[0] == labels[index]
    assert right >= 19


def test_train_pause_stop_buttons(window, qtbot):
    panel = window.training_panel
    kernels_before = window.c1_kernels.current.copy()
    draw_stroke(window.drawing_pad, SEVEN)
    panel.train_button.click()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=15000)
    qtbot.waitUntil(
        lambda: (
            window.controller.last_snapshot is not None and window.controller.last_snapshot.progress.step > 20
        ),
        timeout=15000,
    )
    assert not np.array_equal(window.c1_kernels.current, kernels_before)
    assert "images/s" in panel.speed.text()
    # Curves redraw a few times a second, not on every snapshot.
    qtbot.waitUntil(
        lambda: (
            window.loss_view.smooth.getData()[0] is not None and len(window.loss_view.smooth.getData()[0]) > 0
        ),
        timeout=3000,
    )
    assert not panel.train_button.isEnabled()

    panel.pause_button.click()
    qtbot.waitUntil(lambda: window.controller.last_snapshot.status == "paused", timeout=5000)
    assert panel.pause_button.text() == "Resume"
    step = window.controller.last_snapshot.progress.step
    qtbot.wait(300)
    assert window.controller.last_snapshot.progress.step == step
    panel.lr.setValue(5e-4)  # applies while paused, without a reset
    panel.pause_button.click()
    qtbot.waitUntil(lambda: window.controller.last_snapshot.progress.step > step, timeout=5000)
    qtbot.waitUntil(lambda: window.controller.session.trainer.base_lr == 5e-4, timeout=5000)

    panel.stop_button.click()
    qtbot.waitUntil(lambda: window.controller.state == "stopped", timeout=5000)
    assert panel.train_button.isEnabled()
    assert window.controller.session.join(2)
    assert window.prediction()[0] is not None


def test_reset_weights_gives_random_kernels(window, qtbot):
    before = window.c1_kernels.current.copy()
    window.training_panel.reset_button.click()
    assert not np.array_equal(window.c1_kernels.current, before)
    assert "random" in window.model_label.text()
    window.revert_action.trigger()
    np.testing.assert_array_equal(window.c1_kernels.current, before)


def test_closing_during_training_stops_the_thread(qtbot, mnist_dir):
    from lenet_viz.gui.main_window import MainWindow

    win = MainWindow(data_dir=mnist_dir)
    qtbot.addWidget(win)
    win.show()
    win.training_panel.train_button.click()
    qtbot.waitUntil(lambda: win.controller.state == "running", timeout=15000)
    thread = win.controller.session._thread
    win.close()
    assert thread is not None
    thread.join(2.0)
    assert not thread.is_alive()
    assert not [t for t in threading.enumerate() if t.name.startswith("lenet-viz")]


def test_save_and_load_model(window, qtbot, tmp_path):
    path = tmp_path / "mine.safetensors"
    window.training_panel.reset_button.click()
    random_kernels = window.c1_kernels.current.copy()
    assert window.controller.save_model(path)
    window.revert_action.trigger()
    assert window.controller.load_model_file(path)
    np.testing.assert_array_equal(window.c1_kernels.current, random_kernels)


def test_bad_checkpoint_shows_error_and_keeps_model(window, qtbot, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 100)
    before = window.c1_kernels.current.copy()
    assert not window.controller.load_model_file(bad)
    assert str(bad) in window.last_error
    np.testing.assert_array_equal(window.c1_kernels.current, before)
    draw_stroke(window.drawing_pad, ONE)
    qtbot.waitUntil(lambda: window.prediction()[0] == 1)


def test_variant_switch_swaps_model_views_and_counts(window, qtbot):
    import math

    draw_stroke(window.drawing_pad, SEVEN)
    qtbot.waitUntil(lambda: window.prediction()[0] is not None)
    assert "122,304 connections" in window.map_views["C1"].subtitle_label.text()
    window.variant_choice.setCurrentIndex(window.variant_choice.findData("classic"))
    assert window.controller.model.variant == "classic"
    assert "classic" in window.model_label.text()
    assert "151,600 connections" in window.map_views["C3"].subtitle_label.text()
    assert "1,516 params" in window.map_views["C3"].subtitle_label.text()
    # The C3 grid shows the 60 kernels of Table I and leaves the other cells empty.
    grid = window.c3_kernels.current
    cells = [grid[r * 6 : r * 6 + 5, c * 6 : c * 6 + 5] for r in range(6) for c in range(16)]
    assert sum(not math.isnan(cell[0, 0]) for cell in cells) == 60
    # F6 is shown beside the nearest prototype bitmap; the output shows RBF distances.
    f6 = window.vector_views["F6"]
    assert f6.current.shape == (12, 15) and f6.nearest is not None
    assert window.output_view.mode == "distance"
    assert "distance" in window.output_view.plot.getAxis("left").labelText
    assert window.prediction()[0] == 7
    window.variant_choice.setCurrentIndex(window.variant_choice.findData("modern"))
    assert window.controller.model.variant == "modern" and window.output_view.mode == "probability"
    assert window.vector_views["F6"].current.shape == (12, 7)


def test_exploding_loss_pauses_with_a_message(window, qtbot):
    from lenet_viz.core.training import TrainConfig

    draw_stroke(window.drawing_pad, SEVEN)
    window.controller.start_training(
        TrainConfig(epochs=3, optimizer="sgd", lr=10.0, schedule="constant", augment=False)
    )
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=20000)
    assert "learning rate" in window.last_error
    assert window.training_panel.pause_button.text() == "Resume"
    weights = window.controller.model.state_dict().values()
    assert all(torch.isfinite(w).all() and w.abs().max() < 100 for w in weights)
    window.training_panel.stop_button.click()
    qtbot.waitUntil(lambda: window.controller.state == "stopped", timeout=5000)


def test_refused_hyperparameters_say_why(window, qtbot):
    panel = window.training_panel
    before = panel.lr.value()
    panel.lr.lineEdit().selectAll()
    qtbot.keyClicks(panel.lr.lineEdit(), "x")
    assert panel.input_hint.isVisible() and "Learning rate" in panel.input_hint.text()
    panel.lr.lineEdit().selectAll()
    qtbot.keyClicks(panel.lr.lineEdit(), "5")  # above the maximum of 1
    assert "“5” refused" in panel.input_hint.text()
    panel.lr.interpretText()
    assert panel.lr.value() == before
    panel.epochs.lineEdit().selectAll()
    qtbot.keyClicks(panel.epochs.lineEdit(), "500")
    assert "Epochs" in panel.input_hint.text() and panel.epochs.value() <= 100


def test_hover_readouts_name_the_unit_and_its_value(window, qtbot):
    draw_stroke(window.drawing_pad, SEVEN)
    window.controller.refresh()
    acts = window.controller.activations
    c1 = window.map_views["C1"]
    # map 4 is row 1, column 1 of the 2x3 grid; pixel (5, 7) inside it
    text = c1.readout_at(29 + 5, 29 + 7)
    assert text == f"C1 map 4, row 5, column 7 = {acts['C1'][0, 4, 5, 7].item():.4f}"
    assert c1.readout_at(28, 3) == ""  # the gap between maps
    kernels = window.controller.model.kernels()["C3"]
    text = window.c3_kernels.readout_at(2 * 6 + 1, 5 * 6 + 3)  # row = S2 map 2, column = C3 map 5
    assert text == f"C3 kernel of map 5, reading S2 map 2: weight (1, 3) = {kernels[5, 2, 1, 3].item():+.4f}"
    f6 = window.vector_views["F6"]
    assert f6.readout_at(2, 3) == f"F6 unit 17 = {acts['F6'][0, 17].item():.4f}"
    # The signal path: a mouse move over the view reaches the status bar.
    scene_pos = c1.view.mapViewToScene(QPointF(29 + 7.5, 29 + 5.5))
    c1.graphics.scene().sigMouseMoved.emit(scene_pos)
    assert window.readout.startswith("C1 map 4, row 5, column 7")


def test_clicking_a_grid_enlarges_it_live(window, qtbot):
    c3 = window.map_views["C3"]
    c3.graphics.scene().sigMouseClicked.emit(None)  # what a click on the grid sends
    view = window.enlarged[c3.objectName()]
    assert view.isVisible() and "C3" in view.windowTitle()
    np.testing.assert_array_equal(view.image.image, c3.current)
    draw_stroke(window.drawing_pad, ZERO)
    window.controller.refresh()
    np.testing.assert_array_equal(view.image.image, c3.current)  # it follows the pen
    kernels = window.enlarge(window.c3_kernels)
    assert kernels.colorbar is not None
    view.close()
    kernels.close()


def test_preprocessing_steps_follow_the_pen(window, qtbot):
    from lenet_viz.core.preprocess import preprocess_steps

    window.input_view.graphics.scene().sigMouseClicked.emit(None)  # a click on INPUT
    dialog = window.open_preprocessing_dialog()
    assert dialog is not None
    draw_stroke(window.drawing_pad, [(0.6, 0.1), (0.6, 0.5)])  # a small 1, off-centre
    window.controller.refresh()
    steps = preprocess_steps(window.drawing_pad.canvas_array())
    assert dialog.images["cropped"].image.shape == steps["cropped"].shape
    assert max(dialog.images["fitted"].image.shape) == 20
    np.testing.assert_array_equal(dialog.images["centred"].image, steps["centred"])
    assert dialog.images["input"].image.shape == (32, 32)
    assert "20×20" in dialog.captions["fitted"].text()
    dialog.close()


def test_presentation_mode_hiding_controls_and_shortcut_list(window, qtbot):
    window.fullscreen_action.trigger()
    assert window.isFullScreen()
    window.fullscreen_action.trigger()
    assert not window.isFullScreen()
    window.controls_action.trigger()
    assert not window.training_area.isVisible()
    window.controls_action.trigger()
    assert window.training_area.isVisible()
    shortcuts = dict(window.shortcut_list())
    for keys in ("Ctrl+T", "Ctrl+P", "Ctrl+D", "Ctrl+M", "Ctrl+K", "F11", "F1"):
        assert keys in shortcuts, keys
    box = window.show_shortcuts()
    assert "Train" in box.text() and "F11" in box.text()
    box.close()


def test_saliency_overlay_on_input(window, qtbot):
    draw_stroke(window.drawing_pad, SEVEN)
    window.controller.refresh()
    assert not window.input_view.overlay.isVisible()
    for method in ("gradient", "grad-cam"):
        window.saliency_actions[method].trigger()
        assert window.input_view.overlay.isVisible()
        assert window.input_view.overlay.image.shape == (32, 32)
        assert window.input_view.overlay.image.max() == pytest.approx(1.0)
    window.saliency_actions[None].trigger()
    assert not window.input_view.overlay.isVisible()


def test_invariance_lab_distorts_what_the_network_sees(window, qtbot):
    draw_stroke(window.drawing_pad, ONE)
    window.controller.refresh()
    upright = window.controller.activations["C1"].clone()
    lab = window.show_invariance_lab()
    assert lab.curve.getData()[0] is not None and len(lab.curve.getData()[0]) == 25  # the rotation sweep
    lab.set_value("rotation", 90)
    window.controller.refresh()
    assert not torch.equal(window.controller.activations["C1"], upright)
    assert lab.marker.value() == pytest.approx(90, abs=2)
    lab.close()
    window.controller.refresh()
    assert torch.equal(window.controller.activations["C1"], upright)  # closing the lab undoes it


def test_single_step_shows_before_update_after(window, qtbot):
    dialog = window.show_single_step()
    before = window.controller.model.kernels()["C1"].numpy()
    dialog.step_button.click()
    after = window.controller.model.kernels()["C1"].numpy()
    assert not np.array_equal(before, after)
    np.testing.assert_allclose(
        dialog.update_view.current[:5, :5], (after - before)[0, 0], rtol=1e-5, atol=1e-7
    )
    np.testing.assert_array_equal(dialog.before.current[:5, :5], before[0, 0])
    assert dialog.batch_view.current.shape == (8 * 29 - 1, 8 * 29 - 1)  # 64 digits, 8 per row
    assert "Step 1:" in dialog.info.text() and "loss" in dialog.info.text()
    dialog.step_button.click()
    assert "Step 2:" in dialog.info.text()
    np.testing.assert_array_equal(
        window.c1_kernels.current[:5, :5], window.controller.model.c1.weight[0, 0].detach().numpy()
    )
    dialog.close()
