"""Application start-up: logging, QApplication, theme, icon, torch thread caps, the window."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

log = logging.getLogger("lenet_viz")


def setup_logging() -> None:
    """Log to a file in the user log folder: a GUI launch may have no terminal to print to."""
    from lenet_viz.core.paths import log_dir

    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)] if sys.stderr else []
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(folder / "lenet-viz.log", encoding="utf-8"))
    except OSError:
        pass  # an unwritable log folder must not stop the app
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
    )


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """An exception in a Qt slot: log it and tell the user, but keep the app running."""
    log.error("unexpected error\n%s", "".join(traceback.format_exception(kind, value, tb)))
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is not None:
        QMessageBox.critical(
            None, "Unexpected error", f"{kind.__name__}: {value}\n\nDetails are in the log file."
        )


def run_app(
    checkpoint: str | None = None, data_dir: str | None = None, device: str = "cpu", variant: str = "modern"
) -> int:
    setup_logging()
    import torch

    # The GUI thread's forward passes are tiny; one thread avoids fighting the trainer for cores.
    torch.set_num_threads(1)
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName("lenet-viz")
    QCoreApplication.setApplicationName("lenet-viz")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    QGuiApplication.setDesktopFileName("lenet-viz")
    from lenet_viz.gui import style

    style.apply_theme(app)
    from importlib import resources

    icon_file = resources.files("lenet_viz.resources") / "icons" / "lenet-viz.png"
    if icon_file.is_file():
        app.setWindowIcon(QIcon(str(icon_file)))
    from lenet_viz.gui.main_window import MainWindow

    window = MainWindow(checkpoint=checkpoint, data_dir=data_dir, device=device, variant=variant)
    window.resize(1600, 980)
    window.show()
    sys.excepthook = _excepthook
    log.info("window shown")
    return int(app.exec())
