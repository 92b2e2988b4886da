"""Secrets for the bridges: from the environment, or from Secret Manager by version name.

    lookup("CHATSYNC_SCIM_TOKEN")
        1. $CHATSYNC_SCIM_TOKEN                      (local runs; or Cloud Functions'
                                                      secret environment variables)
        2. $CHATSYNC_SCIM_TOKEN_SECRET               a Secret Manager version, e.g.
           = projects/P/secrets/scim-token/versions/latest   read once per instance

Secret Manager is read over REST with Application Default Credentials (google-auth, already a
dependency), so no extra client library is needed. Values are cached per process: a rotated
secret reaches new instances; redeploy (or restart) to pick it up everywhere.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
from collections.abc import Mapping

from chatsync.domain import errors

VERSION = re.compile(r"^projects/[^/]+/secrets/[^/]+/versions/[^/]+$")
API = "https://secretmanager.googleapis.com/v1"


def lookup(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The secret behind *name*, or None when neither variable is set."""
    env = os.environ if env is None else env
    direct = env.get(name)
    if direct:
        return direct
    version = env.get(f"{name}_SECRET")
    if not version:
        return None
    if not VERSION.fullmatch(version):
        raise errors.ConfigError(
            f"{name}_SECRET={version!r} is not a secret version "
            "(expected projects/<project>/secrets/<name>/versions/<version|latest>)"
        )
    return _access(version)


@functools.cache
def _access(version: str) -> str:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
    answer = session.get(f"{API}/{version}:access", timeout=30)
    if answer.status_code != 200:
        raise errors.ConfigError(
            f"Secret Manager {version}: HTTP {answer.status_code} {answer.text[:200]}"
        )
    data = json.loads(answer.text)["payload"]["data"]
    return base64.b64decode(data).decode("utf-8").strip()
