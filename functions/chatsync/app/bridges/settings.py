"""Settings of the HR bridges, from ``CHATSYNC_*`` variables; each names its variable.

    variable                              default              meaning
    CHATSYNC_SCIM_TOKEN[_SECRET]          (required)           the bearer token IdPs send; _SECRET
                                                               names a Secret Manager version
    CHATSYNC_SCIM_PREFIX                  /scim/v2             path prefix of the SCIM base URL
    CHATSYNC_SCIM_SOURCE                  scim                 source.system of SCIM events
                                                               (okta, entra... per deployment)
    CHATSYNC_SCIM_TENANT                  (none)               source.tenant
    CHATSYNC_SCIM_GROUP_DOMAIN            (none)               domain for groups whose name is
                                                               not an e-mail (scim_people)
    CHATSYNC_BRIDGE_STORE                 firestore            firestore | file | memory
    CHATSYNC_BRIDGE_STATE_PATH            bridge-state.json    the file store's file
    CHATSYNC_BRIDGE_FIRESTORE_PREFIX      chatsync_bridge      collection name prefix
    CHATSYNC_BRIDGE_OUT                   (none)               append events to this JSON-lines
                                                               file instead of Pub/Sub
    GOOGLE_CLOUD_PROJECT                  chatsync-local       Pub/Sub and Firestore project
    PUBSUB_EMULATOR_HOST                  (none)               publish to the emulator
    CHATSYNC_WEBHOOK_TOLERANCE_SECONDS    300                  how far a webhook timestamp may be
                                                               from now, either way (replays)
    CHATSYNC_WEBHOOK_VENDORS_DIR          (packaged vendors)   folder of vendor mapping files

Vendor secrets and API settings are named by each mapping file (``key_env``, ``api_env``...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chatsync.domain import errors

STORES = ("firestore", "file", "memory")


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    scim_prefix: str = "/scim/v2"
    scim_source: str = "scim"
    scim_tenant: str = ""
    group_domain: str | None = None
    store: str = "firestore"
    state_path: str = "bridge-state.json"
    firestore_prefix: str = "chatsync_bridge"
    out: str | None = None
    project: str = "chatsync-local"
    pubsub_emulator: str | None = None
    tolerance: float = 300.0
    vendors_dir: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> BridgeSettings:
        env = os.environ if env is None else env
        store = env.get("CHATSYNC_BRIDGE_STORE", "firestore")
        if store not in STORES:
            raise errors.ConfigError(
                f"CHATSYNC_BRIDGE_STORE={store!r} is not one of {', '.join(STORES)}"
            )
        raw_tolerance = env.get("CHATSYNC_WEBHOOK_TOLERANCE_SECONDS", "300")
        try:
            tolerance = float(raw_tolerance)
        except ValueError:
            tolerance = -1.0
        if tolerance <= 0:
            raise errors.ConfigError(
                f"CHATSYNC_WEBHOOK_TOLERANCE_SECONDS={raw_tolerance!r} is not a positive number "
                "of seconds"
            )
        values: dict[str, object] = {
            "scim_prefix": env.get("CHATSYNC_SCIM_PREFIX", "/scim/v2"),
            "scim_source": env.get("CHATSYNC_SCIM_SOURCE", "scim"),
            "scim_tenant": env.get("CHATSYNC_SCIM_TENANT", ""),
            "group_domain": env.get("CHATSYNC_SCIM_GROUP_DOMAIN") or None,
            "store": store,
            "state_path": env.get("CHATSYNC_BRIDGE_STATE_PATH", "bridge-state.json"),
            "firestore_prefix": env.get("CHATSYNC_BRIDGE_FIRESTORE_PREFIX", "chatsync_bridge"),
            "out": env.get("CHATSYNC_BRIDGE_OUT") or None,
            "project": env.get("GOOGLE_CLOUD_PROJECT", "chatsync-local"),
            "pubsub_emulator": env.get("PUBSUB_EMULATOR_HOST") or None,
            "tolerance": tolerance,
            "vendors_dir": env.get("CHATSYNC_WEBHOOK_VENDORS_DIR") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
