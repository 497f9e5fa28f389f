"""An OpenAI-compatible server on 127.0.0.1, scripted per test. The real `openai` client talks to it.

Script chat answers with `fake.reply("text")`, `fake.call("tool", {...}, ...)` (one round of
tool calls, several for parallel calls), `fake.fail(500)`; transcriptions with `fake.transcript`.
Every request body is kept in `fake.chat_requests` / `fake.transcription_requests`.

A request that reads a photo (an image part, no tools: agent.photos) is answered apart, with
`fake.photo_reading` (or `fake.photo_status`, an error), and kept in `fake.photo_requests`, not in
`chat_requests`: the script is the turn's.

`fake.obey()` makes it, once its script is used up, a model that obeys any instruction it reads:
every "call <tool> {json}" in anything it is sent (the prompt, the person's messages, tool results,
however deeply quoted) is called, once each, as asked.
"""

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INSTRUCTION = re.compile(r"call (\w+) (\{[^{}]*\})", re.IGNORECASE)


def _strings(value):
    """Every string in a message, also inside JSON that is itself inside a string (tool results)."""
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            inner = None
        if isinstance(inner, (dict, list)):
            yield from _strings(inner)
        else:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _has_image(body: dict) -> bool:
    return any(isinstance(m.get("content"), list) and any(p.get("type") == "image_url" for p in m["content"])
               for m in body.get("messages", []))


class FakeOpenAI:
    def __init__(self):
        self.script: list = []
        self.chat_requests: list[dict] = []
        self.authorizations: list[str] = []
        self.transcription_requests: list[bytes] = []
        self.transcript = "spent 42.50 on fuel yesterday"
        self.transcription_status = 200
        self.photo_requests: list[dict] = []
        self.photo_reading = "Receipt. Merchant: Trattoria. Date: 2026-01-15. EUR. Gross 18.90, tax 1.72. 2 pasta."
        self.photo_status = 200
        self.usage = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.obedient = False
        self.obeyed: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with fake._lock:
                    fake.authorizations.append(self.headers.get("Authorization", ""))
                if self.path.endswith("/chat/completions"):
                    status, document = fake._chat(json.loads(body))
                elif self.path.endswith("/audio/transcriptions"):
                    with fake._lock:
                        fake.transcription_requests.append(body)
                    status = fake.transcription_status
                    document = {"text": fake.transcript} if status == 200 else {"error": {"message": "boom"}}
                else:
                    status, document = 404, {"error": {"message": "not found"}}
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        # A short poll interval: shutdown() waits for it, once per test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # --- scripting -------------------------------------------------------------------------------
    def reply(self, text: str):
        self.script.append(("text", text))
        return self

    def call(self, *calls):
        """One assistant turn with tool calls: call(("record_expense", {...}), ("list_expenses", {...}))."""
        self.script.append(("tools", calls))
        return self

    def fail(self, status: int = 500, times: int = 1):
        for _ in range(times):
            self.script.append(("fail", status))
        return self

    def obey(self):
        self.obedient = True
        return self

    def tool_results(self, request_index: int = -1) -> list[dict]:
        """The tool messages the model was sent in one request, parsed."""
        return [json.loads(m["content"]) for m in self.chat_requests[request_index]["messages"] if m["role"] == "tool"]

    # --- serving ---------------------------------------------------------------------------------
    def _chat(self, body: dict):
        if "tools" not in body and _has_image(body):
            with self._lock:
                self.photo_requests.append(body)
            step = ("text", self.photo_reading) if self.photo_status == 200 else ("fail", self.photo_status)
            return self._answer(body, step)
        with self._lock:
            self.chat_requests.append(body)
            if self.script:
                step = self.script.pop(0)
            elif self.obedient:
                step = self._obey(body)
            else:
                step = ("text", "OK.")
        return self._answer(body, step)

    def _answer(self, body: dict, step):
        kind, value = step
        if kind == "fail":
            return value, {"error": {"message": "upstream failure", "type": "server_error"}}
        message = {"role": "assistant", "content": None}
        finish = "stop"
        if kind == "text":
            message["content"] = value
        else:
            finish = "tool_calls"
            message["tool_calls"] = [
                {"id": f"call_{next(self._ids)}", "type": "function",
                 "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
                for name, args in value
            ]
        return 200, {
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": 0,
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": self.usage,
        }

    def _obey(self, body: dict):
        calls = []
        for text in _strings(body.get("messages", [])):
            for name, arguments in INSTRUCTION.findall(text):
                if (name, arguments) not in self.obeyed:
                    self.obeyed.append((name, arguments))
                    calls.append((name, arguments))
        return ("tools", calls) if calls else ("text", "Done, as instructed.")
