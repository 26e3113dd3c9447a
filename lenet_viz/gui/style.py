"""Look and feel: one place for colours, fonts and pyqtgraph's global options."""

from __future__ import annotations

import pyqtgraph as pg
import PySide6.QtWidgets  # noqa: F401  (pyqtgraph must see PySide6 imported first)
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#15181d"  # plots and maps: a dark field makes activations glow on a projector
PANEL = "#1f232a"
TEXT = "#e8eaed"
MUTED = "#9aa0a6"
ACCENT = "#4fc3f7"
ACCENT_2 = "#ffb74d"

ACTIVATION_CMAP = "viridis"  # perceptually uniform, readable by colour-blind viewers
WEIGHT_CMAP = "CET-D1A"  # diverging blue-white-red, zero in the middle

_configured = False


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options; must run before any plot or image item exists."""
    global _configured
    if _configured:
        return
    # row-major: numpy (rows, columns) shows upright, not transposed.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background=BACKGROUND, foreground=TEXT)
    _configured = True


def apply_theme(app: QApplication, font_scale: float = 1.0) -> None:
    """Fusion style with a dark palette and a font large enough for the back of a classroom."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: PANEL,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BACKGROUND,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#2b3038",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#000000",
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: MUTED,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b7079"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7079"))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSizeF(11.0 * font_scale)
    app.setFont(font)
    app.setStyleSheet(
        f"QLabel[role='title'] {{ font-weight: 600; color: {TEXT}; }}"
        f"QLabel[role='subtitle'] {{ color: {MUTED}; }}"
        f"QGroupBox {{ font-weight: 600; border: 1px solid #363b44; border-radius: 6px;"
        f" margin-top: 1.1em; padding-top: 0.4em; }}"
        f"QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}"
        f"QPushButton {{ padding: 5px 14px; }}"
    )
