"""Publish a snapshot to a Cloud Storage object (``CHATSYNC_SNAPSHOT_URI=gs://bucket/path.json``).

One request, the JSON API's simple upload (https://cloud.google.com/storage/docs/json_api/v1/objects/insert)::

    POST {endpoint}upload/storage/v1/b/{bucket}/o?uploadType=media&name={object}
    Content-Type: application/json

"The uploaded object replaces any existing object with the same name", so each reconcile
replaces the last snapshot. The runtime account needs ``storage.objects.create`` and, to
replace, ``storage.objects.delete`` on the bucket: ``roles/storage.objectUser`` has both
(docs/rules-review.md).

It goes through google-auth's ``AuthorizedSession`` (``requests``, already installed with
google-api-core for Pub/Sub and Firestore) rather than google-cloud-storage: one POST does not
justify another client library in the function's cold start.

Outcomes: 2xx done; 408, 429 and 5xx or no answer -> ``RetryableError`` (``Retry-After``
honoured); 401, 403, 404 -> ``ConfigError`` naming the variable and what to fix.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from chatsync.domain import errors, snapshot_codec
from chatsync.domain.snapshot_codec import Snapshot

BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
VARIABLE = "CHATSYNC_SNAPSHOT_URI"


def parse_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/object`` -> (bucket, object); ``ConfigError`` naming the variable if not."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not BUCKET.fullmatch(bucket) or not name:
        raise errors.ConfigError(
            f"{VARIABLE}={uri!r} is not a Cloud Storage object (expected gs://bucket/path.json)"
        )
    return bucket, name


class BucketSink:
    """``SnapshotSink`` writing one Cloud Storage object through the JSON API."""

    def __init__(
        self,
        uri: str,
        credentials: Any,
        *,
        endpoint: str = "https://storage.googleapis.com/",
        timeout: float = 30.0,
    ) -> None:
        self.uri = uri
        self.bucket, self.name = parse_uri(uri)
        self._credentials = credentials
        self._endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self._timeout = timeout

    def publish(self, snapshot: Snapshot) -> None:
        import json

        import requests
        from google.auth.exceptions import GoogleAuthError
        from google.auth.transport.requests import AuthorizedSession

        body = json.dumps(snapshot_codec.to_json(snapshot), sort_keys=True).encode()
        url = (
            f"{self._endpoint}upload/storage/v1/b/{quote(self.bucket, safe='')}/o"
            f"?uploadType=media&name={quote(self.name, safe='')}"
        )
        call = f"storage objects.insert {self.uri}"
        try:
            # google-auth leaves this constructor unannotated (as in adapters.credentials).
            session = AuthorizedSession(self._credentials)  # type: ignore[no-untyped-call]
            with session:
                answer = session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=self._timeout,
                )
        except requests.RequestException as exc:
            raise errors.RetryableError(f"{call}: no answer: {exc}") from exc
        except GoogleAuthError as exc:  # no token could be had (metadata server, IAM)
            raise errors.RetryableError(f"{call}: no credentials: {exc}") from exc
        status = answer.status_code
        if status < 300:
            return
        detail = answer.text[:256]
        if status in (408, 429) or status >= 500:
            raise errors.RetryableError(
                f"{call}: HTTP {status}: {detail}", delay=_retry_after(answer.headers)
            )
        fix = {
            401: "the runtime account's token was refused",
            403: "grant the runtime account roles/storage.objectUser on the bucket",
            404: "the bucket does not exist",
        }.get(status, "the request was refused")
        raise errors.ConfigError(f"{VARIABLE}={self.uri!r}: HTTP {status}: {fix}: {detail}")


def _retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("Retry-After"))
    except (TypeError, ValueError):
        return None
