"""The core must stay importable and usable without Qt (scripts, notebooks, the CLI)."""

import subprocess
import sys


def test_core_imports_no_qt_or_pyqtgraph():
    code = (
        "import sys, pkgutil, importlib, lenet_viz, lenet_viz.core\n"
        "for m in pkgutil.iter_modules(lenet_viz.core.__path__): importlib.import_module('lenet_viz.core.' + m.name)\n"
        "import lenet_viz.cli\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
