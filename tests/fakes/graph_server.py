"""A fake Graph API as a real HTTP server on 127.0.0.1, for tests where a Celery worker sends.

The `responses` fake (tests/fakes/graph.py) patches `requests` inside the test process; a worker
is better served by a real socket: the whole client runs, connection handling included. This
server answers message sends like Graph does (a fresh wamid each), read receipts with
{"success": true}, records every request, and can be told to fail the next sends.

    with GraphServer() as server:
        settings.WHATSAPP_API_BASE_URL = server.url
        ...
        server.wait_for(lambda: server.texts(), timeout=20)
"""

import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGES_PATH = re.compile(r"^/(?P<version>[^/]+)/(?P<phone_number_id>[^/]+)/messages/?$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict
    body: dict | None
    status: int  # what the fake answered
    response: dict


def graph_error_body(code: int, message: str = "error", details: str = "") -> dict:
    return {"error": {"message": message, "type": "OAuthException", "code": code,
                      "error_data": {"messaging_product": "whatsapp", "details": details},
                      "fbtrace_id": "Afake"}}


class GraphServer:
    """A ThreadingHTTPServer on an ephemeral port, served from a daemon thread until stop()."""

    def __init__(self, host: str = "127.0.0.1"):
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: list[tuple[int, dict]] = []
        self._ids = itertools.count(1)
        self._run = uuid.uuid4().hex[:12].upper()  # wamids stay unique across servers and runs
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "GraphServer":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-graph-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> "GraphServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- scripting -------------------------------------------------------------------------------
    def fail_next(self, count: int = 1, status: int = 500, body: dict | None = None) -> None:
        """The next `count` message sends (not read receipts) get `status` with `body`."""
        if body is None:
            body = graph_error_body(1, "An unknown error occurred") if status >= 500 else graph_error_body(100)
        with self._lock:
            self._failures.extend([(status, body)] * count)

    # --- what was asked --------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def _message_bodies(self) -> list[dict]:
        return [r.body for r in self.requests
                if r.method == "POST" and MESSAGES_PATH.match(r.path) and isinstance(r.body, dict)]

    def sent(self, kind: str | None = None) -> list[dict]:
        """Bodies POSTed as messages (read receipts excluded), optionally of one type."""
        return [b for b in self._message_bodies() if "type" in b and (kind is None or b["type"] == kind)]

    def read_receipts(self) -> list[dict]:
        return [b for b in self._message_bodies() if b.get("status") == "read"]

    def texts(self) -> list[str]:
        """The text bodies sent, failed attempts included."""
        return [b["text"]["body"] for b in self.sent("text")]

    def accepted(self) -> list[RecordedRequest]:
        """Message sends the fake accepted (answered 200 with a wamid), in order."""
        return [r for r in self.requests if r.status == 200 and "messages" in r.response]

    def accepted_texts(self) -> list[str]:
        return [r.body["text"]["body"] for r in self.accepted() if r.body.get("type") == "text"]

    def wamids(self) -> list[str]:
        """The wamids handed out, in order."""
        return [r.response["messages"][0]["id"] for r in self.accepted()]

    def wait_for(self, condition, *, timeout: float = 20.0, interval: float = 0.05):
        """Poll until `condition()` is truthy and return it; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"Nothing matched within {timeout} s; requests so far: {self.requests}")
            time.sleep(interval)

    # --- answering (called from the server's handler threads) --------------------------------------
    def _answer(self, method: str, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            status, document = self._decide(method, path, body)
            self._requests.append(RecordedRequest(method=method, path=path, headers=headers, body=body,
                                                  status=status, response=document))
        return status, document

    def _decide(self, method: str, path: str, body) -> tuple[int, dict]:
        if method != "POST" or not MESSAGES_PATH.match(path):
            return 404, graph_error_body(100, "Unsupported request")
        if not isinstance(body, dict):
            return 400, graph_error_body(100, "Invalid JSON body")
        if body.get("status") == "read":
            return 200, {"success": True}
        if self._failures:
            return self._failures.pop(0)
        to = str(body.get("to", ""))
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
            "messages": [{"id": f"wamid.FAKE{self._run}{next(self._ids):06d}"}],
        }


def _handler_for(fake: GraphServer):
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so no handler thread outlives its answer.
        protocol_version = "HTTP/1.0"

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, document = fake._answer(self.command, self.path, dict(self.headers.items()), raw)
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler
