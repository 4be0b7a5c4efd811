"""A local HTTP server speaking People Data Labs' enrich wire format, for tests and the UI benchmark.

``/v5/person/enrich`` and ``/v5/company/enrich`` with ``X-Api-Key``: 200 with likelihood + data on a match,
404 when nothing matches, 429 ``rate_limit_error`` with ``retry-after`` when told to, 500 for emails in
``fail``. Runs in a thread on 127.0.0.1 with a free port; every request is recorded.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API_KEY = "test-key"


@dataclass
class Script:
    fail: set[str] = field(default_factory=set)          # emails answered with 500
    no_match: set[str] = field(default_factory=set)      # emails answered with 404
    rate_limit_first: int = 0                            # this many first requests get 429
    retry_after: str = "1"
    exhaust_once: bool = False                           # first match says remaining 0, reset in 1 s
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PDLServer:
    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        script = self.script

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("x-ratelimit-limit", "1000")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                with script.lock:
                    script.statuses[status] += 1

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                with script.lock:
                    script.requests.append((url.path, params))
                    limited = script.rate_limit_first > 0
                    if limited:
                        script.rate_limit_first -= 1
                if self.headers.get("X-Api-Key") != API_KEY:
                    return self._send(401, {"status": 401, "error": {"type": "authentication_error",
                                                                     "message": "bad key"}})
                if limited:
                    return self._send(429, {"status": 429, "error": {"type": "rate_limit_error",
                                                                     "message": "too many requests"}},
                                      {"retry-after": script.retry_after, "x-ratelimit-remaining": "0"})
                if url.path == "/v5/person/enrich":
                    email = params.get("email", "")
                    if email in script.fail:
                        return self._send(500, {"status": 500, "error": {"type": "server_error",
                                                                         "message": "upstream failure"}})
                    if email in script.no_match:
                        return self._send(404, {"status": 404, "error": {"type": "not_found",
                                                                         "message": "No records were found"}})
                    handle = email.split("@")[0] or "someone"
                    with script.lock:
                        exhausted, script.exhaust_once = script.exhaust_once, False
                    return self._send(200, {"status": 200, "likelihood": 8, "data": {
                        "full_name": params.get("first_name", ""), "linkedin_url": f"linkedin.com/in/{handle}",
                        "job_title": "Enriched Title", "job_company_size": "51-200",
                        "job_company_industry": "computer software"}},
                        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"} if exhausted
                        else {"x-ratelimit-remaining": "999"})
                if url.path == "/v5/company/enrich":
                    name = params.get("name") or params.get("website") or "company"
                    return self._send(200, {"status": 200, "likelihood": 9, "name": name, "size": "201-500",
                                            "employee_count": 320, "industry": "logistics",
                                            "linkedin_url": f"linkedin.com/company/{name.lower().replace(' ', '-')}"})
                return self._send(404, {"status": 404, "error": {"type": "not_found", "message": "no route"}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "PDLServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":  # a standalone server for benchmarks: prints its URL, serves until killed
    import sys
    import time

    with PDLServer() as server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)
