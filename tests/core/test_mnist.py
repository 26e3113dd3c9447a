"""lenet_viz.core.mnist: IDX parsing on generated and fuzzed files, the real MNIST, and the
downloader against a loopback HTTP server that can misbehave in each way a network does."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lenet_viz.core.mnist import (
    MNIST_FILES,
    DownloadCancelled,
    DownloadError,
    MnistError,
    download_mnist,
    find_file,
    has_mnist,
    load_mnist,
    parse_idx,
    read_idx,
    verify_mnist,
)

# 1,000 cases in the normal run; `benchmarks/reliability.py fuzz` sets 100,000.
FUZZ_EXAMPLES = int(os.environ.get("LENET_VIZ_FUZZ_EXAMPLES", "1000"))

SAMPLE = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def assert_one_line_naming(exc: BaseException, name: str) -> None:
    message = str(exc)
    assert "\n" not in message and name in message, message


# -- parsing and reading -----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), (2, 1, 3, 2), (0,), (4, 0, 28)])
def test_parse_round_trip_every_rank(shape):
    array = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    out = parse_idx(idx_bytes(array))
    assert out.dtype == np.uint8 and out.shape == shape
    np.testing.assert_array_equal(out, array)


def test_parse_returns_an_owned_writable_array():
    data = idx_bytes(SAMPLE)
    out = parse_idx(data)
    assert out.flags.writeable and out.flags.owndata
    out[0, 0, 0] = 200
    assert parse_idx(data)[0, 0, 0] == 0


def test_read_raw_and_gzip_detected_by_content_not_extension(tmp_path):
    files = {
        "raw-idx3-ubyte": idx_bytes(SAMPLE),
        "compressed.gz": gz(idx_bytes(SAMPLE)),
        "raw-but-named.gz": idx_bytes(SAMPLE),
        "gzip-but-named.idx": gz(idx_bytes(SAMPLE)),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        np.testing.assert_array_equal(read_idx(tmp_path / name), SAMPLE)
        np.testing.assert_array_equal(read_idx(str(tmp_path / name)), SAMPLE)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "only 0 bytes"),
        (b"\x00\x00\x08", "only 3 bytes"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"x", "magic"),
        (b"\x00\x01\x08\x01" + struct.pack(">I", 1) + b"x", "magic"),
        (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"xxxx", "data type 0x0d"),
        (b"\x00\x00\x09\x01" + struct.pack(">I", 1) + b"x", "data type 0x09"),
        (b"\x00\x00\x08\x00", "dimension count 0"),
        (b"\x00\x00\x08\x05" + b"\x00" * 20, "dimension count 5"),
        (b"\x00\x00\x08\xff", "dimension count 255"),
        (b"\x00\x00\x08\x02" + struct.pack(">I", 2), "truncated IDX header"),
        (idx_bytes(SAMPLE)[:-1], "truncated"),
        (idx_bytes(SAMPLE)[:16], "truncated"),
        (idx_bytes(SAMPLE) + b"\x00", "trailing bytes"),
        (b"\x00\x00\x08\x04" + struct.pack(">4I", *[0xFFFFFFFF] * 4), "truncated"),
    ],
)
def test_parse_rejections_name_the_file_and_the_problem(data, message):
    with pytest.raises(MnistError, match=message) as info:
        parse_idx(data, "some-file.idx")
    assert_one_line_naming(info.value, "some-file.idx")


def test_read_missing_file_directory_and_damaged_gzip(tmp_path):
    with pytest.raises(MnistError, match="no such file") as info:
        read_idx(tmp_path / "nope.gz")
    assert_one_line_naming(info.value, "nope.gz")
    with pytest.raises(MnistError, match="cannot be read"):
        read_idx(tmp_path)
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b" + b"\x00" * 30)
    with pytest.raises(MnistError, match="damaged gzip") as info:
        read_idx(bad)
    assert_one_line_naming(info.value, "bad.gz")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_truncation_at_every_offset_raises_mnist_error(tmp_path, compress):
    full = idx_bytes(SAMPLE)
    blob = gz(full) if compress else full
    path = tmp_path / "cut"
    for cut in range(len(blob)):
        path.write_bytes(blob[:cut])
        try:
            read_idx(path)
        except MnistError as exc:
            assert type(exc) is MnistError
            assert_one_line_naming(exc, str(path))
        else:
            pytest.fail(f"a file cut at {cut} of {len(blob)} bytes was accepted")
    path.write_bytes(blob)
    np.testing.assert_array_equal(read_idx(path), SAMPLE)


@st.composite
def damaged_files(draw: st.DrawFn) -> bytes:
    """Random headers with random payloads, or a valid raw/gzip file with bytes flipped or cut."""
    if draw(st.booleans()):
        ndim = draw(st.integers(0, 6))
        dim = st.one_of(st.integers(0, 6), st.integers(0, 2**32 - 1))
        dims = draw(st.lists(dim, min_size=ndim, max_size=ndim))
        zeros = draw(st.one_of(st.just(b"\x00\x00"), st.binary(min_size=2, max_size=2)))
        dtype = draw(st.one_of(st.just(0x08), st.integers(0, 255)))
        blob = zeros + bytes([dtype, ndim]) + b"".join(struct.pack(">I", d) for d in dims)
        blob += draw(st.binary(max_size=120))
        return gz(blob) if draw(st.booleans()) else blob
    blob = bytearray(gz(idx_bytes(SAMPLE)) if draw(st.booleans()) else idx_bytes(SAMPLE))
    flips = st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(0, 255)), max_size=6)
    for offset, value in draw(flips):
        blob[offset] = value
    return bytes(blob[: draw(st.integers(0, len(blob) + 1))])


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged_files())
def test_fuzzed_files_give_an_array_or_mnist_error_only(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.idx"
    path.write_bytes(data)
    try:
        array = read_idx(path)
    except MnistError as exc:
        assert type(exc) is MnistError
        assert_one_line_naming(exc, str(path))
    else:
        assert array.dtype == np.uint8 and 1 <= array.ndim <= 4 and array.flags.writeable


# -- the real MNIST ----------------------------------------------------------------------
def test_md5_constants_match_the_shared_files(mnist_dir):
    for spec in MNIST_FILES.values():
        content = gzip.decompress((mnist_dir / spec.filename).read_bytes())
        assert hashlib.md5(content).hexdigest() == spec.md5
        assert int.from_bytes(content[:4], "big") == spec.magic


def test_load_shared_mnist(mnist_dir):
    images, labels = load_mnist(mnist_dir, "test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS
    assert images.max() == 255 and images.min() == 0
    train_images, train_labels = load_mnist(str(mnist_dir), "train")
    assert train_images.shape == (60000, 28, 28) and train_labels.shape == (60000,)
    assert has_mnist(mnist_dir) and verify_mnist(mnist_dir) == []


def test_find_file_accepts_gz_and_uncompressed_names(tmp_path, mnist_dir):
    spec = MNIST_FILES["test-labels"]
    assert find_file(tmp_path, "test-labels") is None
    (tmp_path / spec.raw_name).write_bytes(gzip.decompress((mnist_dir / spec.filename).read_bytes()))
    assert find_file(tmp_path, "test-labels") == tmp_path / spec.raw_name
    shutil.copy(mnist_dir / spec.filename, tmp_path)
    assert find_file(tmp_path, "test-labels") == tmp_path / spec.filename


def test_uncompressed_copies_load_and_verify(tmp_path, mnist_dir):
    for spec in MNIST_FILES.values():
        if spec.filename.startswith("t10k"):
            raw = gzip.decompress((mnist_dir / spec.filename).read_bytes())
            (tmp_path / spec.raw_name).write_bytes(raw)
    images, labels = load_mnist(tmp_path, "test")
    assert np.bincount(labels).tolist() == TEST_COUNTS
    assert not has_mnist(tmp_path)
    problems = verify_mnist(tmp_path)
    assert len(problems) == 2 and all("missing" in p for p in problems)


def test_missing_file_message_says_which_where_and_how_to_fetch(tmp_path):
    with pytest.raises(MnistError) as info:
        load_mnist(tmp_path, "train")
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path) in message
    assert "lenet-viz download" in message and "Train button" in message
    assert_one_line_naming(info.value, "missing")
    with pytest.raises(ValueError):
        load_mnist(tmp_path, "validation")


def _write_split(folder: Path, images: np.ndarray, labels: np.ndarray) -> None:
    (folder / MNIST_FILES["test-images"].raw_name).write_bytes(idx_bytes(images))
    (folder / MNIST_FILES["test-labels"].filename).write_bytes(gz(idx_bytes(labels)))


@pytest.mark.parametrize(
    "images, labels, message",
    [
        (np.zeros((5, 28, 28)), np.zeros((5, 28, 28)), "magic number 2051, expected 2049"),
        (np.zeros((5, 784)), np.zeros(5), "magic number 2050, expected 2051"),
        (np.zeros((5, 27, 28)), np.zeros(5), "27x28, expected 28x28"),
        (np.zeros((5, 28, 28)), np.zeros(6), "5 images but"),
        (np.zeros((5, 28, 28)), np.zeros(5), "expected 10000"),
        (np.zeros((10000, 28, 28)), np.full(10000, 10), "labels outside 0..9"),
    ],
)
def test_load_validates_magic_shape_counts_and_labels(tmp_path, images, labels, message):
    _write_split(tmp_path, images, labels)
    with pytest.raises(MnistError, match=message) as info:
        load_mnist(tmp_path, "test")
    assert_one_line_naming(info.value, str(tmp_path))


def test_verify_reports_missing_and_wrong_files(tmp_path, mnist_dir):
    for spec in MNIST_FILES.values():
        shutil.copy(mnist_dir / spec.filename, tmp_path)
    assert verify_mnist(tmp_path) == []
    (tmp_path / MNIST_FILES["train-labels"].filename).write_bytes(b"junk")
    (tmp_path / MNIST_FILES["test-images"].filename).unlink()
    problems = verify_mnist(tmp_path)
    assert len(problems) == 2
    assert any("train-labels" in p and "MD5" in p for p in problems)
    assert any("t10k-images" in p and "missing" in p for p in problems)


# -- downloading from a loopback mirror -------------------------------------------------
class Mirror:
    """A loopback HTTP server for ``files`` whose misbehaviour (``mode``) the test chooses."""

    def __init__(self, files: dict[str, bytes], mode: str) -> None:
        self.files, self.mode = files, mode
        self.requests: list[tuple[str, str]] = []  # (method, file name)
        self.release = threading.Event()  # lets stalled handlers go at teardown
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                mirror.answer(self, body=False)

            def do_GET(self) -> None:
                mirror.answer(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def answer(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        name = handler.path.rsplit("/", 1)[-1]
        self.requests.append((handler.command, name))
        if self.mode == "stall":
            self.release.wait(10)
            return
        data = self.files.get(name)
        if data is None or self.mode == "404":
            handler.send_error(404)
            return
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if not body:
            return
        if self.mode in ("drop", "reset"):
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            if self.mode == "reset":  # linger 0: close() sends RST, the client's read fails
                handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                handler.connection.close()
            else:  # an orderly early end: the client's read just returns nothing
                handler.connection.shutdown(socket.SHUT_RDWR)
        elif self.mode == "stall-body":
            handler.wfile.write(data[:100_000])
            handler.wfile.flush()
            self.release.wait(10)
        else:
            handler.wfile.write(data)

    def gets(self, name: str) -> int:
        return self.requests.count(("GET", name))

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def real_files(mnist_dir) -> dict[str, bytes]:
    return {spec.filename: (mnist_dir / spec.filename).read_bytes() for spec in MNIST_FILES.values()}


@pytest.fixture
def serve(real_files) -> Iterator[Callable[..., Mirror]]:
    mirrors: list[Mirror] = []

    def start(mode: str = "ok", files: dict[str, bytes] | None = None) -> Mirror:
        mirrors.append(Mirror(real_files if files is None else files, mode))
        return mirrors[-1]

    yield start
    for mirror in mirrors:
        mirror.close()


def assert_left_nothing(folder: Path, keep: frozenset[str] = frozenset()) -> None:
    assert {p.name for p in folder.iterdir()} == set(keep)


def test_download_success_with_progress(tmp_path, serve, real_files):
    mirror = serve()
    folder = tmp_path / "new" / "mnist"
    seen: list[tuple[int, int, str]] = []
    assert download_mnist(folder, base_url=mirror.url, progress=lambda *a: seen.append(a)) == folder
    assert verify_mnist(folder) == [] and has_mnist(folder)
    assert_left_nothing(folder, frozenset(real_files))
    total = sum(len(data) for data in real_files.values())
    done = [d for d, _, _ in seen]
    assert all(a < b for a, b in zip(done, done[1:], strict=False)) and done[-1] == total
    assert {t for _, t, _ in seen} == {total}  # HEAD told the total before the first byte
    assert {n for _, _, n in seen} == set(real_files)
    assert all(mirror.gets(name) == 1 for name in real_files)
    images, labels = load_mnist(folder, "test")
    assert np.bincount(labels).tolist() == TEST_COUNTS


def test_present_correct_files_are_not_requested_and_wrong_ones_replaced(tmp_path, serve, mnist_dir):
    mirror = serve()
    good_gz, good_raw, wrong = (MNIST_FILES[k] for k in ("test-labels", "test-images", "train-labels"))
    shutil.copy(mnist_dir / good_gz.filename, tmp_path)
    (tmp_path / good_raw.raw_name).write_bytes(gzip.decompress((mnist_dir / good_raw.filename).read_bytes()))
    (tmp_path / wrong.filename).write_bytes(b"junk")
    download_mnist(tmp_path, base_url=mirror.url.rstrip("/"))  # a base without "/" works too
    requested = {name for _, name in mirror.requests}
    assert requested and not requested & {good_gz.filename, good_raw.filename}
    assert mirror.gets(wrong.filename) == 1
    assert verify_mnist(tmp_path) == []
    count = len(mirror.requests)
    download_mnist(tmp_path, base_url=mirror.url)  # everything in place: no request at all
    assert len(mirror.requests) == count


def test_wrong_content_is_rejected_by_md5(tmp_path, serve, real_files):
    names = list(real_files)
    swapped = {name: real_files[names[i - 1]] for i, name in enumerate(names)}  # valid gzip, wrong file
    serve_wrong = serve("ok", swapped)
    with pytest.raises(DownloadError, match="MD5") as info:
        download_mnist(tmp_path, base_url=serve_wrong.url)
    assert_one_line_naming(info.value, names[0])
    assert_left_nothing(tmp_path)


@pytest.mark.parametrize("mode", ["drop", "reset"])
def test_connection_dropped_mid_file(tmp_path, serve, real_files, mode):
    mirror = serve(mode)
    size = len(real_files["train-images-idx3-ubyte.gz"])
    with pytest.raises(DownloadError, match=rf"connection dropped after \d+ of {size} bytes") as info:
        download_mnist(tmp_path, base_url=mirror.url)
    assert_one_line_naming(info.value, "train-images-idx3-ubyte.gz")
    assert_left_nothing(tmp_path)


@pytest.mark.parametrize("mode", ["stall", "stall-body"])
def test_stalled_server_times_out_quickly(tmp_path, serve, mode):
    mirror = serve(mode)
    started = time.monotonic()
    with pytest.raises(DownloadError, match="timed out") as info:
        download_mnist(tmp_path, base_url=mirror.url, timeout=0.5)
    assert time.monotonic() - started < 3
    assert_one_line_naming(info.value, "127.0.0.1")
    assert_left_nothing(tmp_path)


def test_http_404(tmp_path, serve):
    mirror = serve("404")
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        download_mnist(tmp_path, base_url=mirror.url)
    assert_one_line_naming(info.value, "train-images-idx3-ubyte.gz")
    assert_left_nothing(tmp_path)


def test_cancel_from_the_progress_callback(tmp_path, serve):
    mirror = serve()
    cancel = threading.Event()
    calls: list[int] = []

    def progress(done: int, total: int, name: str) -> None:
        calls.append(done)
        cancel.set()

    with pytest.raises(DownloadCancelled, match="cancelled"):
        download_mnist(tmp_path, base_url=mirror.url, progress=progress, cancel=cancel)
    assert len(calls) == 1
    assert_left_nothing(tmp_path)
    mirror.requests.clear()
    with pytest.raises(DownloadCancelled):  # already cancelled: not a single request
        download_mnist(tmp_path, base_url=mirror.url, cancel=cancel)
    assert mirror.requests == []


def test_unreachable_server(tmp_path):
    started = time.monotonic()
    with pytest.raises(DownloadError, match="could not reach 127.0.0.1:1") as info:
        download_mnist(tmp_path, base_url="http://127.0.0.1:1/", timeout=2)
    assert time.monotonic() - started < 3
    assert_one_line_naming(info.value, "train-images-idx3-ubyte.gz")
    assert_left_nothing(tmp_path)


def test_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises(MnistError, match="cannot write there") as info:
        download_mnist(blocker / "mnist", base_url="http://127.0.0.1:1/")
    assert not isinstance(info.value, DownloadError)
    assert_one_line_naming(info.value, str(blocker))


def test_zero_dimension_with_huge_others_is_refused():
    # Found by the 100,000-example fuzz run: numpy cannot even reshape an empty array to this.
    data = b"\x00\x00\x08\x04\x00\x00\x00\x00\x00\t\xc1\xef\x00\t\xc2\xf5\x01X\x06p"
    with pytest.raises(MnistError, match="cannot be represented"):
        parse_idx(data, "f.idx")
