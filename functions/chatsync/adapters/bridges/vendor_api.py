"""Read an employee's full record from the vendor's API, as its mapping file describes.

Webhooks from BambooHR (event-based) and HiBob (v2) carry ids only; ``HttpRecordFetcher`` reads
the record the ``fetch`` block of the mapping names: URL with ``{api}`` (from ``api_env`` or
``api_default``) and ``{id}``, Basic or Bearer auth from environment variables, an optional JSON
body. 404 means the employee is gone (None); other failures raise ``VendorUnavailable`` so the
webhook is answered 502 and the vendor retries. Tests point ``api_env`` at an emulated vendor on
127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from chatsync.app.bridges.ports import SecretLookup, VendorUnavailable
from chatsync.domain.bridges.vendor_specs import VendorSpec, value_at


def _substitute(value: Any, employee_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", employee_id)
    if isinstance(value, list):
        return [_substitute(v, employee_id) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, employee_id) for k, v in value.items()}
    return value


class HttpRecordFetcher:
    def __init__(
        self,
        specs: Mapping[str, VendorSpec],
        *,
        secrets: SecretLookup,
        env: Mapping[str, str] | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._specs = dict(specs)
        self._secrets = secrets
        self._env = os.environ if env is None else env
        self._timeout = timeout

    def _api(self, spec: VendorSpec) -> str:
        fetch = spec.fetch
        base = (self._env.get(fetch.api_env) if fetch.api_env else None) or fetch.api_default
        if not base:
            raise VendorUnavailable(
                f"{fetch.api_env} is not set: cannot read {spec.vendor} records"
            )
        return base.rstrip("/")

    def _auth(self, spec: VendorSpec) -> dict[str, str]:
        fetch = spec.fetch
        if fetch.auth_type == "basic":
            user = self._secrets(fetch.username_env or "") or ""
            password = fetch.password or ""
            if fetch.password_env:
                password = self._secrets(fetch.password_env) or ""
            if not user:
                raise VendorUnavailable(
                    f"{fetch.username_env} is not set: cannot read {spec.vendor}"
                )
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            return {"Authorization": f"Basic {token}"}
        if fetch.auth_type == "bearer":
            bearer = self._secrets(fetch.token_env or "")
            if not bearer:
                raise VendorUnavailable(f"{fetch.token_env} is not set: cannot read {spec.vendor}")
            return {"Authorization": f"Bearer {bearer}"}
        return {}

    def fetch(self, vendor: str, employee_id: str) -> Mapping[str, Any] | None:
        spec = self._specs[vendor]
        quoted = urllib.parse.quote(employee_id, safe="")
        url = spec.fetch.url.replace("{api}", self._api(spec)).replace("{id}", quoted)
        data = None
        if spec.fetch.body is not None:
            data = json.dumps(_substitute(spec.fetch.body, employee_id)).encode()
        request = urllib.request.Request(
            url,
            data=data,
            method=spec.fetch.method,
            headers={**spec.fetch.headers, **self._auth(spec)},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                record = json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise VendorUnavailable(
                f"{spec.vendor} API: HTTP {exc.code} for employee {employee_id}"
            ) from None
        except (OSError, ValueError) as exc:
            raise VendorUnavailable(f"{spec.vendor} API: {exc}") from None
        if spec.fetch.record_path:
            record = value_at(record, spec.fetch.record_path)
        if not isinstance(record, dict):
            raise VendorUnavailable(
                f"{spec.vendor} API: no record object for employee {employee_id}"
            )
        return record
