"""Long reliability runs (the test suite runs short versions of the first two).

    python benchmarks/reliability.py kill [--times 50]      SIGKILL during checkpoint saves
    python benchmarks/reliability.py fuzz [--cases 100000]  IDX reader and checkpoint loader
    python benchmarks/reliability.py soak [--minutes 30]    training with continuous drawing

Each prints its figures and exits non-zero if any case went wrong.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SAVER = """
import sys, itertools
from lenet_viz.core.checkpoint import save_checkpoint
from lenet_viz.core.variants import create_model
models = [create_model(seed=1), create_model(seed=2)]
print("ready", flush=True)
for i in itertools.count():
    save_checkpoint(models[i % 2], sys.argv[1], {"i": str(i)})
"""


def kill_during_saves(times: int, folder: Path) -> tuple[int, int]:
    """(kills, good loads): a saver is SIGKILLed at a random moment; the file must always load."""
    import torch

    from lenet_viz.core.checkpoint import load_checkpoint, save_checkpoint
    from lenet_viz.core.variants import create_model

    path = folder / "model.safetensors"
    references = [create_model(seed=1).c1.weight, create_model(seed=2).c1.weight]
    save_checkpoint(create_model(seed=1), path)
    good = 0
    rng = random.Random(0)
    for _ in range(times):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.readline()  # "ready": imports done, saving has begun
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        model = load_checkpoint(path)
        good += any(torch.equal(model.c1.weight, ref) for ref in references)
    return times, good


def _idx(array_shape: tuple[int, ...]) -> bytes:
    count = 1
    for d in array_shape:
        count *= d
    header = bytes([0, 0, 8, len(array_shape)]) + b"".join(struct.pack(">I", d) for d in array_shape)
    return header + bytes(range(256)) * (count // 256) + bytes(count % 256)


def fuzz(cases: int) -> dict[str, int]:
    """Random cuts, byte flips and headers; only the module's own error type may come out."""
    from lenet_viz.core.checkpoint import CheckpointError, load_checkpoint, shipped_weights_path
    from lenet_viz.core.mnist import MnistError, read_idx

    rng = random.Random(42)
    weights = shipped_weights_path().read_bytes()
    idx_raw = _idx((7, 28, 28))
    idx_gz = gzip.compress(idx_raw)
    unexpected = {"idx": 0, "checkpoint": 0}
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case"
        for case in range(cases):
            kind = "idx" if case % 2 else "checkpoint"
            base = (idx_raw if rng.random() < 0.5 else idx_gz) if kind == "idx" else weights
            blob = bytearray(base[: rng.randint(0, len(base))] if rng.random() < 0.5 else base)
            for _ in range(rng.randint(0, 8)):
                if blob:
                    blob[rng.randrange(len(blob))] = rng.randrange(256)
            if rng.random() < 0.1:
                blob[:8] = rng.randbytes(8)
            path.write_bytes(bytes(blob))
            started = time.perf_counter()
            try:
                read_idx(path) if kind == "idx" else load_checkpoint(path)
            except (MnistError, CheckpointError):
                pass
            except Exception as exc:  # noqa: BLE001 - counting exactly these
                unexpected[kind] += 1
                print(f"unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
            slowest = max(slowest, time.perf_counter() - started)
    print(f"slowest case: {slowest * 1000:.1f} ms")
    return unexpected


def soak(minutes: float) -> tuple[float, float, str]:
    """(peak RSS MB, growth % after the first fifth, error text or '') of training + drawing."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import run

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    peak, growth, status = run.memory_run(minutes * 60)
    return peak, growth, "" if status == 0 else f"the app process exited with status {status}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("kill").add_argument("--times", type=int, default=50)
    sub.add_parser("fuzz").add_argument("--cases", type=int, default=100_000)
    sub.add_parser("soak").add_argument("--minutes", type=float, default=30)
    args = parser.parse_args()
    if args.what == "kill":
        with tempfile.TemporaryDirectory() as tmp:
            kills, good = kill_during_saves(args.times, Path(tmp))
        print(f"SIGKILL during saves: {kills} kills, previous or new checkpoint loaded {good}/{kills} times")
        return 0 if good == kills else 1
    if args.what == "fuzz":
        started = time.perf_counter()
        bad = fuzz(args.cases)
        print(f"random fuzz: {args.cases} cases in {time.perf_counter() - started:.0f} s, unexpected {bad}")
        # The suite's hypothesis tests (truncation, byte flips, random headers), at `cases` examples each.
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "fuzzed",
             "tests/core/test_mnist.py", "tests/core/test_checkpoint.py"],
            cwd=REPO, env={**os.environ, "LENET_VIZ_FUZZ_EXAMPLES": str(args.cases)},
        )
        outcome = "passed" if result.returncode == 0 else "FAILED"
        print(f"hypothesis: {args.cases} examples each (IDX reader, checkpoint loader) in "
              f"{time.perf_counter() - started:.0f} s: {outcome}")
        return 0 if not any(bad.values()) and result.returncode == 0 else 1
    peak, growth, error = soak(args.minutes)
    print(f"soak {args.minutes} min: peak RSS {peak:.0f} MB, growth after warm-up {growth:.1f}% {error}")
    return 0 if growth < 5 and not error else 1


if __name__ == "__main__":
    sys.exit(main())
