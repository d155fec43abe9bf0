"""The prediction server over loopback: correct answers to good requests, a JSON 4xx for every kind of bad
one, concurrent clients all served, and the server healthy after all of it."""
import http.client
import io
import json
import re
import socket
import threading

import numpy as np
import pytest

from tests.serve.conftest import MAX_BODY


def request(server, method, path, body=None, headers=None):
    """(status, headers, decoded JSON or text) of one request on a new connection."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        kind = response.getheader("Content-Type", "")
        return response.status, response, json.loads(raw) if kind == "application/json" else raw.decode()
    finally:
        conn.close()


def raw_exchange(server, data: bytes) -> bytes:
    """Send raw bytes and read the whole answer (for requests http.client will not make)."""
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def pixels(seed, n=None):
    shape = (28, 28) if n is None else (n, 28, 28)
    return np.random.default_rng(seed).integers(0, 256, shape)


def test_health_info_and_page(server):
    status, response, body = request(server, "GET", "/health")
    assert status == 200 and body == {"status": "ok"}
    assert response.getheader("Content-Type") == "application/json"
    status, _, info = request(server, "GET", "/info")
    assert status == 200 and info["name"] == "digits" and info["input_shape"] == [28, 28]
    assert info["class_names"] == [str(d) for d in range(10)] and info["image_mode"] == "L"
    status, response, page = request(server, "GET", "/?draw=1,1")
    assert status == 200 and response.getheader("Content-Type").startswith("text/html")
    assert "<canvas" in page and 'fetch("predict"' in page


def test_predict_one_sample_and_a_batch(server):
    sample = pixels(0)
    status, _, body = request(server, "POST", "/predict", {"inputs": sample.tolist()})
    assert status == 200 and body == {"predictions": server.bundle.results(sample)}
    batch = pixels(1, 3)
    status, _, body = request(server, "POST", "/predict", {"inputs": batch.tolist(), "top": 2})
    assert status == 200 and body["predictions"] == server.bundle.results(batch, top=2)
    probabilities = server.bundle.predict(batch)
    for row, p in zip(body["predictions"], probabilities):
        assert row["index"] == int(p.argmax()) and len(row["probabilities"]) == 2
        assert row["probabilities"][0]["probability"] == pytest.approx(float(p.max()), rel=1e-6)


def test_predict_an_uploaded_image(server):
    Image = pytest.importorskip("PIL.Image")
    buf = io.BytesIO()
    Image.fromarray(pixels(2).astype(np.uint8)).resize((56, 56)).save(buf, format="PNG")
    status, _, body = request(server, "POST", "/predict", buf.getvalue(), {"Content-Type": "image/png"})
    assert status == 200
    assert body["predictions"] == server.bundle.results(server.bundle.read_image(buf.getvalue()))


BAD = [
    ("POST", "/predict", b"{not json", {"Content-Type": "application/json"}, 400, "not valid JSON"),
    ("POST", "/predict", b"[" * 50000 + b"]" * 50000, {"Content-Type": "application/json"}, 400, "not valid JSON"),
    ("POST", "/predict", [1, 2, 3], None, 400, "expected a JSON object"),
    ("POST", "/predict", {"input": [1]}, None, 400, "expected a JSON object"),
    ("POST", "/predict", {"inputs": [1], "extra": 1}, None, 400, r"unknown fields \['extra'\]"),
    ("POST", "/predict", {"inputs": [[1, 2], [3, 4]]}, None, 400, r"expected input of shape \(N, 28, 28\)"),
    ("POST", "/predict", {"inputs": [["a"] * 28] * 28}, None, 400, "expected numbers"),
    ("POST", "/predict", {"inputs": "hello"}, None, 400, "expected numbers"),
    ("POST", "/predict", {"inputs": [[0] * 28] * 27 + [[0] * 5]}, None, 400, "not a regular array|mixed"),
    ("POST", "/predict", {"inputs": [[300] * 28] * 28}, None, 400, r"0\.\.255"),
    ("POST", "/predict", {"inputs": [[0] * 28] * 28, "top": 0}, None, 400, "'top' must be a positive integer"),
    ("POST", "/predict", {"inputs": [[0] * 28] * 28, "top": "3"}, None, 400, "'top' must be a positive integer"),
    ("POST", "/predict", b"x", {"Content-Type": "image/png"}, 400, "cannot read the image"),
    ("POST", "/predict", b"1,2,3", {"Content-Type": "text/csv"}, 415, "send application/json"),
    ("POST", "/predict", b"{}", {"Content-Type": "application/json", "Content-Length": str(MAX_BODY + 1)}, 413,
     f"the limit is {MAX_BODY}"),
    ("POST", "/predict", b"{}", {"Content-Type": "application/json", "Content-Length": "-5"}, 400,
     "Content-Length must be a number"),
    ("GET", "/nowhere", None, None, 404, "no such path '/nowhere'"),
    ("GET", "/predict", None, None, 405, "/predict accepts POST, not GET"),
    ("POST", "/health", b"{}", {"Content-Type": "application/json"}, 405, "/health accepts GET, not POST"),
    ("DELETE", "/", None, None, 405, "accepts GET"),
    ("PUT", "/info", b"{}", None, 405, "accepts GET"),
    ("BREW", "/", None, None, 501, "Unsupported method"),
]


@pytest.mark.parametrize("method, path, body, headers, status, message", BAD,
                         ids=[f"{i}-{case[4]}-{case[5][:30]}" for i, case in enumerate(BAD)])
def test_bad_requests_get_json_errors(server, method, path, body, headers, status, message):
    got, response, answer = request(server, method, path, body, headers)
    assert got == status and response.getheader("Content-Type") == "application/json"
    assert set(answer) == {"error"}
    assert re.search(message, answer["error"]), answer
    if status == 405:
        assert response.getheader("Allow") in ("GET", "POST")


def test_requests_http_client_will_not_make(server):
    no_length = raw_exchange(server, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n")
    assert no_length.startswith(b"HTTP/1.0 411") and b'"error": "a POST needs a Content-Length header"' in no_length
    short = raw_exchange(server, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 100\r\n\r\n{\"inputs\"")
    assert short.startswith(b"HTTP/1.0 400") and b"the body ended after 9 of 100 bytes" in short
    garbage = raw_exchange(server, b"\x00\x01garbage\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.0 400") and b'{"error": ' in garbage


def test_a_stalled_client_does_not_block_others(server):
    with socket.create_connection(server.server_address[:2], timeout=10) as stalled:
        stalled.sendall(b"POST /predict HTTP/1.1\r\nContent-Length: 50\r\n")  # and then nothing
        status, _, body = request(server, "GET", "/health")
        assert status == 200 and body == {"status": "ok"}


def test_concurrent_clients_are_all_served(server):
    threads, failures, done = 8, [], []
    expected = {seed: server.bundle.results(pixels(seed), top=3) for seed in range(threads)}

    def client(seed):
        try:
            for i in range(25):
                if i % 5 == 4:
                    status, _, body = request(server, "GET", "/health")
                    ok = status == 200
                else:
                    status, _, body = request(server, "POST", "/predict", {"inputs": pixels(seed).tolist(), "top": 3})
                    ok = status == 200 and body["predictions"] == expected[seed]
                (done if ok else failures).append((seed, i, status))
        except Exception as e:  # reported by the assertion below
            failures.append((seed, repr(e)))

    workers = [threading.Thread(target=client, args=(seed,)) for seed in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not failures and len(done) == threads * 25
    assert request(server, "GET", "/health")[:1] == (200,)
