"""A local stand-in for the remote LLM: speaks OpenAI chat-completions over real HTTP.

Each test scripts the replies: ``server.script(Reply(...), ...)`` queues responses served in
order (the last one repeats), or ``server.respond_with(fn)`` computes each reply from the request.
Requests are recorded for assertions. Streaming (SSE) included.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Literal


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    delay_s: float = 0.0  # before the first byte
    body: str | None = None  # raw body instead of a completion (for garbage responses)
    # How a stream ends: finished and [DONE]; finished but no [DONE]; or cut (neither, connection closed).
    ending: Literal["done", "no-done", "cut"] = "done"


_PASSAGE = re.compile(r'<passage-(?P<boundary>[0-9a-f]+) id="(?P<id>\d+)"[^>]*>\n?(?P<text>.*?)\n?</passage-(?P=boundary)>', re.S)


def passages_in(request: dict) -> dict[int, str]:
    """The passages the prompt gave the model, by number."""
    user = request["messages"][-1]["content"]
    return {int(m.group("id")): m.group("text") for m in _PASSAGE.finditer(user)}


def question_in(request: dict) -> str:
    """What follows the fenced passages in the prompt: the question."""
    return re.split(r"</passages-[0-9a-f]+>", request["messages"][-1]["content"])[-1].strip()


def fenced(request: dict) -> bool:
    """Were passages sent inside a boundary?"""
    return bool(re.search(r"<passages-([0-9a-f]{12})>.*</passages-\1>", request["messages"][-1]["content"], re.S))


class StandInLLM:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self._replies: list[Reply] = [Reply("")]
        self._responder: Callable[[dict], Reply] | None = None
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                reply = standin._next(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.status != 200 or reply.body is not None:
                    payload = (reply.body or json.dumps({"error": {"message": "scripted failure"}})).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if request.get("stream"):
                    self._stream(request, reply.content, reply.ending)
                    return
                payload = json.dumps(_completion(request, reply.content)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, request: dict, content: str, ending: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [content[i : i + 4] for i in range(0, len(content), 4)] or [""]
                for piece in pieces:
                    chunk = {
                        "id": "chatcmpl-standin",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": request.get("model", "standin"),
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                if ending == "cut":
                    self.close_connection = True
                    return
                end = {
                    "id": "chatcmpl-standin",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": request.get("model", "standin"),
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                done = "data: [DONE]\n\n" if ending == "done" else ""
                self.wfile.write(f"data: {json.dumps(end)}\n\n{done}".encode())
                self.wfile.flush()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client that gave up (timeout tests) is expected, not an error

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _next(self, request: dict) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._responder is not None:
                return self._responder(request)
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies = list(replies)
            self._responder = None
            self.requests.clear()

    def respond_with(self, responder: Callable[[dict], Reply]) -> None:
        with self._lock:
            self._responder = responder
            self.requests.clear()

    def app_env(self, storage, corpus, **extra: str) -> dict[str, str]:
        """The environment of an app (fake embedder, clean of the caller's settings) whose LLM is this stand-in."""
        from tests.conftest import clean_env

        return clean_env(
            GUANWEN_STORAGE_DIR=str(storage),
            GUANWEN_CORPUS_DIR=str(corpus),
            GUANWEN_EMBED_MODEL="fake",
            OPENAI_API_KEY="test-key",
            OPENAI_BASE_URL=self.base_url,
            GUANWEN_LLM_MODEL="standin",
            **extra,
        )

    def __enter__(self) -> "StandInLLM":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _completion(request: dict, content: str) -> dict:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "standin"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
