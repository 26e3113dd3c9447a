"""A panel's image in its own resizable window, following the panel live."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from lenet_viz.gui import style
from lenet_viz.gui.views.layer_views import ImagePanel

style.configure_pyqtgraph()


class EnlargedView(QDialog):
    def __init__(self, panel: ImagePanel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        title = f"{panel.title_label.text()} {panel.shape_label.text()}".strip()
        self.setWindowTitle(title)
        self.setObjectName(f"enlarged_{panel.title_label.text()}")
        self.resize(900, 700)
        self.graphics = pg.GraphicsLayoutWidget()
        self.view = self.graphics.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.image = pg.ImageItem()
        self.image.setLookupTable(panel.colormap.getLookupTable(nPts=256))
        self.view.addItem(self.image)
        if panel.colorbar is not None:
            self.colorbar = pg.ColorBarItem(
                values=panel.colorbar.levels(),
                colorMap=panel.colormap,
                interactive=False,
                width=18,
                colorMapMenu=False,
            )
            self.colorbar.setImageItem(self.image)
            self.graphics.addItem(self.colorbar)
        else:
            self.colorbar = None
        caption = QLabel(f"{title} — {panel.subtitle_label.text()}".replace("\n", " · "))
        caption.setProperty("role", "subtitle")
        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.graphics, 1)
        panel.shown.connect(self.follow)
        self.follow()
        self.view.autoRange(padding=0.01)

    def follow(self) -> None:
        """Copy what the panel shows (called each time the panel redraws)."""
        if not self.isVisible() and self.image.image is not None:
            return
        image = self.panel.current
        if image is None:
            return
        levels = self.panel.image.getLevels()
        if self.colorbar is not None:
            self.colorbar.setLevels(levels)
        self.image.setImage(image, levels=levels, autoLevels=False)
