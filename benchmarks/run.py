"""Performance figures of lenet-viz, each measured against its baseline in the same run.

    python benchmarks/run.py [--quick] [--json FILE]

Figures (JSON keys are stable so runs can be compared across changes):
  train_ratio_modern/classic  images/s of the app's background training with the real window open
                              (offscreen), a digit on the pad and snapshots redrawn at the app's
                              normal rate, divided by a plain PyTorch loop on the main thread (same
                              model, batch 64, data, threads). Interleaved A B A B, median.
  train_fps                   redraws per second the window achieved meanwhile.
  pen_p50_ms_idle, pen_p95_ms_idle, pen_p95_ms_training
                              mouse-move on the pad -> all layer views and the prediction updated.
  stall_p99_ms, stall_max_ms  lateness of a 10 ms QTimer in the GUI thread while training.
  startup_ratio               process start -> window shown with weights, over
                              `python -c "import torch, PySide6.QtWidgets"`.
  peak_rss_mb, rss_growth_pct peak resident memory while training with continuous drawing, and its
                              growth after the first fifth of the run.
  seconds_to_99               wall time for the modern variant, default settings, to reach 99.0%
                              MNIST test accuracy from scratch (headless, test set checked per epoch).
MNIST is read from <repo>/../shared/data/mnist (or $LENET_VIZ_SHARED/data/mnist).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Autosaves of the benchmark's training runs go to a throwaway folder, not the user's.
os.environ.setdefault("LENET_VIZ_CHECKPOINTS", tempfile.mkdtemp(prefix="lenet-viz-bench-"))
REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LENET_VIZ_SHARED", REPO.parent / "shared"))
MNIST = SHARED / "data" / "mnist"
BATCH = 64


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _pen_move(pad, pos):  # type: ignore[no-untyped-def]
    """A mouse move with the left button held, as the pad receives it while drawing."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(
        QMouseEvent.Type.MouseMove,
        pos,
        pad.mapToGlobal(pos),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )


def plain_loop_rate(variant: str, seconds: float) -> float:
    """Baseline: the textbook loop on the main thread, no GUI, no augmentation."""
    import torch

    from lenet_viz.core.data import load_datasets
    from lenet_viz.core.variants import create_model

    train, _ = load_datasets(MNIST)
    model = create_model(variant, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(train))
    start, images, step = time.perf_counter(), 0, 0
    while time.perf_counter() - start < seconds:
        index = order[(step * BATCH) % 59968 : (step * BATCH) % 59968 + BATCH]
        x = model.to_input(train.images[index].float() / 255)
        loss = model.loss(model(x), train.labels[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
        images += len(index)
        step += 1
    return images / (time.perf_counter() - start)


def _window(variant: str):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from lenet_viz.gui.main_window import MainWindow

    win = MainWindow(data_dir=MNIST, variant=variant)
    win.resize(1600, 980)
    win.show()
    app.processEvents()
    return app, win


def _draw_digit(win) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(REPO / "tests" / "gui"))
    from conftest import SEVEN, draw_stroke

    draw_stroke(win.drawing_pad, SEVEN)


def app_training(variant: str, seconds: float, probe_pen: bool = False) -> dict[str, object]:
    """Train in the window; returns images/s, redraw fps, timer lateness and pen latencies."""
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QPointF, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from lenet_viz.core.training import TrainConfig

    app, win = _window(variant)
    _draw_digit(win)
    ctrl = win.controller
    frames = 0
    original = ctrl.apply_snapshot

    def counting(snapshot):  # type: ignore[no-untyped-def]
        nonlocal frames
        frames += 1
        original(snapshot)

    ctrl.apply_snapshot = counting  # type: ignore[method-assign]
    ctrl.start_training(TrainConfig(epochs=100, augment=False, batch_size=BATCH, lr=1e-3))
    deadline = time.monotonic() + 30
    while ctrl.state != "running" and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    time.sleep(0.5)  # let the rate settle
    trainer = ctrl.session.trainer  # type: ignore[union-attr]
    lateness: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if last[0]:
            lateness.append(max(0.0, now - last[0] - 10.0))
        last[0] = now

    timer.timeout.connect(tick)
    pen_ms: list[float] = []
    pad = win.drawing_pad
    side = min(pad.width(), pad.height())
    x0, y0 = (pad.width() - side) / 2, (pad.height() - side) / 2
    phase = 0.0
    frames = 0
    steps0, t0 = trainer.step, time.perf_counter()
    clock.start()
    timer.start()
    while time.perf_counter() - t0 < seconds:
        if probe_pen:
            phase += 0.05
            pos = QPointF(x0 + side * (0.5 + 0.3 * np.sin(phase)), y0 + side * (0.5 + 0.3 * np.cos(phase)))
            event = _pen_move(pad, pos)
            started = time.perf_counter()
            pad._last = pad._last or pos  # the button is held since the stroke began
            QApplication.sendEvent(pad, event)
            app.processEvents()  # runs the coalesced refresh: every view and the prediction
            pen_ms.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
        else:
            app.processEvents()
            time.sleep(0.002)
    elapsed = time.perf_counter() - t0
    rate = (trainer.step - steps0) * BATCH / elapsed
    timer.stop()
    win.close()
    return {"rate": rate, "fps": frames / elapsed, "lateness": lateness, "pen_ms": pen_ms}


def pen_idle(moves: int) -> list[float]:
    import numpy as np
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    app, win = _window("modern")
    _draw_digit(win)
    pad = win.drawing_pad
    side = min(pad.width(), pad.height())
    x0, y0 = (pad.width() - side) / 2, (pad.height() - side) / 2
    out = []
    press = QPointF(x0 + side * 0.5, y0 + side * 0.2)
    QApplication.sendEvent(
        pad,
        QMouseEvent(
            QMouseEvent.Type.MouseButtonPress,
            press,
            pad.mapToGlobal(press),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    for i in range(moves):
        t = i / moves * 2 * np.pi
        pos = QPointF(x0 + side * (0.5 + 0.3 * np.sin(t)), y0 + side * (0.5 - 0.3 * np.cos(t)))
        event = _pen_move(pad, pos)
        started = time.perf_counter()
        QApplication.sendEvent(pad, event)
        app.processEvents()
        out.append((time.perf_counter() - started) * 1000)
    win.close()
    return out


def startup_ratio(runs: int) -> float:
    py = sys.executable
    show = (
        "import time; t=time.perf_counter()\n"
        "from PySide6.QtCore import QTimer\nfrom PySide6.QtWidgets import QApplication\n"
        "QTimer.singleShot(0, lambda: QApplication.instance().quit())\n"
        "from lenet_viz.gui.app import run_app\nrun_app()\n"
    )
    base = "import torch, PySide6.QtWidgets"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app_t, base_t = [], []
    for _ in range(runs):  # interleaved
        for code, sink in ((show, app_t), (base, base_t)):
            started = time.perf_counter()
            subprocess.run([py, "-c", code], check=True, env=env, capture_output=True)
            sink.append(time.perf_counter() - started)
    return statistics.median(app_t) / statistics.median(base_t)


def memory(seconds: float) -> tuple[float, float]:
    """Peak RSS (MB) in a child process training with continuous drawing, and growth after warm-up."""
    peak, growth, _ = memory_run(seconds)
    return peak, growth


def memory_run(seconds: float) -> tuple[float, float, int]:
    """As :func:`memory`, plus the child's exit status (non-zero: it crashed or raised)."""
    code = f"""
import sys
sys.path.insert(0, {str(REPO / "benchmarks")!r})
import run
run.app_training('modern', {seconds}, probe_pen=True)
"""
    # Sample RSS from outside so the measurement does not disturb the run.
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    samples: list[tuple[float, float]] = []
    started = time.monotonic()
    page = resource.getpagesize()
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/statm") as f:
                samples.append((time.monotonic() - started, int(f.read().split()[1]) * page / 1e6))
        except OSError:
            break
        time.sleep(0.5)
    status = proc.wait()
    peak = max(mb for _, mb in samples)
    end = samples[-1][0]
    warm = [mb for t, mb in samples if t >= end / 5]
    growth = (max(warm) - warm[0]) / warm[0] * 100 if warm else 0.0
    return peak, growth, status


def seconds_to_99() -> float:
    import torch

    from lenet_viz.core.data import load_datasets
    from lenet_viz.core.training import TrainConfig, Trainer
    from lenet_viz.core.variants import create_model

    torch.set_num_threads(os.cpu_count() or 1)
    train, test = load_datasets(MNIST)
    started = time.perf_counter()
    trainer = Trainer(create_model("modern", seed=0), train, test, TrainConfig())
    reached = float("nan")

    def check(t: Trainer) -> None:
        nonlocal reached
        if reached != reached and t.history.test_accuracy[-1] >= 0.99:
            reached = time.perf_counter() - started

    trainer.add_callback("on_epoch_end", check)
    trainer.run(should_stop=lambda: reached == reached)
    return reached


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="short durations and sample counts (< 2 minutes)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    quick = args.quick
    seconds, reps = (4.0, 2) if quick else (10.0, 3)
    results: dict[str, object] = {"quick": quick}
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    for variant in ("modern", "classic"):
        ratios, fps = [], []
        for _ in range(reps):  # A B A B ...
            base = plain_loop_rate(variant, seconds)
            app = app_training(variant, seconds)
            ratios.append(float(app["rate"]) / base)  # type: ignore[arg-type]
            fps.append(float(app["fps"]))  # type: ignore[arg-type]
            print(
                f"{variant}: plain {base:,.0f} img/s, app {app['rate']:,.0f} img/s at {app['fps']:.0f} fps",
                flush=True,
            )
        results[f"train_ratio_{variant}"] = round(statistics.median(ratios), 3)
        if variant == "modern":
            results["train_fps"] = round(statistics.median(fps), 1)
    idle = pen_idle(150 if quick else 400)
    results["pen_p50_ms_idle"] = round(percentile(idle, 50), 2)
    results["pen_p95_ms_idle"] = round(percentile(idle, 95), 2)
    busy = app_training("modern", seconds * 1.5, probe_pen=True)
    pen_busy: list[float] = busy["pen_ms"]  # type: ignore[assignment]
    lateness: list[float] = busy["lateness"]  # type: ignore[assignment]
    results["pen_p95_ms_training"] = round(percentile(pen_busy, 95), 2)
    stall = app_training("modern", seconds)
    late: list[float] = stall["lateness"]  # type: ignore[assignment]
    late = late or lateness
    results["stall_p99_ms"] = round(percentile(late, 99), 2)
    results["stall_max_ms"] = round(max(late), 2)
    results["startup_ratio"] = round(startup_ratio(3 if quick else 7), 3)
    peak, growth = memory(30.0 if quick else 300.0)
    results["peak_rss_mb"] = round(peak, 1)
    results["rss_growth_pct"] = round(growth, 2)
    results["seconds_to_99"] = None if quick else round(seconds_to_99(), 1)
    width = max(len(k) for k in results)
    print("\n" + "\n".join(f"{k:<{width}}  {v}" for k, v in results.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
