"""The main window: layout and menus only; the controller does the work."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from lenet_viz.core.checkpoint import CheckpointError, load_checkpoint, shipped_weights_path
from lenet_viz.core.counting import count_layers
from lenet_viz.core.model import LAYER_SHAPES, LeNet5
from lenet_viz.core.paths import checkpoint_dir
from lenet_viz.gui.controller import Controller
from lenet_viz.gui.views.confusion import ConfusionDialog
from lenet_viz.gui.views.curves import AccuracyView, LossView
from lenet_viz.gui.views.drawing_pad import PEN_WIDTHS, DrawingPad
from lenet_viz.gui.views.enlarged import EnlargedView
from lenet_viz.gui.views.invariance_lab import InvarianceLab
from lenet_viz.gui.views.layer_views import (
    FeatureMapView,
    ImagePanel,
    InputView,
    KernelView,
    OutputView,
    TitledPanel,
    VectorView,
)
from lenet_viz.gui.views.preprocessing import PreprocessingDialog
from lenet_viz.gui.views.single_step import SingleStepDialog
from lenet_viz.gui.views.training_panel import TrainingPanel

log = logging.getLogger(__name__)


VARIANT_TITLES = {"modern": "modern LeNet-5", "classic": "classic LeNet-5 (1998)"}

LAYER_DESCRIPTIONS = {
    "modern": {
        "C1": "convolution 5×5 + ReLU",
        "S2": "max-pooling 2×2",
        "C3": "convolution 5×5 + ReLU",
        "S4": "max-pooling 2×2",
        "C5": "conv 5×5 + ReLU",
        "F6": "full + ReLU",
        "OUTPUT": "full, softmax",
    },
    "classic": {
        "C1": "convolution 5×5 + squash",
        "S2": "2×2 sum × coef + bias, squash",
        "C3": "sparse conv (Table I) + squash",
        "S4": "2×2 sum × coef + bias, squash",
        "C5": "conv 5×5 + squash",
        "F6": "full + squash",
        "OUTPUT": "Euclidean RBF",
    },
}

LAYER_TOOLTIPS = {
    "C1": "C1 slides six 5×5 kernels over the 32×32 input: six maps of what each kernel detects.",
    "S2": "S2 halves each C1 map by combining 2×2 blocks, so small shifts matter less.",
    "C3": "C3 combines S2 maps with sixteen sets of 5×5 kernels (in the 1998 net, only the "
    "pairs Table I connects).",
    "S4": "S4 halves each C3 map again: sixteen 5×5 maps.",
    "C5": "C5 has 120 units, each looking at all of S4 at once through 5×5 kernels.",
    "F6": "F6 has 84 units, fully connected to C5. In the 1998 net they are compared with a "
    "7×12 bitmap per digit.",
    "OUTPUT": "Ten outputs, one per digit: the largest probability (or, in the 1998 net, the "
    "smallest distance) wins.",
}


def _shape_text(name: str) -> str:
    shape = LAYER_SHAPES[name]
    return f"{shape[0]}@{shape[1]}×{shape[2]}" if len(shape) == 3 else f"{shape[0]} units"


class MainWindow(QMainWindow):
    """The whole application window. ``MainWindow()`` starts with the shipped weights."""

    def __init__(
        self,
        checkpoint: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        device: str = "cpu",
        variant: str = "modern",
    ) -> None:
        super().__init__()
        self.last_error = ""
        self.download_dialog: QProgressDialog | None = None
        self.download_box: QMessageBox | None = None
        self._confusion: ConfusionDialog | None = None
        self.readout = ""
        self.enlarged: dict[str, EnlargedView] = {}
        self._preprocessing: PreprocessingDialog | None = None
        self._lab: InvarianceLab | None = None
        self._single_step: SingleStepDialog | None = None
        self.setWindowTitle("lenet-viz — LeNet-5, live")
        self._build_views()
        self._build_layout()
        model, source, problem = self._initial_model(checkpoint, variant)
        self.controller = Controller(self, model, source, data_dir=data_dir, device=device)
        self._build_menus()
        self._connect()
        self.set_model(model, source)
        self.set_data_dir(self.controller.data_dir)
        self.controller.refresh_all()
        if problem:
            self.show_error("Could not load the model", problem + "\nThe shipped weights are loaded instead.")
        self.recover_box: QMessageBox | None = None
        recoverable = self.controller.autosave.recoverable()
        if recoverable is not None:
            self._offer_recovery(recoverable)

    # -- construction --------------------------------------------------------------------
    def _build_views(self) -> None:
        self.drawing_pad = DrawingPad()
        self.clear_button = QPushButton("Clear pad")
        self.clear_button.setObjectName("clear_button")
        self.pen_choice = QComboBox()
        self.pen_choice.setToolTip("Pen width")
        for name in PEN_WIDTHS:
            self.pen_choice.addItem(f"{name} pen", name)
        self.pen_choice.setCurrentIndex(list(PEN_WIDTHS).index("medium"))
        self.input_view = InputView()
        self.map_views = {
            "C1": FeatureMapView("C1", "convolution 5×5 + ReLU", _shape_text("C1"), columns=3),
            "S2": FeatureMapView("S2", "max-pooling 2×2", _shape_text("S2"), columns=3),
            "C3": FeatureMapView("C3", "convolution 5×5 + ReLU", _shape_text("C3"), columns=4),
            "S4": FeatureMapView("S4", "max-pooling 2×2", _shape_text("S4"), columns=4),
        }
        self.vector_views = {
            "C5": VectorView("C5", "", "120", rows=12, columns=10),
            "F6": VectorView("F6", "", "84", rows=12, columns=7),
        }
        self.variant_choice = QComboBox()
        self.variant_choice.setObjectName("variant_choice")
        self.variant_choice.setToolTip("Which LeNet-5: the modern one tutorials teach, or the 1998 paper's")
        for variant, title in VARIANT_TITLES.items():
            self.variant_choice.addItem(title, variant)
        self.output_view = OutputView()
        self.c1_kernels = KernelView("C1 kernels", "weights: blue < 0 < red", "6 of 5×5")
        self.c3_kernels = KernelView(
            "C3 kernels", "column = C3 map, row = the S2 map it reads", "16×6 of 5×5"
        )
        self.training_panel = TrainingPanel()
        self.loss_view = LossView()
        self.accuracy_view = AccuracyView()

    def _build_layout(self) -> None:
        pad_panel = TitledPanel("PAD", "draw a digit with the mouse", "")
        pad_panel.body.addWidget(self.drawing_pad, 1)
        pad_buttons = QHBoxLayout()
        pad_buttons.addWidget(self.pen_choice)
        pad_buttons.addWidget(self.clear_button, 1)
        pad_panel.body.addLayout(pad_buttons)

        network = QWidget()
        grid = QGridLayout(network)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(6)
        left = QVBoxLayout()
        left.setSpacing(6)
        left.addWidget(pad_panel, 5)
        left.addWidget(self.input_view, 3)
        self.input_view.setMaximumHeight(250)  # the pad, not its preview, gets the height
        grid.addLayout(left, 0, 0, 2, 1)
        for column, name in enumerate(["C1", "S2", "C3", "S4"], start=1):
            grid.addWidget(self.map_views[name], 0, column)
        grid.addWidget(self.vector_views["C5"], 0, 5)
        grid.addWidget(self.vector_views["F6"], 0, 6)
        grid.addWidget(self.output_view, 0, 7, 2, 1)
        grid.addWidget(self.c1_kernels, 1, 1, 1, 2)
        grid.addWidget(self.c3_kernels, 1, 3, 1, 4)
        for column, stretch in enumerate([7, 5, 4, 4, 3, 3, 3, 5]):
            grid.setColumnStretch(column, stretch)
        grid.setRowStretch(0, 4)
        grid.setRowStretch(1, 3)

        training = QWidget()
        row = QHBoxLayout(training)
        row.setContentsMargins(4, 0, 4, 4)
        row.addWidget(self.training_panel, 5)
        row.addWidget(self.loss_view, 5)
        row.addWidget(self.accuracy_view, 4)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(network)
        splitter.addWidget(training)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([680, 280])
        self.splitter = splitter
        self.training_area = training
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.setCentralWidget(central)
        self.model_label = QLabel()
        self.data_label = QLabel()
        self.statusBar().addWidget(self.model_label, 1)
        self.statusBar().addPermanentWidget(self.data_label)

    def _build_menus(self) -> None:
        corner = QWidget(self)  # parented: PySide does not take ownership in setCornerWidget
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 8, 0)
        corner_layout.addWidget(QLabel("Network:"))
        corner_layout.addWidget(self.variant_choice)
        self.menuBar().setCornerWidget(corner)
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open model…", self, shortcut=QKeySequence.StandardKey.Open)
        self.save_action = QAction("&Save model…", self, shortcut=QKeySequence.StandardKey.Save)
        self.revert_action = QAction("&Revert to shipped weights", self)
        self.data_action = QAction("Choose MNIST &folder…", self)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        for action in (self.open_action, self.save_action, self.revert_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.data_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        training_menu = self.menuBar().addMenu("&Training")
        panel = self.training_panel
        self.train_action = QAction("&Train", self, shortcut=QKeySequence("Ctrl+T"))
        self.pause_action = QAction("&Pause / Resume", self, shortcut=QKeySequence("Ctrl+P"))
        self.stop_action = QAction("&Stop", self, shortcut=QKeySequence("Ctrl+."))
        self.reset_action = QAction("&Reset weights", self, shortcut=QKeySequence("Ctrl+R"))
        self.clear_action = QAction("&Clear pad", self, shortcut=QKeySequence("Ctrl+L"))
        self.single_step_action = QAction("Single &step…", self, shortcut=QKeySequence("Ctrl+N"))
        self.single_step_action.triggered.connect(self.show_single_step)
        training_menu.addAction(self.single_step_action)
        for action, button in (
            (self.train_action, panel.train_button),
            (self.pause_action, panel.pause_button),
            (self.stop_action, panel.stop_button),
            (self.reset_action, panel.reset_button),
            (self.clear_action, self.clear_button),
        ):
            action.triggered.connect(button.click)  # a disabled button ignores the click
            training_menu.addAction(action)
        digits_menu = self.menuBar().addMenu("&Digits")
        c = self.controller
        self.random_digit_action = QAction("&Random test digit", self, shortcut=QKeySequence("Ctrl+D"))
        self.random_digit_action.triggered.connect(lambda: c.random_test_digit())
        self.misclassified_action = QAction(
            "Random &misclassified test digit", self, shortcut=QKeySequence("Ctrl+M")
        )
        self.misclassified_action.triggered.connect(c.random_misclassified)
        self.index_action = QAction("Test digit by &index…", self, shortcut=QKeySequence("Ctrl+I"))
        self.index_action.triggered.connect(self._ask_test_index)
        self.confusion_action = QAction("&Confusion matrix…", self, shortcut=QKeySequence("Ctrl+K"))
        self.confusion_action.triggered.connect(c.show_confusion)
        for action in (self.random_digit_action, self.misclassified_action, self.index_action):
            digits_menu.addAction(action)
        digits_menu.addAction(self.confusion_action)
        self.lab_action = QAction("&Invariance lab…", self, shortcut=QKeySequence("Ctrl+J"))
        self.lab_action.triggered.connect(self.show_invariance_lab)
        digits_menu.addAction(self.lab_action)
        self.steps_action = QAction("&Preprocessing steps…", self)
        self.steps_action.triggered.connect(self.show_preprocessing)
        digits_menu.addAction(self.steps_action)
        by_class = digits_menu.addMenu("Random test digit of &class")
        for digit in range(10):
            action = by_class.addAction(str(digit))
            action.triggered.connect(lambda _checked=False, d=digit: c.random_test_digit(d))
        view_menu = self.menuBar().addMenu("&View")
        self.fullscreen_action = QAction(
            "&Presentation mode (full screen)", self, shortcut=QKeySequence("F11")
        )
        self.fullscreen_action.setCheckable(True)
        self.fullscreen_action.toggled.connect(self.set_presentation)
        self.controls_action = QAction("Show &training area", self, shortcut=QKeySequence("Ctrl+H"))
        self.controls_action.setCheckable(True)
        self.controls_action.setChecked(True)
        self.controls_action.toggled.connect(self.training_area.setVisible)
        view_menu.addAction(self.fullscreen_action)
        view_menu.addAction(self.controls_action)
        saliency_menu = view_menu.addMenu("&Saliency on INPUT (predicted class)")
        group = QActionGroup(self)
        self.saliency_actions: dict[str | None, QAction] = {}
        for method, text in ((None, "Off"), ("gradient", "Gradient"), ("grad-cam", "Grad-CAM on C3")):
            action = QAction(text, self, checkable=True)
            action.setChecked(method is None)
            action.triggered.connect(lambda _checked=False, m=method: self.set_saliency(m))
            group.addAction(action)
            saliency_menu.addAction(action)
            self.saliency_actions[method] = action
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts", self, shortcut=QKeySequence("F1"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)
        about = QAction("&About lenet-viz", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _connect(self) -> None:
        c = self.controller
        self.clear_button.clicked.connect(self.drawing_pad.clear)
        self.pen_choice.currentIndexChanged.connect(
            lambda: setattr(self.drawing_pad, "pen_width", PEN_WIDTHS[self.pen_choice.currentData()])
        )
        p = self.training_panel
        p.train_clicked.connect(c.start_training)
        p.pause_clicked.connect(c.pause_or_resume)
        p.stop_clicked.connect(c.stop_training)
        p.reset_clicked.connect(c.reset_weights)
        p.lr_changed.connect(c.set_lr)
        c.error.connect(self.show_error)
        for panel in (
            *self.map_views.values(),
            *self.vector_views.values(),
            self.c1_kernels,
            self.c3_kernels,
            self.input_view,
        ):
            panel.hovered.connect(self._show_readout)
            if panel is not self.input_view:
                panel.clicked.connect(lambda p=panel: self.enlarge(p))
        self.input_view.clicked.connect(self.show_preprocessing)
        self.variant_choice.currentIndexChanged.connect(
            lambda: c.switch_variant(str(self.variant_choice.currentData()))
        )
        c.download_progress.connect(self._download_progress)
        c.download_finished.connect(self._download_finished)
        self.open_action.triggered.connect(self._open_model)
        self.save_action.triggered.connect(self._save_model)
        self.revert_action.triggered.connect(c.revert_to_shipped)
        self.data_action.triggered.connect(self._choose_data_dir)
        self.quit_action.triggered.connect(self.close)

    @staticmethod
    def _initial_model(checkpoint: str | os.PathLike[str] | None, variant: str) -> tuple[LeNet5, str, str]:
        """(model, where it came from, problem text or "")."""
        shipped = load_checkpoint(shipped_weights_path(variant))
        if not checkpoint:
            return shipped, "shipped weights", ""
        try:
            return load_checkpoint(checkpoint), Path(checkpoint).name, ""
        except CheckpointError as exc:
            return shipped, "shipped weights", str(exc)

    # -- what the controller calls -------------------------------------------------------
    def show_activations(
        self,
        network_input: np.ndarray,
        levels: tuple[float, float],
        activations: dict[str, np.ndarray],
    ) -> None:
        self.input_view.set_input(network_input, levels)
        for name, view in self.map_views.items():
            view.set_maps(activations[name])
        for name, vector_view in self.vector_views.items():
            vector_view.set_vector(activations[name])

    def clear_curves(self) -> None:
        self.loss_view.clear()
        self.accuracy_view.clear()

    def set_model(self, model: LeNet5, source: str) -> None:
        """Label every panel for ``model``'s variant, with its own parameter and connection counts."""
        self.model_label.setText(f"Model: {VARIANT_TITLES[model.variant]} · {source}")
        index = self.variant_choice.findData(model.variant)
        if index != self.variant_choice.currentIndex():
            self.variant_choice.blockSignals(True)
            self.variant_choice.setCurrentIndex(index)
            self.variant_choice.blockSignals(False)
        counts = {c.name: c for c in count_layers(model)}
        for name, panel in self.layer_panels().items():
            count = counts[name]
            panel.subtitle_label.setText(
                f"{LAYER_DESCRIPTIONS[model.variant][name]}\n"
                f"{count.parameters:,} params · {count.connections:,} connections"
            )
            panel.setToolTip(LAYER_TOOLTIPS[name])
        self.output_view.set_mode("distance" if model.variant == "classic" else "probability")
        self.vector_views["F6"].set_prototypes(
            model.output.prototypes.numpy() if model.variant == "classic" else None  # type: ignore[union-attr]
        )

    def layer_panels(self) -> dict[str, TitledPanel]:
        return {**self.map_views, **self.vector_views, "OUTPUT": self.output_view}

    def set_data_dir(self, folder: Path) -> None:
        self.data_label.setText(f"MNIST folder: {folder}")

    def prediction(self) -> tuple[int | None, np.ndarray]:
        """(digit, probabilities) as currently displayed; digit is None while the pad is empty."""
        return self.output_view.digit, self.output_view.probabilities.copy()

    def show_error(self, title: str, message: str) -> None:
        """A window-modal warning that does not block the event loop (training keeps drawing)."""
        log.warning("%s: %s", title, message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("error_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_error = message

    def ask_download(self, folder: Path, problem: str = "") -> None:
        """MNIST is missing (or ``problem`` says what is wrong with it): download, or choose a folder."""
        box = QMessageBox(self)
        box.setObjectName("download_box")
        box.setIcon(QMessageBox.Icon.Question)
        if problem:
            box.setWindowTitle("MNIST cannot be used")
            box.setText(f"The MNIST files in\n{folder}\ncannot be used: {problem}")
            box.setInformativeText("Download them again (about 11 MB), or choose another folder?")
        else:
            box.setWindowTitle("MNIST is needed")
            box.setText(f"Training needs the MNIST digits, which are not in\n{folder}")
            box.setInformativeText("Download them now (about 11 MB), or choose a folder that has them?")
        download = box.addButton("Download", QMessageBox.ButtonRole.AcceptRole)
        choose = box.addButton("Choose folder…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)

        def answered() -> None:
            if box.clickedButton() is download:
                self._show_download_dialog()
                self.controller.start_download()
            elif box.clickedButton() is choose and self._choose_data_dir():
                self.controller.start_training()

        box.finished.connect(answered)
        box.open()  # window-modal but not blocking: the event loop (and any drawing) goes on
        self.download_box = box

    # -- dialogs -------------------------------------------------------------------------
    def confusion_dialog(self) -> ConfusionDialog:
        """The confusion matrix window, made on first use."""
        if self._confusion is None:
            self._confusion = ConfusionDialog(self)
            self._confusion.cell_clicked.connect(self.controller.show_confusion_cell)
            self._confusion.digit_clicked.connect(self.controller.show_test_digit)
        return self._confusion

    def open_confusion_dialog(self) -> ConfusionDialog | None:
        """The confusion matrix window if it is on screen (then it follows training)."""
        return self._confusion if self._confusion is not None and self._confusion.isVisible() else None

    def set_saliency(self, method: str | None) -> None:
        """Overlay where the network looks on INPUT: None, "gradient" or "grad-cam"."""
        self.controller.saliency_method = method
        self.saliency_actions[method].setChecked(True)
        self.controller.refresh()

    def set_presentation(self, on: bool) -> None:
        """Full screen for a projector; F11 again or Esc leaves it."""
        if on:
            self.showFullScreen()
        else:
            self.showNormal()
        if self.fullscreen_action.isChecked() != on:
            self.fullscreen_action.setChecked(on)

    def shortcut_list(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every menu action that has a shortcut."""
        out = []
        for menu_action in self.menuBar().actions():
            menu = menu_action.menu()
            if menu is None:
                continue
            for action in menu.actions():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys:
                    out.append((keys, action.text().replace("&", "").rstrip("…")))
        return out

    def show_shortcuts(self) -> QMessageBox:
        """F1: every shortcut, in one table (for the teacher, or the class)."""
        rows = "".join(
            f"<tr><td style='padding-right:18px'><b>{keys}</b></td><td>{text}</td></tr>"
            for keys, text in self.shortcut_list()
        )
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "Keyboard shortcuts",
            f"<table>{rows}</table>",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setObjectName("shortcuts_box")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def show_preprocessing(self) -> PreprocessingDialog:
        """The steps from the pad to the input, side by side (follows the pen while open)."""
        if self._preprocessing is None:
            self._preprocessing = PreprocessingDialog(self)
        self._preprocessing.show()
        self._preprocessing.raise_()
        self.controller.refresh()
        return self._preprocessing

    def single_step_dialog(self) -> SingleStepDialog:
        if self._single_step is None:
            self._single_step = SingleStepDialog(self)
            self._single_step.step_requested.connect(self.controller.single_step)
        return self._single_step

    def show_single_step(self) -> SingleStepDialog:
        dialog = self.single_step_dialog()
        if dialog.before.current is None:  # something to look at before the first step
            dialog.before.set_kernels(self.controller.model.kernels()["C1"].numpy())
        dialog.show()
        dialog.raise_()
        return dialog

    def show_invariance_lab(self) -> InvarianceLab:
        """Sliders that distort the digit the network sees; closing the lab undoes them."""
        if self._lab is None:
            self._lab = InvarianceLab(self)
            self._lab.changed.connect(self.controller.schedule_refresh)
            self._lab.finished.connect(lambda _result: self.controller.schedule_refresh())
        self._lab.show()
        self._lab.raise_()
        self.controller.refresh()
        return self._lab

    def open_invariance_lab(self) -> InvarianceLab | None:
        lab = self._lab
        return lab if lab is not None and lab.isVisible() else None

    def open_preprocessing_dialog(self) -> PreprocessingDialog | None:
        dialog = self._preprocessing
        return dialog if dialog is not None and dialog.isVisible() else None

    def enlarge(self, panel: ImagePanel) -> EnlargedView:
        """Open (or raise) a large live copy of ``panel``."""
        view = self.enlarged.get(panel.objectName())
        if view is None:
            view = self.enlarged[panel.objectName()] = EnlargedView(panel, self)
        view.show()
        view.raise_()
        view.follow()
        return view

    def _show_readout(self, text: str) -> None:
        """The unit under the mouse, in the status bar (cleared when the mouse leaves the image)."""
        self.readout = text
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _ask_test_index(self) -> None:
        index, ok = QInputDialog.getInt(self, "MNIST test digit", "Index (0 – 9,999):", 0, 0, 9999)
        if ok:
            self.controller.show_test_digit(index)

    def _offer_recovery(self, path: Path) -> None:
        """The last run did not end cleanly: offer its last autosave (without blocking start-up)."""
        box = QMessageBox(self)
        box.setObjectName("recover_box")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Recover the last training?")
        box.setText("lenet-viz closed unexpectedly while training.")
        box.setInformativeText(f"Load the weights saved after its last epoch?\n{path}")
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.RejectRole)

        def answered() -> None:
            if box.clickedButton() is recover:
                self.controller.load_model_file(path)
            self.controller.autosave.end_run()

        box.finished.connect(answered)
        box.open()
        self.recover_box = box

    def _show_download_dialog(self) -> None:
        dialog = QProgressDialog("Connecting…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Downloading MNIST")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.controller.cancel_download)
        dialog.show()
        self.download_dialog = dialog

    def _download_progress(self, done: int, total: int, name: str) -> None:
        dialog = self.download_dialog
        if dialog is None:
            return
        if total:
            dialog.setMaximum(total)
            dialog.setValue(done)
            dialog.setLabelText(f"{name}\n{done / 1e6:.1f} of {total / 1e6:.1f} MB")
        else:
            dialog.setMaximum(0)
            dialog.setLabelText(f"{name}\n{done / 1e6:.1f} MB")

    def _download_finished(self, ok: bool) -> None:
        dialog = self.download_dialog
        if dialog is not None:
            dialog.canceled.disconnect()
            dialog.close()
            self.download_dialog = None

    def _open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open model",
            str(checkpoint_dir()),
            "Weights (*.safetensors *.pt *.pth);;All files (*)",
        )
        if path:
            self.controller.load_model_file(path)

    def _save_model(self) -> None:
        folder = checkpoint_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path, _ = QFileDialog.getSaveFileName(
            self, "Save model", str(folder / "lenet5.safetensors"), "Weights (*.safetensors)"
        )
        if path:
            if not path.endswith(".safetensors"):
                path += ".safetensors"
            if self.controller.save_model(path):
                self.statusBar().showMessage(f"Saved {path}", 5000)

    def _choose_data_dir(self) -> bool:
        folder = QFileDialog.getExistingDirectory(self, "MNIST folder", str(self.controller.data_dir))
        if folder:
            self.controller.set_data_dir(folder)
        return bool(folder)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About lenet-viz",
            "lenet-viz shows LeNet-5 (LeCun et al., 1998) at work: draw a digit and every "
            "layer responds; press Train and watch it learn.\n\nMNIST © Yann LeCun and "
            "Corinna Cortes, CC BY-SA 3.0.",
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.isFullScreen():
            self.set_presentation(False)
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.controller.shutdown()
        event.accept()
