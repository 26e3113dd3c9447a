"""Real MNIST test digits, loaded onto the pad like a drawing: by index, by class, misclassified."""

from __future__ import annotations

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
