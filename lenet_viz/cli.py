"""The ``lenet-viz`` command: the window by default, plus headless subcommands.

    lenet-viz [--checkpoint FILE] [--data-dir DIR] [--device DEV]    open the window
    lenet-viz train [options]                                         train in the terminal
    lenet-viz eval FILE                                               test error + confusion
    lenet-viz download                                                fetch MNIST

Errors a user can cause (bad files, missing data, no network) print one line on stderr and
exit non-zero; bad arguments exit with status 2 and a usage message (argparse's convention).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

EXIT_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lenet-viz",
        description="Watch LeNet-5 think and learn. Without a subcommand, opens the window: "
        "draw a digit, see every layer respond, press Train to watch it learn.",
        epilog="Environment: LENET_VIZ_DATA (MNIST folder), LENET_VIZ_CHECKPOINTS (where models "
        "are saved). Run 'lenet-viz SUBCOMMAND --help' for a subcommand's options.",
    )
    parser.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="start with the weights in FILE "
        "(.safetensors, or .pt/.pth read with weights_only) instead of the shipped ones",
    )
    parser.add_argument(
        "--variant",
        choices=("modern", "classic"),
        default="modern",
        help="which LeNet-5 to open with: modern, or classic (the 1998 paper's) (default %(default)s)",
    )
    _add_data_dir(parser)
    _add_device(parser)
    sub = parser.add_subparsers(dest="command", metavar="{train,eval,download}")

    train = sub.add_parser(
        "train",
        help="train a model in the terminal (progress bar)",
        description="Train LeNet-5 on MNIST and save the weights.",
    )
    _add_data_dir(train)
    _add_device(train)
    from lenet_viz.core.training import OPTIMIZERS, SCHEDULES, TrainConfig

    defaults = TrainConfig()
    train.add_argument(
        "--variant",
        choices=("modern", "classic"),
        default="modern",
        help="modern (ReLU, max-pooling) or classic (the 1998 paper's) LeNet-5 (default %(default)s)",
    )
    train.add_argument(
        "--epochs",
        type=int,
        default=defaults.epochs,
        help="passes over the data (default %(default)s)",
    )
    train.add_argument("--batch-size", type=int, default=defaults.batch_size, help="default %(default)s")
    train.add_argument("--lr", type=float, default=defaults.lr, help="learning rate (default %(default)s)")
    train.add_argument(
        "--optimizer",
        choices=[o for o in OPTIMIZERS if o != "sdlm"],
        default=defaults.optimizer,
        help="default %(default)s",
    )
    train.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default=defaults.schedule,
        help="learning-rate schedule (default %(default)s)",
    )
    train.add_argument("--no-augment", action="store_true", help="train on the plain images (no distortions)")
    train.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)")
    train.add_argument(
        "--limit", type=int, default=None, help="use only the first N training and test images"
    )
    train.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    train.add_argument("--init", metavar="FILE", help="start from these weights instead of random ones")
    train.add_argument("--download", action="store_true", help="download MNIST first if it is missing")
    train.add_argument(
        "--state",
        metavar="FILE",
        help="also keep a resumable training state in FILE, written after every epoch and on Ctrl+C",
    )
    train.add_argument(
        "--resume",
        metavar="FILE",
        help="continue the training state in FILE exactly where it stopped (its settings are used)",
    )
    train.add_argument(
        "--out",
        metavar="FILE",
        help="where to save the weights (default: trained-<time>.safetensors in the checkpoint folder)",
    )

    ev = sub.add_parser(
        "eval",
        help="test error and confusion matrix of a weights file",
        description="Evaluate a weights file on the 10,000 MNIST test images.",
    )
    ev.add_argument("file", nargs="?", help="weights file (default: the shipped weights)")
    _add_data_dir(ev)
    _add_device(ev)

    dl = sub.add_parser(
        "download",
        help="download MNIST (about 11 MB) and verify it",
        description="Download the four MNIST files and check their MD5.",
    )
    _add_data_dir(dl)
    return parser


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="MNIST folder (default: $LENET_VIZ_DATA, else the user cache)",
    )


def _add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device",
        default=argparse.SUPPRESS,
        help="torch device for training: cpu, cuda, cuda:1, mps (default: cpu)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"train": cmd_train, "eval": cmd_eval, "download": cmd_download}
    handler = handlers.get(args.command or "", cmd_gui)
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("lenet-viz: interrupted", file=sys.stderr)
        return 130
    except UserFacingError as exc:
        print(f"lenet-viz: {exc}", file=sys.stderr)
        return EXIT_ERROR


class UserFacingError(Exception):
    """An error worth one line to the user, not a traceback."""


def _device(args: argparse.Namespace) -> str:
    device = str(getattr(args, "device", "cpu"))
    import torch

    try:
        torch.empty(1, device=device)
    except Exception as exc:
        raise UserFacingError(f"device {device!r} is not usable here ({str(exc).splitlines()[0]})") from None
    return device


def _data_dir(args: argparse.Namespace) -> Path:
    from lenet_viz.core.paths import mnist_dir

    return mnist_dir(getattr(args, "data_dir", None))


def _load_model(file: str | None):  # type: ignore[no-untyped-def]
    from lenet_viz.core.checkpoint import CheckpointError, load_checkpoint, shipped_weights_path

    try:
        return load_checkpoint(file or shipped_weights_path("modern"))
    except CheckpointError as exc:
        raise UserFacingError(str(exc)) from None


def _datasets(folder: Path, limit: int | None = None):  # type: ignore[no-untyped-def]
    from lenet_viz.core.data import load_datasets
    from lenet_viz.core.mnist import MnistError

    try:
        return load_datasets(folder, limit)
    except MnistError as exc:
        raise UserFacingError(str(exc)) from None


def cmd_gui(args: argparse.Namespace) -> int:
    if args.checkpoint:
        _load_model(args.checkpoint)  # fail early with one line, before any window appears
    device = _device(args) if hasattr(args, "device") else "cpu"
    from lenet_viz.gui.app import run_app

    return run_app(
        checkpoint=args.checkpoint,
        data_dir=getattr(args, "data_dir", None),
        device=device,
        variant=args.variant,
    )


def cmd_download(args: argparse.Namespace) -> int:
    from lenet_viz.core.mnist import MnistError, download_mnist, verify_mnist

    folder = _data_dir(args)
    bar = _ProgressLine("download")
    try:
        download_mnist(folder, progress=lambda done, total, name: bar.show(done, total, name, unit="bytes"))
    except MnistError as exc:
        bar.finish()
        raise UserFacingError(str(exc)) from None
    bar.finish()
    problems = verify_mnist(folder)
    if problems:
        raise UserFacingError("; ".join(problems))
    print(f"MNIST is ready in {folder}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from lenet_viz.core.training import evaluate

    model = _load_model(args.file).to(_device(args))
    _, test = _datasets(_data_dir(args))
    result = evaluate(model, test)
    print(f"model: {args.file or 'shipped weights'} ({model.variant})")
    print(
        f"test images: {len(test)}   accuracy: {result.accuracy:.2%}   "
        f"error: {result.error_rate:.2%}   loss: {result.loss:.4f}"
    )
    print(format_confusion(result.confusion))
    return 0


def format_confusion(confusion) -> str:  # type: ignore[no-untyped-def]
    lines = [
        "confusion matrix (rows: true digit, columns: predicted digit)",
        "      " + "".join(f"{d:>6}" for d in range(10)),
    ]
    for true in range(10):
        lines.append(f"{true:>6}" + "".join(f"{int(n):>6}" for n in confusion[true]))
    return "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from lenet_viz.core.checkpoint import save_checkpoint
    from lenet_viz.core.mnist import MnistError, download_mnist, has_mnist
    from lenet_viz.core.paths import checkpoint_dir
    from lenet_viz.core.training import TrainConfig, Trainer
    from lenet_viz.core.variants import create_model

    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        schedule=args.schedule,
        augment=not args.no_augment,
        seed=args.seed,
    )
    try:
        config.validate()
    except ValueError as exc:
        raise UserFacingError(str(exc)) from None
    if args.threads:
        torch.set_num_threads(args.threads)
    device = _device(args)
    folder = _data_dir(args)
    if args.download and not has_mnist(folder):
        try:
            bar = _ProgressLine("download")
            download_mnist(folder, progress=lambda d, t, n: bar.show(d, t, n, unit="bytes"))
            bar.finish()
        except MnistError as exc:
            raise UserFacingError(str(exc)) from None
    train, test = _datasets(folder, args.limit)
    if args.resume:
        from lenet_viz.core.checkpoint import CheckpointError
        from lenet_viz.core.resume import load_training_state

        try:
            trainer = load_training_state(args.resume, train, test, device=device)
        except CheckpointError as exc:
            raise UserFacingError(str(exc)) from None
        config = trainer.config
        print(
            f"resuming {args.resume} at epoch {trainer.epoch + 1}, batch {trainer.batch} (its settings apply)"
        )
    else:
        model = _load_model(args.init) if args.init else create_model(args.variant, seed=args.seed)
        trainer = Trainer(model, train, test, config, device=device)
    model = trainer.model
    bar = _ProgressLine("train")
    trainer.add_callback(
        "on_batch_end",
        lambda t: bar.show(
            t.step,
            t.total_steps,
            f"epoch {t.epoch + 1}/{config.epochs} loss {t.history.smoothed_loss[-1]:.4f} "
            f"{t.images_per_second:,.0f} img/s",
            unit="batches",
        ),
    )

    def report(t: Trainer) -> None:
        bar.finish()
        print(
            f"epoch {t.epoch}/{config.epochs}: train loss {t.history.train_loss[-1]:.4f}, "
            f"train acc {t.history.train_accuracy[-1]:.2%}, test loss {t.history.test_loss[-1]:.4f}, "
            f"test acc {t.history.test_accuracy[-1]:.2%}",
            flush=True,
        )

    trainer.add_callback("on_epoch_end", report)
    if args.state:
        from lenet_viz.core.resume import save_training_state

        trainer.add_callback("on_epoch_end", lambda t: save_training_state(t, args.state))
    started = time.perf_counter()
    try:
        trainer.run()
    except KeyboardInterrupt:
        bar.finish()
        if args.state:
            save_training_state(trainer, args.state)
            print(f"interrupted; continue with: lenet-viz train --resume {args.state}", file=sys.stderr)
        raise
    out = (
        Path(args.out) if args.out else checkpoint_dir() / time.strftime("trained-%Y%m%d-%H%M%S.safetensors")
    )
    accuracy = trainer.history.test_accuracy[-1] if trainer.history.test_accuracy else float("nan")
    save_checkpoint(
        model.cpu(),
        out,
        {
            "test_accuracy": f"{accuracy:.4f}",
            "epochs": str(config.epochs),
            "optimizer": config.optimizer,
            "lr": str(config.lr),
            "batch_size": str(config.batch_size),
            "schedule": config.schedule,
            "augment": str(config.augment),
            "seed": str(config.seed),
        },
    )
    print(f"saved {out} (test accuracy {accuracy:.2%}, {time.perf_counter() - started:.0f} s)")
    return 0


class _ProgressLine:
    """A one-line terminal progress bar on stderr (plain text when stderr is not a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._lock = threading.Lock()

    def show(self, done: int, total: int, text: str, unit: str) -> None:
        now = time.monotonic()
        if now - self._last < (0.1 if self.tty else 5.0) and done != total:
            return
        self._last = now
        with self._lock:
            if total > 0:
                filled = int(30 * done / total)
                bar = f"[{'#' * filled}{'.' * (30 - filled)}] {done / total:6.1%}"
            else:
                bar = f"{done:,} {unit}"
            line = f"{self.label} {bar} {text}"
            sys.stderr.write(("\r" + line[:150] + "\033[K") if self.tty else line + "\n")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()
