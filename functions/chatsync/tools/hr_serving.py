"""Serve the bridges on loopback: ``serve_scim`` and ``serve_webhooks`` (and ``LocalServer``).

    serve_scim(8095, token="dev-token", out="hr-events.jsonl")   # blocks until Ctrl-C
    with LocalServer(app.wsgi) as server: ... server.url ...     # tests: a thread, a free port

Events go to the Pub/Sub emulator when ``PUBSUB_EMULATOR_HOST`` is set, else one JSON line per
event to *out*. State lives in memory unless ``state`` names a JSON file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from chatsync import bridge_runtime as wiring
from chatsync.app.bridges.settings import BridgeSettings

HOST = "127.0.0.1"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class _Quiet(WSGIRequestHandler):
    """No access log lines: the apps log each request themselves, as JSON."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class LocalServer:
    """A WSGI app on 127.0.0.1 in a daemon thread; ``port=0`` picks a free port."""

    def __init__(self, app: WsgiApp, *, port: int = 0) -> None:
        self._server = make_server(HOST, port, app, threaded=True, request_handler=_Quiet)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def _settings(out: str | None, state: str | None) -> BridgeSettings:
    return BridgeSettings.from_env(
        out=out or "hr-events.jsonl",
        store="file" if state else "memory",
        state_path=state,
    )


def serve_scim(port: int, token: str, out: str | None = None, *, state: str | None = None) -> None:
    """Serve the SCIM endpoint at http://127.0.0.1:<port>/scim/v2 until interrupted."""
    app = wiring.scim_app(_settings(out, state), token=token)
    server = make_server(HOST, port, app.wsgi, threaded=True)
    print(f"SCIM base URL: http://{HOST}:{server.server_port}/scim/v2", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def serve_webhooks(port: int, out: str | None = None, *, state: str | None = None) -> None:
    """Serve POST /webhooks/<vendor> at http://127.0.0.1:<port> until interrupted."""
    app = wiring.webhook_app(_settings(out, state))
    server = make_server(HOST, port, app.wsgi, threaded=True)
    print(f"webhooks: http://{HOST}:{server.server_port}/webhooks/<vendor>", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
