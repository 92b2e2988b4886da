"""HTTP serving and the Python handle tests and the CLI use.

>>> with EmulatorServer("seeds/minimal.yaml", time_scale=60) as emu:
...     chat = build("chat", "v1", credentials=Credentials(token="app"),
...                  client_options={"api_endpoint": emu.url}, static_discovery=True)

:func:`serve_forever` is what ``chatsync emulator`` and ``python -m workspace_emulator`` run.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from workspace_emulator import directory_changes, emulator, endpoints, errors, events

Seed = Mapping[str, Any] | str | Path | None


class _Handler(BaseHTTPRequestHandler):
    """Moves bytes between the socket and :meth:`Emulator.dispatch`."""

    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """Disable Nagle: headers and body go out at once (avoids 40 ms delayed-ACK stalls)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, extra, payload = endpoints.dispatch(
                self.server.emulator, self.command, self.path, headers, body
            )
        except Exception as exc:  # a bug in the emulator must still answer like Google would
            error = errors.ApiError("INTERNAL", f"Emulator error: {exc!r}")
            status, extra, payload = error.code, {}, error.body()
        data = json.dumps(payload, indent=1).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the call log is the record."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emu: emulator.Emulator) -> None:
        super().__init__(address, _Handler)
        self.emulator = emu


class EmulatorServer:
    """The emulator on a local port, controllable from Python."""

    def __init__(
        self,
        seed: Seed = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        quotas: bool = True,
        latency_ms: float = 0.0,
        retry_hints: bool = True,
    ) -> None:
        self.emulator = emulator.Emulator(
            seed,
            time_scale=time_scale,
            quotas_enabled=quotas,
            latency_ms=latency_ms,
            retry_hints=retry_hints,
        )
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def bind(self) -> str:
        """Open the listening socket (without serving yet); return the base URL."""
        if self._server is None:
            self._server = _Server(self._address, self.emulator)
        return self.url

    def start(self) -> str:
        """Serve in a daemon thread; return the base URL ``http://HOST:PORT/``."""
        self.bind()
        assert self._server is not None
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, daemon=True, name="workspace-emulator"
            )
            self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C); the socket is closed after."""
        self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join()
            self._server.server_close()
        self._server, self._thread = None, None

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, for ``client_options={"api_endpoint": url}``."""
        if self._server is None:
            msg = "the emulator is not started; call start() first"
            raise RuntimeError(msg)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def token_uri(self) -> str:
        """The emulator's OAuth token endpoint, for ``token_uri=`` of google-auth credentials."""
        return self.url + "token"

    # -- control --------------------------------------------------------------------------------

    def reset(self, seed: Seed = None) -> None:
        """Reload *seed* (or the original); clear the call log, faults, events and quota use."""
        self.emulator.reset(seed)

    def state(self) -> dict[str, Any]:
        """Same JSON as ``GET /emulator/v1/state``."""
        return self.emulator.state()

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        """Same as ``GET /emulator/v1/calls``."""
        return self.emulator.calls(since)

    def fail_next(
        self,
        method: str,
        n: int = 1,
        *,
        status: int = 503,
        delay: float = 0.0,
        retry_after: float | None = None,
    ) -> None:
        """The next *n* calls of *method* (``"*"`` = any) fail with *status* (0 = delay only)."""
        self.emulator.faults.fail_next(
            method, n, status=status, delay=delay, retry_after=retry_after
        )

    def set_random_faults(
        self,
        rate: float,
        *,
        statuses: Sequence[int] = (429, 500, 503),
        latency: float = 0.0,
        methods: Sequence[str] = ("*",),
        seed: int | None = None,
    ) -> None:
        """Fail a fraction *rate* of calls with a status drawn from *statuses*."""
        self.emulator.faults.set_random(
            rate, statuses=statuses, latency=latency, methods=methods, seed=seed
        )

    def clear_faults(self) -> None:
        """Remove every scripted and random fault."""
        self.emulator.faults.clear()

    def manual_change(
        self,
        space: str,
        user: str,
        action: str,
        role: str | None = None,
        actor: str = "user:admin",
    ) -> dict[str, Any]:
        """Change a membership as a person in the Chat UI would; emits the Workspace Event."""
        return self.emulator.manual_change(space, user, action, role, actor)

    def configure_events(
        self,
        pubsub_topic: str | None = None,
        push_url: str | None = None,
        *,
        emit_for_api_writes: bool = True,
        coalesce: bool = False,
        batch_window: float = events.DEFAULT_BATCH_WINDOW,
    ) -> None:
        """Where Workspace Events go (besides the in-memory list), and whether bursts batch.

        With *coalesce*, same-type changes in one space within *batch_window* real seconds of
        the first become one ``batchCreated``/``batchUpdated``/``batchDeleted`` event.
        """
        self.emulator.world.events.configure(
            pubsub_topic=pubsub_topic,
            push_url=push_url,
            emit_for_api_writes=emit_for_api_writes,
            coalesce=coalesce,
            batch_window=batch_window,
        )

    def events(self) -> list[dict[str, Any]]:
        """Every emitted Workspace Events Pub/Sub message (``message`` of a push body)."""
        return self.emulator.events()

    def flush_events(self, timeout: float = 10.0) -> None:
        """Close open batches, then wait until push/Pub/Sub deliveries queued so far are done."""
        self.emulator.world.events.flush(timeout)

    def advance(self, seconds: float) -> float:
        """Move the emulator's clock ahead; lifecycle events fall due. Returns the new time."""
        return self.emulator.advance(seconds)

    def now(self) -> float:
        """The emulator's clock, in seconds since the Unix epoch."""
        return self.emulator.clock.epoch()

    def suspend_subscription(
        self, name: str, reason: str = "ENDPOINT_PERMISSION_DENIED"
    ) -> dict[str, Any]:
        """Suspend a Workspace Events subscription (and send its ``suspended`` event)."""
        return self.emulator.suspend_subscription(name, reason)

    def directory_update_user(self, email: str, snapshot: Mapping[str, Any]) -> None:
        """Apply an HR snapshot to a directory user (what an HR-to-Directory bridge does)."""
        directory_changes.update_user(self.emulator.world.store, email, snapshot)

    def directory_set_account(
        self, email: str, *, suspended: bool | None = None, archived: bool | None = None
    ) -> None:
        """Suspend, archive or restore a directory user's account."""
        directory_changes.set_account(
            self.emulator.world.store, email, suspended=suspended, archived=archived
        )

    def directory_change(self, *, group: str, member: str, added: bool, kind: str = "USER") -> None:
        """Add or remove a direct member of a directory group (``kind`` ``GROUP``: a nested one)."""
        directory_changes.set_group_member(
            self.emulator.world.store, group, member, added=added, kind=kind
        )

    def set_time_scale(self, scale: float) -> None:
        """Quotas run *scale* times faster (60 → a minute of quota in a second)."""
        self.emulator.set_time_scale(scale)

    def set_quotas(self, enabled: bool) -> None:
        """Switch quota enforcement on or off."""
        self.emulator.quotas.enabled = enabled

    def set_latency(self, latency_ms: float) -> None:
        """Every API call waits *latency_ms* ms before anything else (independent of faults)."""
        self.emulator.set_latency(latency_ms)

    def set_retry_hints(self, enabled: bool) -> None:
        """False: every 429 comes without ``Retry-After`` or ``RetryInfo`` (backend checks)."""
        self.emulator.retry_hints = enabled

    def messages(self, space: str | None = None) -> list[dict[str, Any]]:
        """Same as ``GET /emulator/v1/messages[?space=]``: what was posted, oldest first."""
        return self.emulator.messages(space)

    def service_account_key(self, email: str) -> dict[str, Any]:
        """A JSON key file for a seeded service account, its ``token_uri`` this emulator's."""
        return self.emulator.service_account_key(email, self.url)


def serve_forever(
    *,
    host: str = "127.0.0.1",
    port: int = 8089,
    seed: Seed = None,
    time_scale: float = 1.0,
    quotas: bool = True,
    latency_ms: float = 0.0,
    retry_hints: bool = True,
) -> None:
    """Serve in the foreground until interrupted; first print the listening line."""
    emu = EmulatorServer(
        seed,
        host=host,
        port=port,
        time_scale=time_scale,
        quotas=quotas,
        latency_ms=latency_ms,
        retry_hints=retry_hints,
    )
    url = emu.bind()
    print(f"workspace emulator listening on {url}", flush=True)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        sys.stderr.write("workspace emulator stopped\n")
