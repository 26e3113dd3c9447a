"""The test-set confusion matrix, and a gallery of the digits behind any of its cells."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from lenet_viz.gui import style

style.configure_pyqtgraph()


class ConfusionDialog(QDialog):
    """Rows: the true digit; columns: the predicted one. Click a cell to see its digits."""

    cell_clicked = Signal(int, int)  # true, predicted
    digit_clicked = Signal(int)  # test index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Confusion matrix on the 10,000 MNIST test digits")
        self.setObjectName("confusion_dialog")
        self.resize(980, 620)
        self.caption = QLabel("")
        self.caption.setProperty("role", "subtitle")
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("left", "true digit")
        self.plot.setLabel("bottom", "predicted digit")
        ticks = [[(i + 0.5, str(i)) for i in range(10)]]
        self.plot.getAxis("left").setTicks(ticks)
        self.plot.getAxis("bottom").setTicks(ticks)
        self.image = pg.ImageItem()
        self.image.setLookupTable(pg.colormap.get(style.ACTIVATION_CMAP).getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.labels = [[pg.TextItem("", anchor=(0.5, 0.5)) for _ in range(10)] for _ in range(10)]
        for r in range(10):
            for c in range(10):
                self.labels[r][c].setPos(c + 0.5, r + 0.5)
                self.plot.addItem(self.labels[r][c])
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self.gallery = QListWidget()
        self.gallery.setObjectName("gallery")
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(56, 56))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setMinimumWidth(300)
        self.gallery.itemClicked.connect(
            lambda item: self.digit_clicked.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        )
        self.gallery_title = QLabel("Click a cell to see its digits; click a digit to load it.")
        self.gallery_title.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.gallery_title)
        right.addWidget(self.gallery, 1)
        body = QHBoxLayout()
        body.addWidget(self.graphics, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(body, 1)
        self.matrix = np.zeros((10, 10), dtype=np.int64)

    def set_matrix(self, matrix: np.ndarray, caption: str) -> None:
        self.matrix = np.asarray(matrix, dtype=np.int64).copy()
        # Log scale: the diagonal's ~1,000s would otherwise hide the few mistakes that teach.
        self.image.setImage(np.log1p(self.matrix.astype(np.float32)), levels=(0, np.log1p(1200)))
        self.image.setRect(0, 0, 10, 10)
        for r in range(10):
            for c in range(10):
                count = int(self.matrix[r, c])
                self.labels[r][c].setText(str(count) if count else "")
                self.labels[r][c].setColor("#000000" if r == c else style.TEXT)
        accuracy = np.trace(self.matrix) / max(1, self.matrix.sum())
        self.caption.setText(f"{caption} · {self.matrix.sum():,} digits · accuracy {accuracy:.2%}")

    def _clicked(self, event: object) -> None:
        point = self.plot.vb.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        if 0 <= row < 10 and 0 <= col < 10:
            self.cell_clicked.emit(row, col)

    def show_gallery(self, true: int, predicted: int, indices: np.ndarray, images: np.ndarray) -> None:
        self.gallery.clear()
        shown = indices[:400]  # enough to browse; the diagonal cells hold about 1,000
        for index in shown:
            data = np.ascontiguousarray(images[index], dtype=np.uint8)
            qimage = QImage(data.data, 28, 28, 28, QImage.Format.Format_Grayscale8).copy()
            item = QListWidgetItem(QIcon(QPixmap.fromImage(qimage)), str(int(index)))
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            self.gallery.addItem(item)
        more = f" (first {len(shown)})" if len(indices) > len(shown) else ""
        self.gallery_title.setText(f"True {true}, predicted {predicted}: {len(indices)} digits{more}")
