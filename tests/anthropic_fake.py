"""A local server speaking Anthropic's Messages API wire format (real sockets), with scripted failures."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "sk-ant-test"
# What the fake model answers for each instruction (the JSON the parser prompt asks for).
ANSWERS = {
    "Sarah at Meridian is key — make her high priority, she's our CFO champion": {
        "action": "update", "target_kind": "contact", "target": "Sarah", "company_hint": "Meridian",
        "priority": "high", "note": "CFO champion", "recontact": None, "stage": None, "question": None},
    "Let's circle back with Acme's fleet deal after the summer": {
        "action": "update", "target_kind": "deal", "target": "Acme Fleet Analytics", "company_hint": None,
        "priority": None, "note": None, "recontact": "September", "stage": None, "question": None},
    "do the thing": {"action": "unknown", "question": "Which record, and what should change?"},
    # the current answer shape: several changes, on several records
    "volta's in negotiation now, worth 80k — and ping Priya end of Q1": {
        "targets": [{"name": "Volta Energy — Pilot", "kind": "deal", "company": None},
                    {"name": "Priya", "kind": "contact", "company": None}],
        "changes": [{"target": 0, "field": "stage", "value": "negotiation"},
                    {"target": 1, "field": "recontact", "value": "end of Q1"}],
        "question": None},
    # the model names a stage or a person the client has not as one: the same rule, a question
    "Stanton is lost": {"targets": [{"name": "Volta", "kind": "deal", "company": None}],
                        "changes": [{"target": 0, "field": "stage", "value": "Closed Lost"}], "question": None},
    "make Sarah high priority": {"targets": [{"name": "Sarah", "kind": "contact", "company": None}],
                                 "changes": [{"target": 0, "field": "priority", "value": "high"}], "question": None},
}


class FakeAnthropic:
    """``status``: what every request gets; ``first``: (status, headers) answered to the first requests."""

    def __init__(self, status: int = 200, first: list[tuple[int, dict[str, str]]] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.first = list(first or [])
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if self.path != "/v1/messages" or self.headers.get("x-api-key") != KEY:
                    return self._send(401, {"type": "error", "error": {"type": "authentication_error",
                                                                       "message": "invalid x-api-key"}})
                code, headers = outer.first.pop(0) if outer.first else (status, {})
                if code != 200:
                    kind = "rate_limit_error" if code == 429 else "overloaded_error"
                    return self._send(code, {"type": "error", "error": {"type": kind, "message": kind}}, headers)
                user = body["messages"][0]["content"]
                if user in ANSWERS:
                    text = "```json\n" + json.dumps(ANSWERS[user]) + "\n```"
                else:  # an ad-hoc query: phrase the facts
                    text = "Here is what I found: " + user.split("Facts (from the CRM):\n", 1)[-1][:80]
                self._send(200, {"id": "msg_01", "type": "message", "role": "assistant", "model": body["model"],
                                 "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                                 "usage": {"input_tokens": 1000, "output_tokens": 200}})

            def _send(self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
