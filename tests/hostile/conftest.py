"""Fixtures of the hostile suite (issue 26); the helpers are in hostile_helpers.py."""

import pytest
from hostile_helpers import Command


@pytest.fixture
def command():
    started = []

    def start(args, cwd, env):
        c = Command(args, cwd, env)
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()
        c.p.wait(10)


@pytest.fixture
def mirror():
    """A web server on 127.0.0.1 in a thread of the test, never the internet. ``routes`` maps a
    path's first segment to a behaviour ``fn(handler, name)``; yields (routes, base URL)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        routes: dict = {}
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            parts = self.path.lstrip("/").split("/", 1)
            fn = self.routes.get(parts[0])
            if fn is None or len(parts) < 2:
                self.send_error(404)
                return
            try:
                fn(self, parts[1])
            except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
                pass

        def log_message(self, *args):
            pass

    handler = type("H", (Handler,), {"routes": {}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield handler.routes, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
