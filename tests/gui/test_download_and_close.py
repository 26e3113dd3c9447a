"""Downloading MNIST from the window (against a loopback server) and closing at any moment."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lenet_viz.core.mnist import has_mnist, verify_mnist
from lenet_viz.gui.main_window import MainWindow


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep test output clean
        pass


class _SlowHandler(_QuietHandler):
    """Sends each file in 16 KiB pieces, 20 ms apart: slow enough to cancel mid-file."""

    def copyfile(self, source, outputfile):
        while chunk := source.read(16384):
            outputfile.write(chunk)
            time.sleep(0.02)


@contextlib.contextmanager
def _serving(handler, folder):
    """A loopback HTTP server for ``folder``; yields its base URL and shuts it down after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def mirror(mnist_dir):
    with _serving(_QuietHandler, mnist_dir) as url:
        yield url


@pytest.fixture
def slow_mirror(mnist_dir):
    with _serving(_SlowHandler, mnist_dir) as url:
        yield url


def test_train_downloads_mnist_with_progress_then_trains(qtbot, tmp_path, mirror, monkeypatch):
    monkeypatch.setenv("LENET_VIZ_MIRROR", mirror)
    folder = tmp_path / "mnist"
    win = MainWindow(data_dir=folder)
    qtbot.addWidget(win)
    win.show()
    seen: list[tuple[int, int, str]] = []
    win.controller.download_progress.connect(lambda d, t, n: seen.append((d, t, n)))
    # What "Download" in the question box does:
    win.controller._pending_config = win.training_panel.config()
    win._show_download_dialog()
    assert win.download_dialog is not None and win.download_dialog.isVisible()
    with qtbot.waitSignal(win.controller.download_finished, timeout=30000) as finished:
        win.controller.start_download()
    assert finished.args == [True]
    assert verify_mnist(folder) == []
    assert seen and seen[-1][0] > 10_000_000  # bytes, for all four files
    assert win.download_dialog is None
    qtbot.waitUntil(lambda: win.controller.state == "running", timeout=20000)
    win.close()


def test_cancelled_download_leaves_nothing(qtbot, tmp_path, slow_mirror, monkeypatch):
    monkeypatch.setenv("LENET_VIZ_MIRROR", slow_mirror)
    folder = tmp_path / "mnist"
    win = MainWindow(data_dir=folder)
    qtbot.addWidget(win)
    win._show_download_dialog()
    from PySide6.QtWidgets import QPushButton

    def press_cancel(*args):
        if win.download_dialog is not None:
            win.download_dialog.findChild(QPushButton).click()  # what the user's click does

    win.controller.download_progress.connect(press_cancel)
    with qtbot.waitSignal(win.controller.download_finished, timeout=30000) as finished:
        win.controller.start_download()
    assert finished.args == [False]
    assert not has_mnist(folder)
    assert not list(folder.glob("*.part"))
    win.close()


def test_unreachable_mirror_reports_a_clear_error(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_VIZ_MIRROR", "http://127.0.0.1:9/")
    win = MainWindow(data_dir=tmp_path / "mnist")
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.controller.download_finished, timeout=30000):
        win.controller.start_download()
    assert "127.0.0.1:9" in win.last_error
    win.close()


@pytest.mark.parametrize("when", ["idle", "training"])
def test_process_ends_within_two_seconds_of_closing(mnist_dir, when):
    script = textwrap.dedent(f"""
        import sys, time
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from lenet_viz.gui.main_window import MainWindow
        win = MainWindow(data_dir={str(mnist_dir)!r})
        win.show()
        if {when!r} == "training":
            win.training_panel.train_button.click()
        def close():
            assert {when!r} == "idle" or win.controller.state == "running", win.controller.state
            print("closing", time.monotonic(), flush=True)
            win.close()
        QTimer.singleShot(3000, close)
        app.exec()
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    closing_at = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("closing"):
            closing_at = time.monotonic()
            break
    assert closing_at is not None, proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=10)
    elapsed = time.monotonic() - closing_at
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, stderr
    assert elapsed < 2.0
    assert "QThread" not in stderr and "Traceback" not in stderr


def test_damaged_mnist_offers_a_fresh_download_that_repairs_it(
    qtbot, tmp_path, mirror, monkeypatch, mnist_dir
):
    import shutil

    from PySide6.QtWidgets import QPushButton

    monkeypatch.setenv("LENET_VIZ_MIRROR", mirror)
    folder = tmp_path / "mnist"
    shutil.copytree(mnist_dir, folder)
    damaged = folder / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:1000])  # truncated
    win = MainWindow(data_dir=folder)
    qtbot.addWidget(win)
    win.show()
    win.training_panel.train_button.click()
    qtbot.waitUntil(lambda: win.download_box is not None and win.download_box.isVisible(), timeout=20000)
    assert "cannot be used" in win.download_box.text() and "train-labels" in win.download_box.text()
    with qtbot.waitSignal(win.controller.download_finished, timeout=30000) as finished:
        next(b for b in win.download_box.findChildren(QPushButton) if b.text() == "Download").click()
    assert finished.args == [True]
    assert verify_mnist(folder) == []
    qtbot.waitUntil(lambda: win.controller.state == "running", timeout=20000)
    win.close()


def test_closing_during_a_download_stops_it(qtbot, tmp_path, slow_mirror, monkeypatch):
    monkeypatch.setenv("LENET_VIZ_MIRROR", slow_mirror)
    folder = tmp_path / "mnist"
    win = MainWindow(data_dir=folder)
    qtbot.addWidget(win)
    win._show_download_dialog()
    win.controller.start_download()
    job = win.controller.download
    qtbot.waitUntil(lambda: any(folder.glob("*.part")), timeout=10000)
    started = time.monotonic()
    win.close()
    job.thread.join(2.0)
    assert not job.thread.is_alive() and time.monotonic() - started < 2.0
    assert not list(folder.glob("*.part")) and not has_mnist(folder)
