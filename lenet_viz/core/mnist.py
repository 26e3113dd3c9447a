"""MNIST: reading and validating IDX files, and downloading them safely.

The reader trusts nothing: magic numbers, dimensions and sizes are checked, and any problem is an
:class:`MnistError` whose one-line message names the file. The downloader streams into a ``.part``
file beside the target, verifies the MD5 of the *uncompressed* content (which holds for the
original files and for any recompressed copy), and only then renames it into place, so a half
file is never taken for data.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import math
import os
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

MIRROR_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
CHUNK = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class MnistFile:
    filename: str  # name of the .gz on the mirror
    md5: str  # of the decompressed IDX content, so any recompressed copy verifies too
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
def parse_idx(data: bytes, name: str = "<bytes>") -> NDArray[np.uint8]:
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
        raise MnistError(f"{name}: truncated IDX header ({len(data)} of {header} bytes)")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(dims)  # Python ints: four 32-bit dimensions cannot overflow
    actual = len(data) - header
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise MnistError(f"{name}: {what}: dimensions {dims} need {expected} bytes of data, found {actual}")
    try:
        # copy(): an owned, writable array rather than a read-only view of ``data``.
        return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()
    except ValueError:  # e.g. (0, 2**31, 2**31, 2**24): empty, yet numpy cannot form the shape
        raise MnistError(f"{name}: dimensions {dims} cannot be represented") from None


def _decompress(data: bytes, name: str) -> bytes:
    """The content of ``data``: gunzipped if it starts with the gzip magic bytes, else as is."""
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; EOFError: cut short
        raise MnistError(f"{name}: damaged gzip file ({exc})") from None


def read_idx(path: Path | str) -> NDArray[np.uint8]:
    """Read a gzip-compressed or raw IDX file (detected by content, not by extension)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MnistError(f"{path}: no such file") from None
    except OSError as exc:
        raise MnistError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return parse_idx(_decompress(data, str(path)), str(path))


def find_file(folder: Path | str, key: str) -> Path | None:
    """The file for ``key`` in ``folder``, ``<name>.gz`` or uncompressed; None if neither is there."""
    spec = MNIST_FILES[key]
    for name in (spec.filename, spec.raw_name):
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


def has_mnist(folder: Path | str) -> bool:
    """Whether all four files are present (not whether they are correct: see verify_mnist)."""
    return all(find_file(folder, key) is not None for key in MNIST_FILES)


def load_mnist(folder: Path | str, split: str) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of ``split`` ("train" or "test")."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    images, images_path = _load_checked(Path(folder), f"{split}-images")
    labels, labels_path = _load_checked(Path(folder), f"{split}-labels")
    if len(images) != len(labels):
        raise MnistError(f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels")
    count = MNIST_FILES[f"{split}-labels"].count
    if len(labels) != count:
        raise MnistError(f"{labels_path}: holds {len(labels)} records, expected {count}")
    if labels.max(initial=0) > 9:
        raise MnistError(f"{labels_path}: labels outside 0..9")
    return images, labels


def _load_checked(folder: Path, key: str) -> tuple[NDArray[np.uint8], Path]:
    spec = MNIST_FILES[key]
    path = find_file(folder, key)
    if path is None:
        raise MnistError(
            f"{spec.filename} is missing in {folder}; `lenet-viz download` or the Train button fetches it"
        )
    array = read_idx(path)
    # parse_idx accepts only unsigned bytes (0x08), so the magic number is fixed by the dimension count.
    magic = 0x0800 + array.ndim
    if magic != spec.magic:
        raise MnistError(f"{path}: magic number {magic}, expected {spec.magic}")
    if spec.magic == IMAGES_MAGIC and array.shape[1:] != (28, 28):
        raise MnistError(f"{path}: images are {array.shape[1]}x{array.shape[2]}, expected 28x28")
    return array, path


# -- verifying -------------------------------------------------------------------------------
def _is_valid(path: Path | None, spec: MnistFile) -> bool:
    """Whether ``path`` exists and its decompressed content has the expected MD5."""
    if path is None:
        return False
    try:
        content = _decompress(path.read_bytes(), str(path))
    except (OSError, MnistError):
        return False
    return hashlib.md5(content, usedforsecurity=False).hexdigest() == spec.md5


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


# -- downloading -----------------------------------------------------------------------------
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
        probe = folder / ".lenet-viz-write-test"  # mkdir succeeds on an existing read-only folder
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc
        raise MnistError(f"{folder}: cannot write there ({reason}); choose another folder") from None
    todo = [spec for key, spec in MNIST_FILES.items() if not _is_valid(find_file(folder, key), spec)]
    transfer = _Transfer(base_url.rstrip("/") + "/", timeout, progress, cancel)
    transfer.measure(todo)
    for spec in todo:
        transfer.fetch(folder, spec)
    return folder


@dataclass
class _Transfer:
    """One download_mnist call: where from, and the bytes done/total over all its files."""

    base_url: str
    timeout: float
    progress: ProgressCallback | None
    cancel: threading.Event | None
    done: int = 0
    total: int = 0  # 0: unknown

    def check_cancel(self, name: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise DownloadCancelled(f"{name}: download cancelled")

    def measure(self, todo: list[MnistFile]) -> None:
        """Ask each size with HEAD first, so that progress has one total from the start."""
        sizes: list[int | None] = []
        for spec in todo:
            self.check_cancel(spec.filename)
            url = self.base_url + spec.filename
            with _network_errors(url, self.timeout):
                try:
                    request = urllib.request.Request(url, method="HEAD")
                    with urllib.request.urlopen(request, timeout=self.timeout) as response:
                        sizes.append(_content_length(response))
                except urllib.error.HTTPError as exc:  # some servers refuse HEAD; GET reports real errors
                    exc.close()
                    sizes.append(None)
        known = [size for size in sizes if size is not None]
        self.total = sum(known) if len(known) == len(sizes) else 0

    def fetch(self, folder: Path, spec: MnistFile) -> None:
        url = self.base_url + spec.filename
        part = folder / (spec.filename + ".part")
        try:
            # The timeout bounds the connect and every single read on the socket.
            with (
                _network_errors(url, self.timeout),
                urllib.request.urlopen(url, timeout=self.timeout) as response,
                part.open("wb") as out,
            ):
                self._stream(response, out, url, spec.filename)
                out.flush()
                os.fsync(out.fileno())  # on disk before the rename makes it count as data
            if not _is_valid(part, spec):
                raise DownloadError(f"{spec.filename}: wrong content from {url} (MD5 does not match)")
            os.replace(part, folder / spec.filename)
        finally:
            part.unlink(missing_ok=True)  # after os.replace a no-op; otherwise no half file stays

    def _stream(self, response: http.client.HTTPResponse, out: BinaryIO, url: str, name: str) -> None:
        expected = _content_length(response)
        received = 0
        while True:
            self.check_cancel(name)
            try:
                chunk = response.read(CHUNK)
            except (http.client.IncompleteRead, ConnectionError):  # reset mid-body
                # (an orderly early close just gives b"" here: the length check below catches it)
                raise DownloadError(_dropped(url, received, expected)) from None
            if not chunk:
                break
            out.write(chunk)
            received += len(chunk)
            self.done += len(chunk)
            if self.progress is not None:
                self.progress(self.done, max(self.total, self.done) if self.total else 0, name)
        if expected is not None and received < expected:
            raise DownloadError(_dropped(url, received, expected))


def _content_length(response: http.client.HTTPResponse) -> int | None:
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


def _dropped(url: str, received: int, expected: int | None) -> str:
    of = f" of {expected}" if expected is not None else ""
    return f"{url.rsplit('/', 1)[-1]}: connection dropped after {received}{of} bytes"


@contextlib.contextmanager
def _network_errors(url: str, timeout: float) -> Iterator[None]:
    """Turn whatever urllib, http.client or the socket raises into one DownloadError."""
    try:
        yield
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
        raise DownloadError(_network_message(url, exc, timeout)) from None


def _network_message(url: str, exc: BaseException, timeout: float) -> str:
    name = url.rsplit("/", 1)[-1]
    host = urllib.parse.urlsplit(url).netloc or url
    if isinstance(exc, urllib.error.HTTPError):
        return f"{name}: {host} answered HTTP {exc.code} {exc.reason} for {url}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError since 3.10
        return f"{name}: {host} timed out (no answer within {timeout:g} s; slow or no network?)"
    if isinstance(reason, socket.gaierror):
        return f"{name}: could not reach {host}: no network?"
    if isinstance(reason, ConnectionRefusedError):
        return f"{name}: could not reach {host}: connection refused"
    return f"{name}: download from {host} failed ({reason})"
