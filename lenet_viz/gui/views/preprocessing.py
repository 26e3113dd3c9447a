"""How a drawing becomes the network's input, step by step, following the pen."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QWidget

from lenet_viz.gui import style

style.configure_pyqtgraph()

STEPS = [
    ("canvas", "1. The pad", "what you drew ({h}×{w})"),
    ("cropped", "2. Cropped", "the ink's bounding box ({h}×{w})"),
    ("fitted", "3. Fitted", "scaled to fit 20×20, shape kept ({h}×{w})"),
    ("centred", "4. Centred", "centre of mass in the middle of 28×28"),
    ("input", "5. Input", "padded to 32×32 and normalised"),
]


class PreprocessingDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("From the pad to the network's input")
        self.setObjectName("preprocessing_dialog")
        self.resize(1300, 380)
        grid = QGridLayout(self)
        self.images: dict[str, pg.ImageItem] = {}
        self.captions: dict[str, QLabel] = {}
        self._views: dict[str, pg.ViewBox] = {}
        lut = pg.colormap.get("CET-L1").getLookupTable(nPts=256)
        for column, (key, title, _) in enumerate(STEPS):
            heading = QLabel(title)
            heading.setProperty("role", "title")
            caption = QLabel("")
            caption.setProperty("role", "subtitle")
            caption.setWordWrap(True)
            graphics = pg.GraphicsLayoutWidget()
            view = graphics.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
            image = pg.ImageItem()
            image.setLookupTable(lut)
            view.addItem(image)
            grid.addWidget(heading, 0, column)
            grid.addWidget(caption, 1, column)
            grid.addWidget(graphics, 2, column)
            self.images[key], self.captions[key], self._views[key] = image, caption, view
        grid.setRowStretch(2, 1)

    def set_steps(self, steps: dict[str, np.ndarray], input_levels: tuple[float, float]) -> None:
        for key, _, caption in STEPS:
            image = steps[key]
            h, w = image.shape if image.size else (0, 0)
            self.captions[key].setText(caption.format(h=h, w=w))
            shown = image if image.size else np.zeros((1, 1), dtype=np.float32)
            levels = input_levels if key == "input" else (0.0, 1.0)
            previous = self.images[key].image
            self.images[key].setImage(shown, levels=levels, autoLevels=False)
            if previous is None or previous.shape != shown.shape:
                self._views[key].autoRange(padding=0.02)
