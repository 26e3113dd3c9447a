"""MNIST IDX reading and downloading: generated files, the real files, a loopback server."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import shutil
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lenet_viz.core import mnist
from lenet_viz.core.mnist import (
    DownloadCancelled,
    DownloadError,
    MnistError,
    download_mnist,
    has_mnist,
    load_mnist,
    parse_idx,
    read_idx,
    verify_mnist,
)


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


SAMPLE = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)


def test_round_trip_raw_and_gzip(tmp_path):
    raw, gz = tmp_path / "a-idx3-ubyte", tmp_path / "a.gz"
    raw.write_bytes(idx_bytes(SAMPLE))
    gz.write_bytes(gzip.compress(idx_bytes(SAMPLE)))
    for path in (raw, gz):
        out = read_idx(path)
        np.testing.assert_array_equal(out, SAMPLE)
        out[0, 0, 0] = 99  # writable, owned
    np.testing.assert_array_equal(parse_idx(idx_bytes(SAMPLE[0, 0])), SAMPLE[0, 0])


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x00\x00", "only 2 bytes"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"x", "magic"),
        (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"xxxx", "data type"),
        (b"\x00\x00\x08\x00", "dimension count 0"),
        (b"\x00\x00\x08\x05" + b"\x00" * 20, "dimension count 5"),
        (b"\x00\x00\x08\x02" + struct.pack(">I", 2), "header"),
        (idx_bytes(SAMPLE)[:-1], "truncated"),
        (idx_bytes(SAMPLE) + b"\x00", "trailing"),
    ],
)
def test_rejections_name_the_problem(data, message):
    with pytest.raises(MnistError, match=message) as info:
        parse_idx(data, "f.idx")
    assert "f.idx" in str(info.value)


def test_truncation_at_every_offset(tmp_path):
    full = idx_bytes(SAMPLE)
    for blob in (full, gzip.compress(full)):
        for cut in range(len(blob)):
            path = tmp_path / "cut"
            path.write_bytes(blob[:cut])
            with pytest.raises(MnistError):
                read_idx(path)


@settings(max_examples=1000, deadline=None)
@given(
    header=st.binary(min_size=0, max_size=24),
    flips=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=6),
    compress=st.booleans(),
)
def test_fuzzed_bytes_only_raise_mnist_error(header, flips, compress):
    blob = bytearray(header + idx_bytes(SAMPLE))
    for offset, value in flips:
        if offset < len(blob):
            blob[offset] = value
    data = gzip.compress(bytes(blob)) if compress else bytes(blob)
    if compress and flips:
        data = bytearray(data)
        offset, value = flips[0]
        data[offset % len(data)] = value
    try:
        parse_idx(mnist._decompress(bytes(data), "fuzz"), "fuzz")
    except MnistError:
        pass


def test_missing_file_and_unreadable(tmp_path):
    with pytest.raises(MnistError, match="no such file"):
        read_idx(tmp_path / "nope")
    with pytest.raises(MnistError, match="lenet-viz download"):
        load_mnist(tmp_path, "train")


def test_shared_mnist_loads(mnist_dir):
    images, labels = load_mnist(mnist_dir, "test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    train_images, train_labels = load_mnist(mnist_dir, "train")
    assert train_images.shape == (60000, 28, 28) and train_labels.shape == (60000,)
    assert verify_mnist(mnist_dir) == []


def test_wrong_shapes_are_rejected(tmp_path, mnist_dir):
    for key in ("test-images", "test-labels"):
        shutil.copy(mnist_dir / mnist.MNIST_FILES[key].filename, tmp_path)
    # Labels file swapped for one with the wrong count.
    (tmp_path / mnist.MNIST_FILES["test-labels"].filename).write_bytes(
        gzip.compress(idx_bytes(np.zeros(5, dtype=np.uint8)))
    )
    with pytest.raises(MnistError, match="shape"):
        load_mnist(tmp_path, "test")


# -- downloading against a loopback server -----------------------------------------------
class Server:
    """A loopback HTTP server whose behaviour per request the test chooses."""

    def __init__(self, folder: Path, mode: str = "ok") -> None:
        self.folder, self.mode, self.requests = folder, mode, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.path)
                name = self.path.rsplit("/", 1)[-1]
                path = outer.folder / name
                if outer.mode == "404" or not path.is_file():
                    self.send_error(404)
                    return
                body = path.read_bytes()
                if outer.mode == "wrong":
                    body = gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"abc")
                if outer.mode == "stall":
                    time.sleep(3)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.mode == "drop":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda request, address: None  # dropped clients are the point
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def serve(mnist_dir):
    servers = []

    def start(mode="ok"):
        servers.append(Server(mnist_dir, mode))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_download_success_with_progress(tmp_path, serve):
    server = serve()
    seen = []
    download_mnist(tmp_path, base_url=server.url, progress=lambda d, t, n: seen.append((d, t, n)))
    assert verify_mnist(tmp_path) == [] and has_mnist(tmp_path)
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and done[-1] > 10_000_000
    assert not list(tmp_path.glob("*.part"))
    # Already present and correct: nothing is requested again.
    count = len(server.requests)
    download_mnist(tmp_path, base_url=server.url)
    assert len(server.requests) == count


def test_a_wrong_existing_file_is_replaced(tmp_path, serve, mnist_dir):
    server = serve()
    name = mnist.MNIST_FILES["test-labels"].filename
    (tmp_path / name).write_bytes(b"junk")
    download_mnist(tmp_path, base_url=server.url)
    assert (tmp_path / name).read_bytes() == (mnist_dir / name).read_bytes()


@pytest.mark.parametrize("mode, message", [("wrong", "MD5"), ("drop", "dropped"), ("404", "404")])
def test_bad_servers_leave_no_data(tmp_path, serve, mode, message):
    server = serve(mode)
    with pytest.raises(DownloadError, match=message):
        download_mnist(tmp_path, base_url=server.url)
    assert not has_mnist(tmp_path)
    assert not list(tmp_path.glob("*.part"))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".gz")]


def test_stalled_server_times_out(tmp_path, serve):
    server = serve("stall")
    started = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        download_mnist(tmp_path, base_url=server.url, timeout=0.5)
    assert time.monotonic() - started < 3
    assert not list(tmp_path.iterdir())


def test_unreachable_server(tmp_path):
    with pytest.raises(DownloadError, match="127.0.0.1:1"):
        download_mnist(tmp_path, base_url="http://127.0.0.1:1/", timeout=2)


def test_cancel(tmp_path, serve):
    server = serve()
    cancel = threading.Event()
    with pytest.raises(DownloadCancelled):
        download_mnist(tmp_path, base_url=server.url, progress=lambda *a: cancel.set(), cancel=cancel)
    assert not list(tmp_path.iterdir())


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(MnistError, match="cannot write"):
        download_mnist(blocker / "sub")


def test_md5_values_match_the_shared_files(mnist_dir):
    for spec in mnist.MNIST_FILES.values():
        content = gzip.decompress((mnist_dir / spec.filename).read_bytes())
        assert hashlib.md5(content).hexdigest() == spec.md5
