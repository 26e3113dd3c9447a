"""Real MNIST test digits, loaded onto the pad like a drawing: by index, by class, misclassified."""

from __future__ import annotations

import numpy as np

from lenet_viz.core.mnist import load_mnist


def test_digit_by_index_and_class(window, qtbot, mnist_dir):
    _, labels = load_mnist(mnist_dir, "test")
    ctrl = window.controller
    assert ctrl.show_test_digit(0)
    qtbot.waitUntil(lambda: window.prediction()[0] is not None)
    assert window.prediction()[0] == labels[0] == 7
    assert window.drawing_pad.caption == "MNIST test #0 · label 7"
    for digit in (3, 8):
        assert ctrl.random_test_digit(digit)
        assert labels[ctrl.shown_test_index] == digit
    assert not ctrl.show_test_digit(10_000)
    window.clear_button.click()
    assert window.drawing_pad.caption == ""


def test_misclassified_digits_are_the_models_mistakes(window, qtbot, mnist_dir):
    _, labels = load_mnist(mnist_dir, "test")
    ctrl = window.controller
    wrong = ctrl._test_set().misclassified(ctrl.model)
    assert 0 < len(wrong) < 100  # the shipped weights: above 99%
    for _ in range(3):
        assert ctrl.random_misclassified()
        ctrl.refresh()
        assert ctrl.shown_test_index in wrong
        assert window.prediction()[0] != labels[ctrl.shown_test_index]


def test_digits_menu(window):
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Digits" in titles
    window.random_digit_action.trigger()
    assert window.controller.shown_test_index is not None


def test_drawing_over_a_test_digit_makes_it_a_drawing(window, qtbot):
    from conftest import draw_stroke

    ctrl = window.controller
    ctrl.show_test_digit(0)
    ctrl.refresh()
    np_input = ctrl.activations["C1"].clone()
    draw_stroke(window.drawing_pad, [(0.1, 0.9), (0.9, 0.9)])  # a bar under the 7
    ctrl.refresh()
    assert window.drawing_pad.source_image is None and window.drawing_pad.caption == ""
    assert not (ctrl.activations["C1"] == np_input).all()
    assert not window.drawing_pad.is_empty()


def test_confusion_matrix_cells_open_their_digits(window, qtbot, mnist_dir):
    from PySide6.QtCore import Qt

    _, labels = load_mnist(mnist_dir, "test")
    window.confusion_action.trigger()
    dialog = window.confusion_dialog()
    assert dialog.isVisible()
    assert dialog.matrix.sum() == 10_000
    assert (dialog.matrix.sum(axis=1) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]).all()
    assert np.trace(dialog.matrix) > 9_900
    true, predicted = divmod(int(np.argmax(dialog.matrix - np.diag(np.diag(dialog.matrix)))), 10)
    dialog.cell_clicked.emit(true, predicted)  # what a click on that cell sends
    assert dialog.gallery.count() == dialog.matrix[true, predicted] > 0
    item = dialog.gallery.item(0)
    dialog.gallery.itemClicked.emit(item)
    index = int(item.data(Qt.ItemDataRole.UserRole))
    assert window.controller.shown_test_index == index and labels[index] == true
    window.controller.refresh()
    assert window.prediction()[0] == predicted
    dialog.close()


def test_confusion_matrix_follows_training(window, qtbot):
    from lenet_viz.core.training import TrainConfig

    window.confusion_action.trigger()
    dialog = window.confusion_dialog()
    window.controller.train_limit = 1500
    window.controller.start_training(TrainConfig(epochs=2))
    qtbot.waitUntil(lambda: "after epoch 2" in dialog.caption.text(), timeout=30000)
    assert dialog.matrix.sum() == 1500
    dialog.close()
