"""Downloads against a small HTTP server on 127.0.0.1 started here: a good file, a corrupted one
(checksum mismatch), a truncated transfer, an unreachable mirror; never a partial file left behind."""
import hashlib
import http.server
import io
import socket
import tarfile
import threading

import numpy as np
import pytest

from chainrule.data import write_idx
from chainrule.data.datasets import CIFAR10, MNIST
from chainrule.data.download import DownloadError, download
from tests.data.test_prep_datasets import write_cifar

FILES = {}  # name -> bytes served under /good/


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        kind, _, name = self.path.strip("/").partition("/")
        body = FILES.get(name)
        if body is None:
            self.send_error(404)
            return
        if kind == "corrupt":
            body = body[:-1] + bytes([body[-1] ^ 0xFF])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if kind == "truncated" else body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def direct_connections(monkeypatch):
    """The test server is on this machine: no proxy from the environment in between."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


@pytest.fixture(scope="module")
def mnist_resources(tmp_path_factory):
    """Tiny MNIST-format files and their MD5s, as served by the test server."""
    folder = tmp_path_factory.mktemp("served")
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": np.array([0, 9, 2, 2], np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": np.array([5, 6], np.uint8)}
    resources = []
    for name, array in arrays.items():
        write_idx(folder / name, array)
        FILES[name] = (folder / name).read_bytes()
        resources.append((name, hashlib.md5(FILES[name]).hexdigest()))
    return resources, arrays


def _mnist_class(mirrors, resources):
    return type("MNIST", (MNIST,), {"mirrors": mirrors, "resources": resources})


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_download_good_files_then_load(tmp_path, server, mnist_resources):
    resources, arrays = mnist_resources
    ds = _mnist_class([server + "good/"], resources)(tmp_path, download=True)
    assert ds.targets.tolist() == [0, 9, 2, 2]
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train-images-idx3-ubyte.gz"])
    assert _leftovers(tmp_path) == sorted(name for name, _ in resources)
    assert (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").is_file()


@pytest.mark.parametrize("kind,message", [("corrupt", "checksum mismatch"), ("truncated", "IncompleteRead|truncated"),
                                          ("missing", "404")])
def test_bad_transfer_leaves_no_file(tmp_path, server, mnist_resources, kind, message):
    resources, _ = mnist_resources
    if kind == "missing":
        resources = [("nothing-here.gz", "0" * 32)] + resources[1:]
    cls = _mnist_class([server + kind + "/"], resources)
    with pytest.raises(DownloadError, match=message) as e:
        cls(tmp_path, download=True)
    assert "put it at" in str(e.value)
    assert _leftovers(tmp_path) == []
    with pytest.raises(RuntimeError, match="Dataset not found"):  # and nothing loads afterwards
        cls(tmp_path)


def test_next_mirror_is_tried_after_a_failure(tmp_path, server, mnist_resources):
    resources, _ = mnist_resources
    ds = _mnist_class([server + "corrupt/", server + "truncated/", server + "good/"], resources)(
        tmp_path, train=False, download=True)
    assert ds.targets.tolist() == [5, 6]


def test_offline_error_says_where_to_put_the_file(tmp_path, mnist_resources):
    resources, _ = mnist_resources
    with pytest.raises(DownloadError) as e:
        _mnist_class([_closed_port()], resources)(tmp_path, download=True)
    message = str(e.value)
    assert "could not download train-images-idx3-ubyte.gz" in message and "offline" in message
    assert str(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz") in message
    assert _leftovers(tmp_path) == []


def test_download_existing_files_are_not_fetched_again(tmp_path, mnist_resources):
    resources, _ = mnist_resources
    for name, _ in resources:
        (tmp_path / name).write_bytes(FILES[name])
    ds = _mnist_class([_closed_port()], resources)(tmp_path, download=True)  # nothing to fetch: no network
    assert len(ds) == 4


def test_download_function_returns_path(tmp_path, server, mnist_resources):
    resources, _ = mnist_resources
    name, md5 = resources[1]
    path = download([server + "good/" + name], tmp_path / "sub" / name, md5)
    assert path.read_bytes() == FILES[name]


def _cifar_archive(tmp_path, extra=None):
    source = tmp_path / "source"
    images, targets = write_cifar(source / "cifar-10-batches-bin", per_batch=2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(source / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
        if extra:
            info = tarfile.TarInfo(extra)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
    return buf.getvalue(), images, targets


def test_cifar10_download_extracts_only_expected_files(tmp_path, server):
    archive, images, targets = _cifar_archive(tmp_path, extra="../escaped.txt")
    FILES["cifar-10-binary.tar.gz"] = archive
    root = tmp_path / "root"
    cls = type("CIFAR10", (CIFAR10,), {"mirrors": [server + "good/"],
                                       "archive": ("cifar-10-binary.tar.gz", hashlib.md5(archive).hexdigest())})
    ds = cls(root, train=False, download=True)
    np.testing.assert_array_equal(ds.data, images["test_batch.bin"])
    assert ds.targets == targets["test_batch.bin"]
    assert not (tmp_path / "escaped.txt").exists() and not (root / "escaped.txt").exists()
    assert len(cls(root)) == 10


def test_cifar10_corrupt_archive_is_not_kept(tmp_path, server):
    archive, _, _ = _cifar_archive(tmp_path)
    FILES["cifar-10-binary.tar.gz"] = archive
    cls = type("CIFAR10", (CIFAR10,), {"mirrors": [server + "corrupt/"],
                                       "archive": ("cifar-10-binary.tar.gz", hashlib.md5(archive).hexdigest())})
    with pytest.raises(DownloadError, match="checksum mismatch"):
        cls(tmp_path / "root", download=True)
    assert _leftovers(tmp_path / "root") == []
