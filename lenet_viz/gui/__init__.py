"""The Qt layer: draws what the core computes and forwards the user's actions to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lenet_viz.gui.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    # Lazy, so "import lenet_viz.gui" stays cheap until the window is actually needed.
    if name == "MainWindow":
        from lenet_viz.gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(name)
