"""MNIST: reading and validating IDX files, and downloading them safely.

The reader trusts nothing: magic numbers, dimensions and sizes are checked, and any problem is an
:class:`MnistError` whose one-line message names the file. The downloader streams into a ``.part``
file beside the target, verifies the MD5 of the *uncompressed* content (which holds for the
original files and for any recompressed copy), and only then renames it into place, so a half
file is never taken for data.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import socket
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIRROR_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
CHUNK = 64 * 1024


@dataclass(frozen=True)
class MnistFile:
    filename: str  # name of the .gz on the mirror
    md5: str  # of the decompressed IDX content
    count: int
    magic: int

    @property
    def raw_name(self) -> str:
        return self.filename.removesuffix(".gz")


MNIST_FILES: dict[str, MnistFile] = {
    "train-images": MnistFile("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb", 60000, 2051),
    "train-labels": MnistFile("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624", 60000, 2049),
    "test-images": MnistFile("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea", 10000, 2051),
    "test-labels": MnistFile("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637", 10000, 2049),
}


class MnistError(Exception):
    """A missing, damaged or wrong MNIST file; the message names the file and the problem."""


class DownloadError(MnistError):
    """The download failed: no network, timeout, dropped connection, wrong content."""


class DownloadCancelled(MnistError):
    """The user cancelled the download."""


ProgressCallback = Callable[[int, int, str], None]


# -- reading ---------------------------------------------------------------------------------
def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes (unsigned-byte type only) into a writable uint8 array of its shape."""
    if len(data) < 4:
        raise MnistError(f"{name}: not an IDX file (only {len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise MnistError(f"{name}: not an IDX file (bad magic number)")
    if data[2] != 0x08:
        raise MnistError(f"{name}: unsupported IDX data type 0x{data[2]:02x} (expected unsigned bytes)")
    ndim = data[3]
    if not 1 <= ndim <= 4:
        raise MnistError(f"{name}: unsupported IDX dimension count {ndim}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistError(f"{name}: truncated IDX header")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims, dtype=np.int64))
    actual = len(data) - header
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise MnistError(f"{name}: {what}: dimensions {dims} need {expected} bytes of data, found {actual}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def _decompress(data: bytes, name: str) -> bytes:
    """The content of ``data``: gunzipped if it starts with the gzip magic bytes, else as is."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise MnistError(f"{name}: damaged gzip file ({exc})") from None


def read_idx(path: Path | str) -> np.ndarray:
    """Read a gzip-compressed or raw IDX file (detected by content, not by extension)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MnistError(f"{path}: no such file") from None
    except OSError as exc:
        raise MnistError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_idx(_decompress(data, str(path)), str(path))


def find_file(folder: Path | str, key: str) -> Path | None:
    """The file for ``key`` in ``folder``, compressed or not; None if neither is there."""
    spec = MNIST_FILES[key]
    for name in (spec.filename, spec.raw_name):
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


def has_mnist(folder: Path | str) -> bool:
    return all(find_file(folder, key) is not None for key in MNIST_FILES)


def load_mnist(folder: Path | str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of ``split`` ("train" or "test")."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    arrays = []
    for kind in ("images", "labels"):
        key = f"{split}-{kind}"
        spec = MNIST_FILES[key]
        path = find_file(folder, key)
        if path is None:
            raise MnistError(
                f"{spec.filename} is missing in {folder}; "
                "`lenet-viz download` or the Train button fetches it"
            )
        array = read_idx(path)
        _check_shape(array, spec, path)
        arrays.append(array)
    images, labels = arrays
    if labels.max(initial=0) > 9:
        raise MnistError(f"{find_file(folder, split + '-labels')}: labels outside 0..9")
    return images, labels


def _check_shape(array: np.ndarray, spec: MnistFile, path: Path) -> None:
    want: tuple[int, ...] = (spec.count, 28, 28) if spec.magic == IMAGES_MAGIC else (spec.count,)
    if array.shape != want:
        raise MnistError(f"{path}: holds an array of shape {array.shape}, expected {want}")


# -- downloading ---------------------------------------------------------------------------
def _content_md5(data: bytes, name: str) -> str:
    return hashlib.md5(_decompress(data, name), usedforsecurity=False).hexdigest()


def _is_valid(path: Path, spec: MnistFile) -> bool:
    try:
        return _content_md5(path.read_bytes(), str(path)) == spec.md5
    except (OSError, MnistError):
        return False


def verify_mnist(folder: Path | str) -> list[str]:
    """Problems with the MNIST files in ``folder`` (empty: all four present and MD5-correct)."""
    problems = []
    for key, spec in MNIST_FILES.items():
        path = find_file(folder, key)
        if path is None:
            problems.append(f"{spec.filename}: missing in {folder}")
        elif not _is_valid(path, spec):
            problems.append(f"{path}: damaged or wrong content (MD5 mismatch)")
    return problems


def _network_message(url: str, exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"{url}: the server answered HTTP {exc.code} {exc.reason}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"{url}: the server stopped answering (timed out)"
    if isinstance(reason, socket.gaierror):
        return f"{url}: could not look up the server (no network?)"
    if isinstance(reason, ConnectionRefusedError):
        return f"{url}: connection refused"
    return f"{url}: download failed ({reason})"


def download_mnist(
    folder: Path | str,
    *,
    base_url: str = MIRROR_URL,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download each MNIST file that is missing or wrong in ``folder``; returns the folder."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise MnistError(f"{folder}: cannot write there ({exc.strerror}); choose another folder") from None
    todo = [spec for key, spec in MNIST_FILES.items() if not _present_and_valid(folder, key, spec)]
    state = _Progress(progress)
    for spec in todo:
        _download_one(folder, spec, base_url.rstrip("/") + "/", state, cancel, timeout)
    return folder


def _present_and_valid(folder: Path, key: str, spec: MnistFile) -> bool:
    path = find_file(folder, key)
    return path is not None and _is_valid(path, spec)


class _Progress:
    """Bytes done over all files; the total grows as each response announces its length."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.done = 0
        self.total = 0

    def report(self, name: str) -> None:
        if self.callback is not None:
            self.callback(self.done, max(self.total, self.done) if self.total else 0, name)


def _download_one(
    folder: Path,
    spec: MnistFile,
    base_url: str,
    state: _Progress,
    cancel: threading.Event | None,
    timeout: float,
) -> None:
    url = base_url + spec.filename
    final = folder / spec.filename
    part = folder / (spec.filename + ".part")
    started_at = state.done
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, part.open("wb") as out:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            if expected is not None:
                state.total += expected
            received = 0
            while True:
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled(f"{spec.filename}: download cancelled")
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                state.done = started_at + received
                state.report(spec.filename)
            if expected is not None and received < expected:
                raise DownloadError(f"{url}: connection dropped after {received} of {expected} bytes")
            out.flush()
            os.fsync(out.fileno())
        try:
            md5 = _content_md5(part.read_bytes(), str(part))
        except MnistError:  # e.g. a gzip cut short by a server that sent no length
            md5 = ""
        if md5 != spec.md5:
            raise DownloadError(f"{url}: wrong content (MD5 of the data does not match MNIST's)")
        os.replace(part, final)
        _remove_other_copy(folder, spec)
    except MnistError:
        part.unlink(missing_ok=True)
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(_network_message(url, exc)) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _remove_other_copy(folder: Path, spec: MnistFile) -> None:
    # find_file prefers the .gz, but a wrong uncompressed copy beside it would only confuse people.
    raw = folder / spec.raw_name
    if raw.is_file() and not _is_valid(raw, spec):
        raw.unlink(missing_ok=True)
