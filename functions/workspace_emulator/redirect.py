"""A google-auth transport that sends requests for Google's auth hosts to the emulator.

Most of google-auth can be pointed at the emulator by configuration: credentials take
``token_uri`` (and a key file carries it). ``google.auth.iam.Signer`` cannot: it builds
``https://iamcredentials.{universe_domain}/v1/projects/-/serviceAccounts/{email}:signBlob``
itself (``google/auth/iam.py``), always over HTTPS, and a non-default universe domain turns
domain-wide delegation off (``service_account.Credentials`` refuses a subject then). What it
does take is the ``request`` (transport) it sends with, so this module offers one::

    request = EmulatorRequest(emu.url)
    signer = google.auth.iam.Signer(request, source_credentials, account_email)

Requests to the hosts in :data:`HOSTS` go to the emulator under the same path; anything else
goes out unchanged through the wrapped transport (``google.auth.transport.requests.Request``
by default).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import google.auth.transport

HOSTS = ("oauth2.googleapis.com", "iamcredentials.googleapis.com")
"""Google hosts the emulator serves the paths of: ``/token`` and ``/v1/projects/-/...``."""


class EmulatorRequest(google.auth.transport.Request):
    """A ``google.auth.transport.Request`` that rewrites Google's auth hosts to *base_url*."""

    def __init__(self, base_url: str, inner: google.auth.transport.Request | None = None) -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        self.base_url = base_url
        if inner is None:
            import google.auth.transport.requests

            inner = google.auth.transport.requests.Request()
        self.inner = inner

    def target(self, url: str) -> str:
        """Where a request for *url* goes: the emulator for :data:`HOSTS`, else *url*."""
        split = urllib.parse.urlsplit(url)
        if split.scheme != "https" or split.hostname not in HOSTS:
            return url
        rest = split.path.lstrip("/") + (f"?{split.query}" if split.query else "")
        return self.base_url + rest

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send through the wrapped transport, to the emulator when the host is Google's."""
        return self.inner(
            self.target(url), method=method, body=body, headers=headers, timeout=timeout, **kwargs
        )
