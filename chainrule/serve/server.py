"""The prediction server: the standard library's `ThreadingHTTPServer` around a model bundle.

    GET  /         the web page (upload an image or draw a digit, see the class probabilities)
    GET  /health   {"status": "ok"}
    GET  /info     the model's input shape and dtype, class names, metadata
    POST /predict  {"inputs": <one sample or a batch>, "top": k}  ->  {"predictions": [...]}
                   or the bytes of an image file (Content-Type: image/png, image/jpeg, ...)

Every error is a JSON `{"error": message}` with a 4xx status (5xx only for a fault in the model), and
no request can stop the server: each runs in its own thread, bodies above `max_body` bytes are refused
unread, and a client that stalls is dropped after `timeout` seconds.
"""
from __future__ import annotations

import json
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple

from ..io.bundle import Bundle, InputError
from .page import PAGE

DEFAULT_MAX_BODY = 4 * 1024 * 1024
ROUTES = {"/": ("GET",), "/health": ("GET",), "/info": ("GET",), "/predict": ("POST",)}


class HTTPError(Exception):
    """An error answered to the client with `status` and a JSON message."""

    def __init__(self, status: HTTPStatus, message: str, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class PredictionServer(ThreadingHTTPServer):
    """Serves one bundle; `server.url` is its address once bound (port 0 picks a free port)."""

    daemon_threads = True

    def __init__(self, bundle: Bundle, host: str = "127.0.0.1", port: int = 8000, *, name: str = "model",
                 max_body: Optional[int] = None, timeout: float = 30.0, log: bool = True) -> None:
        self.bundle, self.name = bundle, name
        self.max_body = DEFAULT_MAX_BODY if max_body is None else int(max_body)
        self.request_timeout, self.log = timeout, log
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class Handler(BaseHTTPRequestHandler):
    """One request: routed by path and method, answered in JSON (or the page)."""

    server: PredictionServer
    server_version = "chainrule"
    error_content_type = "application/json"

    def setup(self) -> None:
        self.timeout = self.server.request_timeout
        super().setup()

    # every method goes through one dispatcher, so a wrong one is a 405 naming the allowed ones
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if path not in ROUTES:
                raise HTTPError(HTTPStatus.NOT_FOUND, f"no such path {path!r}; the paths are {', '.join(ROUTES)}")
            if method not in ROUTES[path]:
                allowed = ", ".join(ROUTES[path])
                raise HTTPError(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} accepts {allowed}, not {method}",
                                {"Allow": allowed})
            if path == "/":
                self._send(HTTPStatus.OK, PAGE.encode(), "text/html; charset=utf-8")
            elif path == "/health":
                self._json(HTTPStatus.OK, {"status": "ok"})
            elif path == "/info":
                self._json(HTTPStatus.OK, {"name": self.server.name, **self.server.bundle.info()})
            else:
                self._json(HTTPStatus.OK, self._predict())
        except HTTPError as e:
            self._json(e.status, {"error": e.message}, e.headers)
        except Exception as e:  # a fault in the model: report it, keep serving
            traceback.print_exc(file=sys.stderr)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"prediction failed: {type(e).__name__}: {e}"})

    # -- /predict ----------------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            raise HTTPError(HTTPStatus.LENGTH_REQUIRED, "a POST needs a Content-Length header")
        if not length.isdigit():
            raise HTTPError(HTTPStatus.BAD_REQUEST, f"Content-Length must be a number of bytes, got {length!r}")
        if int(length) > self.server.max_body:
            raise HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                            f"the body is {length} bytes; the limit is {self.server.max_body}")
        try:
            body = self.rfile.read(int(length))
        except OSError:  # the client stalled past the timeout or went away
            self.close_connection = True
            raise HTTPError(HTTPStatus.REQUEST_TIMEOUT, "the body did not arrive in time") from None
        if len(body) != int(length):
            raise HTTPError(HTTPStatus.BAD_REQUEST, f"the body ended after {len(body)} of {length} bytes")
        return body

    def _predict(self) -> Dict[str, Any]:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json" and not kind.startswith("image/"):
            raise HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"send application/json ({{\"inputs\": [...]}}) or "
                            f"an image (image/png, image/jpeg, ...), not {kind or 'no Content-Type'}")
        body = self._body()
        bundle = self.server.bundle
        try:
            if kind.startswith("image/"):
                inputs, top = bundle.read_image(body), None
            else:
                inputs, top = _parse(body)
            return {"predictions": bundle.results(inputs, top=top)}
        except InputError as e:
            raise HTTPError(HTTPStatus.BAD_REQUEST, str(e)) from None
        except ImportError as e:
            raise HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(e)) from None

    # -- answers ---------------------------------------------------------------------------------------------
    def _json(self, status: HTTPStatus, payload: Any, headers: Optional[Dict[str, str]] = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, headers: Optional[Dict[str, str]] = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client went away before the answer: nothing to tell it
            self.close_connection = True

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """The standard library's own errors (malformed request line, unknown method) as JSON too,
        with a status line even when the request line was too broken to name an HTTP version."""
        status = HTTPStatus(code)
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        self._json(status, {"error": message or status.phrase})

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            super().log_message(format, *args)


def _parse(body: bytes) -> Tuple[Any, Optional[int]]:
    """The inputs and `top` of a JSON request."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise InputError(f"the body is not valid JSON: {e}") from None
    if not isinstance(request, dict) or "inputs" not in request:
        raise InputError('expected a JSON object {"inputs": <one sample or a list of samples>, "top": k}')
    unknown = sorted(set(request) - {"inputs", "top"})
    if unknown:
        raise InputError(f"unknown fields {unknown}; a request has 'inputs' and optionally 'top'")
    top = request.get("top")
    if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 1):
        raise InputError(f"'top' must be a positive integer, got {top!r}")
    return request["inputs"], top


def serve(bundle: Bundle, host: str = "127.0.0.1", port: int = 8000, *, name: Optional[str] = None,
          max_body: Optional[int] = None) -> None:
    """Serve `bundle` until interrupted (Ctrl+C)."""
    server = PredictionServer(bundle, host, port, name=name or "model", max_body=max_body)
    print(f"serving {server.name} at {server.url} (POST /predict, GET /health, GET /info); Ctrl+C stops",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["DEFAULT_MAX_BODY", "PredictionServer", "serve"]
