"""The drawing pad: mouse strokes rasterised into a fixed-size array.

The pad draws into its own 280x280 greyscale image, never a grab of the widget, so what the
network receives does not depend on the widget's size or the screen's pixel ratio.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from lenet_viz.gui import style

CANVAS_SIZE = 280  # ten canvas pixels per MNIST pixel
#: Pen widths in canvas pixels. "medium" draws strokes close to MNIST's once a digit that fills
#: the pad is scaled to 20x20; the others let a class see that stroke thickness barely matters.
PEN_WIDTHS = {"thin": 10.0, "medium": 20.0, "thick": 32.0}


class DrawingPad(QWidget):
    """Square pad; ``changed`` fires after every stroke segment and on ``clear``."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawing_pad")
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse; right-click clears")
        self._canvas = QImage(CANVAS_SIZE, CANVAS_SIZE, QImage.Format.Format_Grayscale8)
        self._canvas.fill(0)
        self._last: QPointF | None = None
        self._empty = True
        self.pen_width = PEN_WIDTHS["medium"]
        self.caption = ""  # e.g. which MNIST test image is shown; cleared by the pen
        #: The MNIST-style (28, 28) image on the pad when it shows one instead of a drawing:
        #: it goes to the network as it is (MNIST digits are already size-normalised and centred).
        self.source_image: np.ndarray | None = None

    # -- public ------------------------------------------------------------------------
    def show_mnist(self, image: np.ndarray, caption: str) -> None:
        """Show an MNIST-style (28, 28) image in [0, 1], captioned; the pen may then draw over it."""
        self.set_canvas(image)
        self.source_image = np.asarray(image, dtype=np.float32).copy()
        self.caption = caption
        self.update()

    def clear(self) -> None:
        self.caption = ""
        self.source_image = None
        self._canvas.fill(0)
        self._empty = True
        self._last = None
        self.update()
        self.changed.emit()

    def is_empty(self) -> bool:
        return self._empty

    def canvas_array(self) -> np.ndarray:
        """A copy of the canvas, (280, 280) float32 in [0, 1], ink high."""
        ptr = self._canvas.constBits()
        stride = self._canvas.bytesPerLine()
        raw = np.frombuffer(ptr, dtype=np.uint8, count=stride * CANVAS_SIZE)
        rows = raw.reshape(CANVAS_SIZE, stride)[:, :CANVAS_SIZE]
        return rows.astype(np.float32) * (1.0 / 255.0)

    def set_canvas(self, image: np.ndarray) -> None:
        """Replace the drawing with ``image`` (any 2-D size, [0, 1]); used by scripts and tests."""
        from PySide6.QtCore import QSize

        data = np.ascontiguousarray(np.clip(image, 0, 1) * 255, dtype=np.uint8)
        h, w = data.shape
        source = QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8)
        self._canvas = source.scaled(
            QSize(CANVAS_SIZE, CANVAS_SIZE),
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        ).convertToFormat(QImage.Format.Format_Grayscale8)
        self._empty = not bool(data.any())
        self.update()
        self.changed.emit()

    # -- geometry ----------------------------------------------------------------------
    def _pad_rect(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_canvas(self, pos: QPointF) -> QPointF:
        rect = self._pad_rect()
        scale = CANVAS_SIZE / rect.width()
        return QPointF((pos.x() - rect.x()) * scale, (pos.y() - rect.y()) * scale)

    # -- events ------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.clear()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            # Drawing over a test digit (turn a 1 into a 7...) makes the whole pad a drawing.
            self.source_image = None
            self.caption = ""
            self._last = self._to_canvas(event.position())
            self._stroke(self._last, self._last)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is None or not (event.buttons() & Qt.MouseButton.LeftButton):
            return
        point = self._to_canvas(event.position())
        self._stroke(self._last, point)
        self._last = point

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None

    def _stroke(self, start: QPointF, end: QPointF) -> None:
        painter = QPainter(self._canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(
            QColor(255, 255, 255),
            self.pen_width,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
        painter.setPen(pen)
        if start == end:
            painter.drawPoint(start)
        else:
            painter.drawLine(start, end)
        painter.end()
        self._empty = False
        self.update()
        self.changed.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(style.PANEL))
        rect = self._pad_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self._canvas)
        painter.setPen(QPen(QColor(style.ACCENT), 2))
        painter.drawRect(rect.adjusted(1, 1, -1, -1))
        if self.caption:
            painter.setPen(QColor(style.ACCENT_2))
            painter.drawText(
                rect.adjusted(8, 6, -8, -6),
                Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                self.caption,
            )
        if self._empty:
            painter.setPen(QColor(style.MUTED))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Draw a digit here\n(right-click clears)")
        painter.end()
