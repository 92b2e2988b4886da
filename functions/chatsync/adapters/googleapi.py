"""googleapiclient services built the one way chatsync builds them: static discovery, an
explicit endpoint (Google's, or the local emulator's), a request timeout, one per thread
(httplib2 connections are not thread-safe)."""

from __future__ import annotations

import threading
from typing import Any


class PerThreadService:
    """``get()`` returns this thread's service for ``api``/``version``, built on first use."""

    def __init__(
        self, api: str, version: str, credentials: Any, *, endpoint: str, timeout: float
    ) -> None:
        self.api = api
        self.version = version
        self._credentials = credentials
        self._endpoint = endpoint
        self._timeout = timeout
        self._local = threading.local()

    def get(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            import google_auth_httplib2
            import httplib2
            from googleapiclient.discovery import build

            http = google_auth_httplib2.AuthorizedHttp(
                self._credentials, http=httplib2.Http(timeout=self._timeout)
            )
            service = build(
                self.api,
                self.version,
                http=http,
                static_discovery=True,
                client_options={"api_endpoint": self._endpoint},
            )
            self._local.service = service
        return service
