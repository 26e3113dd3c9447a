"""Views of one layer each: feature maps, vectors, kernels, the network's input, the output.

Every view is a titled panel (layer name and shape) around a single pyqtgraph image, so a
redraw is one ``setImage`` call per layer however many maps it holds.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from lenet_viz.core.mosaic import tile
from lenet_viz.gui import style

style.configure_pyqtgraph()


def _label(text: str, role: str, point_scale: float = 1.0) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", role)
    if point_scale != 1.0:
        font = QFont(label.font())
        font.setPointSizeF(font.pointSizeF() * point_scale)
        label.setFont(font)
    return label


class TitledPanel(QFrame):
    """A frame with a bold layer title, its shape, and a muted description line above its content."""

    def __init__(self, title: str, subtitle: str, shape: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"panel_{title}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title_label = _label(title, "title", 1.3)
        self.shape_label = _label(shape, "shape", 1.1)
        self.subtitle_label = _label(subtitle, "subtitle")
        self.subtitle_label.setWordWrap(True)
        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(self.title_label)
        header.addWidget(self.shape_label)
        header.addStretch(1)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(6, 4, 6, 6)
        self.body.setSpacing(1)
        self.body.addLayout(header)
        self.body.addWidget(self.subtitle_label)


class ImagePanel(TitledPanel):
    """A titled panel showing one image (a mosaic of maps) with a fixed colour map."""

    def __init__(
        self,
        title: str,
        subtitle: str,
        shape: str = "",
        cmap: str = style.ACTIVATION_CMAP,
        legend: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, subtitle, shape, parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.graphics.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view = self.graphics.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.view.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.colormap = pg.colormap.get(cmap)
        self.image.setLookupTable(self.colormap.getLookupTable(nPts=256))
        self.view.addItem(self.image)
        self.colorbar: pg.ColorBarItem | None = None
        if legend:
            self.colorbar = pg.ColorBarItem(
                values=(-1, 1),
                colorMap=self.colormap,
                interactive=False,
                width=14,
                colorMapMenu=False,
            )
            self.colorbar.setImageItem(self.image)
            self.graphics.addItem(self.colorbar)
        self.body.addWidget(self.graphics, 1)
        self._shape: tuple[int, ...] = ()
        self.current: np.ndarray | None = None  # what is displayed, for tests and readouts
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(lambda _event: self.clicked.emit())

    hovered = Signal(str)  # a readout of the unit under the mouse ("" when off the image)
    clicked = Signal()  # a click on the image: the window enlarges it
    shown = Signal()  # a new image is on display

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        point = self.view.mapSceneToView(scene_pos)
        self.hovered.emit(self.readout_at(int(np.floor(point.y())), int(np.floor(point.x()))))

    def readout_at(self, row: int, col: int) -> str:
        """Text for the displayed pixel (row, col): which unit it is and its exact value."""
        image = self.current
        if image is None or not (0 <= row < image.shape[0] and 0 <= col < image.shape[1]):
            return ""
        value = float(image[row, col])
        if not np.isfinite(value):
            return ""
        return self.describe(row, col, value)

    def describe(self, row: int, col: int, value: float) -> str:
        return f"{self.title_label.text()} ({row}, {col}) = {value:.4f}"

    def show_image(self, image: np.ndarray, levels: tuple[float, float]) -> None:
        self.current = image
        if self.colorbar is not None:
            self.colorbar.setLevels(levels)
        self.image.setImage(image, levels=levels, autoLevels=False)
        if image.shape != self._shape:
            self._shape = image.shape
            self.view.autoRange(padding=0.01)
        self.shown.emit()


#: Smallest colour range: faint responses (a blank pad's bias terms) stay faint instead of
#: being stretched to full brightness.
MIN_LEVEL_SPAN = 1.0


def activation_levels(values: np.ndarray) -> tuple[float, float]:
    """Colour levels: 0..max for non-negative activations, symmetric around 0 otherwise."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if low >= 0:
        return 0.0, max(high, MIN_LEVEL_SPAN)
    bound = max(abs(low), abs(high), MIN_LEVEL_SPAN)
    return -bound, bound


class FeatureMapView(ImagePanel):
    """All maps of a convolution or pooling layer, tiled in a grid with thin gaps."""

    def __init__(
        self, title: str, subtitle: str, shape: str, columns: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(title, subtitle, shape, parent=parent)
        self.columns = columns

    def set_maps(self, maps: np.ndarray) -> None:
        """``maps``: (C, H, W) activations of one sample."""
        self.map_shape = maps.shape
        self.show_image(tile(maps, self.columns), activation_levels(maps))

    def describe(self, row: int, col: int, value: float) -> str:
        _, h, w = self.map_shape
        r, y = divmod(row, h + 1)
        c, x = divmod(col, w + 1)
        return f"{self.title_label.text()} map {r * self.columns + c}, row {y}, column {x} = {value:.4f}"


class VectorView(ImagePanel):
    """A vector layer (C5, F6) folded into a rows x columns grid of cells."""

    def __init__(
        self, title: str, subtitle: str, shape: str, rows: int, columns: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(title, subtitle, shape, parent=parent)
        self.rows, self.columns = rows, columns
        self.prototypes: np.ndarray | None = None
        self.nearest: int | None = None

    def describe(self, row: int, col: int, value: float) -> str:
        name = self.title_label.text()
        if col > self.columns:  # the prototype bitmap drawn to the right
            cell = row * self.columns + col - self.columns - 1
            return f"{name}: prototype of digit {self.nearest}, cell {cell} = {value:+.0f}"
        return f"{name} unit {row * self.columns + col} = {value:.4f}"

    def set_prototypes(self, prototypes: np.ndarray | None) -> None:
        """(10, rows*columns) bitmaps: show the nearest one to the right of the values."""
        self.prototypes = prototypes
        self.nearest = None

    def set_vector(self, vector: np.ndarray) -> None:
        cells = np.full(self.rows * self.columns, np.nan, dtype=np.float32)
        cells[: vector.size] = vector
        image = cells.reshape(self.rows, self.columns)
        levels = activation_levels(vector)
        if self.prototypes is not None:
            self.nearest = int(((self.prototypes - vector[None]) ** 2).sum(axis=1).argmin())
            bitmap = self.prototypes[self.nearest].reshape(self.rows, self.columns)
            gap = np.full((self.rows, 1), np.nan, dtype=np.float32)
            image = np.concatenate([image, gap, bitmap.astype(np.float32)], axis=1)  # (rows, 2*cols+1)
            bound = max(abs(levels[0]), abs(levels[1]), 1.0)  # the bitmap is +-1
            levels = (-bound, bound)
        self.show_image(image, levels)


class KernelView(ImagePanel):
    """Convolution kernels on a diverging scale with zero in the middle, and its legend."""

    def __init__(self, title: str, subtitle: str, shape: str, parent: QWidget | None = None) -> None:
        super().__init__(title, subtitle, shape, cmap=style.WEIGHT_CMAP, legend=True, parent=parent)

    def describe(self, row: int, col: int, value: float) -> str:
        out_maps, in_maps, k, _ = self.kernel_shape
        columns = min(3, out_maps) if in_maps == 1 else out_maps
        r, y = divmod(row, k + 1)
        c, x = divmod(col, k + 1)
        index = r * columns + c  # position in the (in, out) ordering of set_kernels
        source, target = divmod(index, out_maps)
        name = self.title_label.text().split()[0]
        reads = f", reading S2 map {source}" if in_maps > 1 else ""
        return f"{name} kernel of map {target}{reads}: weight ({y}, {x}) = {value:+.4f}"

    def set_kernels(self, kernels: np.ndarray) -> None:
        """``kernels``: (out, in, k, k). Shown as ``in`` rows by ``out`` columns (Table I's layout);
        a single-input layer (C1) is folded into rows of three so its kernels show larger."""
        self.kernel_shape = kernels.shape
        out_maps, in_maps, k, _ = kernels.shape
        ordered = np.ascontiguousarray(kernels.transpose(1, 0, 2, 3)).reshape(-1, k, k)
        columns = min(3, out_maps) if in_maps == 1 else out_maps
        bound = max(float(np.nanmax(np.abs(kernels))) if kernels.size else 1.0, 1e-6)
        self.show_image(tile(ordered, columns), (-bound, bound))


class InputView(ImagePanel):
    """The 32x32 tensor the network receives, in grey."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("INPUT", "what the network receives", "1@32×32", cmap="CET-L1", parent=parent)

        # Saliency drawn over the input, see-through; hidden until a method is chosen.
        self.overlay = pg.ImageItem()
        self.overlay.setLookupTable(pg.colormap.get("inferno").getLookupTable(nPts=256))
        self.overlay.setOpacity(0.6)
        self.overlay.setVisible(False)
        self.view.addItem(self.overlay)

    def set_input(self, image: np.ndarray, levels: tuple[float, float]) -> None:
        self.show_image(image, levels)

    def set_overlay(self, saliency: np.ndarray | None) -> None:
        """(32, 32) in [0, 1] drawn over the input, or None to hide it."""
        self.overlay.setVisible(saliency is not None)
        if saliency is not None:
            self.overlay.setImage(saliency, levels=(0.0, 1.0), autoLevels=False)


class OutputView(TitledPanel):
    """The predicted digit, large, and a bar per class with its probability."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("OUTPUT", "probability of each digit", "10 classes", parent)
        self.digit_label = QLabel("?")
        self.digit_label.setObjectName("predicted_digit")
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.digit_label.font())
        font.setPointSizeF(font.pointSizeF() * 6.5)
        font.setBold(True)
        self.digit_label.setFont(font)
        self.digit_label.setStyleSheet(f"color: {style.ACCENT};")
        self.confidence_label = _label("draw a digit", "subtitle", 1.2)
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.setXRange(-0.6, 9.6, padding=0)
        axis = self.plot.getAxis("bottom")
        axis.setTicks([[(i, str(i)) for i in range(10)]])
        tick_font = QFont(self.font())
        tick_font.setPointSizeF(tick_font.pointSizeF() * 1.2)
        tick_font.setBold(True)
        axis.setStyle(tickFont=tick_font)
        self.plot.getAxis("left").setTicks([[(0, "0"), (0.5, ".5"), (1, "1")]])
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.75, brush=style.MUTED)
        self.plot.addItem(self.bars)
        self.body.addWidget(self.digit_label)
        self.body.addWidget(self.confidence_label)
        self.body.addWidget(self.plot, 1)
        self.probabilities = np.zeros(10, dtype=np.float32)
        self.digit: int | None = None
        self.mode = "probability"

    def set_mode(self, mode: str) -> None:
        """ "probability" (softmax bars, 0..1) or "distance" (RBF distances: lower is better)."""
        self.mode = mode
        left = self.plot.getAxis("left")
        if mode == "distance":
            self.plot.setLabel("left", "RBF distance (lower is better)")
            left.setTicks(None)
            self.plot.enableAutoRange(axis="y")
        else:
            self.plot.setLabel("left", "probability")
            left.setTicks([[(0, "0"), (0.5, ".5"), (1, "1")]])
            self.plot.setYRange(0, 1, padding=0.02)

    def set_prediction(self, probabilities: np.ndarray | None, output: np.ndarray | None = None) -> None:
        """Show ``probabilities`` (10,) and, in distance mode, the raw ``output`` distances.

        None shows an empty pad's state.
        """
        heights = np.zeros(10, dtype=np.float32)
        if probabilities is None:
            self.digit = None
            self.probabilities = np.zeros(10, dtype=np.float32)
            self.digit_label.setText("?")
            self.digit_label.setStyleSheet(f"color: {style.MUTED};")
            self.confidence_label.setText("draw a digit")
        else:
            self.probabilities = np.asarray(probabilities, dtype=np.float32).copy()
            self.digit = int(np.argmax(self.probabilities))
            self.digit_label.setText(str(self.digit))
            self.digit_label.setStyleSheet(f"color: {style.ACCENT};")
            sure = f"{self.probabilities[self.digit]:.1%} sure"
            if self.mode == "distance" and output is not None:
                heights = np.asarray(output, dtype=np.float32)
                self.confidence_label.setText(f"distance {heights[self.digit]:.1f} · {sure}")
            else:
                heights = self.probabilities
                self.confidence_label.setText(sure)
        brushes = [style.MUTED] * 10
        if self.digit is not None:
            brushes[self.digit] = style.ACCENT
        self.bars.setOpts(height=heights, brushes=brushes)
