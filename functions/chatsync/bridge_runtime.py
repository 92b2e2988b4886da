"""Compose the bridges from settings: store, publisher, services, HTTP apps.

The one place that picks adapters; ``functions/main.py`` (``on_scim``, ``on_hr_webhook``) and
``serving`` (``chatsync scim serve``, ``chatsync webhooks serve``) both build through here.
"""

from __future__ import annotations

import time

from chatsync.adapters.bridges import secret_values, vendor_files
from chatsync.adapters.bridges.file_store import JsonFileBridgeStore
from chatsync.adapters.bridges.jsonl_publisher import JsonLinesPublisher
from chatsync.adapters.bridges.memory_store import MemoryBridgeStore
from chatsync.adapters.bridges.scim_http import ScimApp
from chatsync.adapters.bridges.vendor_api import HttpRecordFetcher
from chatsync.adapters.bridges.webhook_http import WebhookApp
from chatsync.app.bridges.announcing import Announcer
from chatsync.app.bridges.ports import BridgeStore, Clock, Publisher, RecordFetcher, SecretLookup
from chatsync.app.bridges.scim_service import ScimService
from chatsync.app.bridges.settings import BridgeSettings
from chatsync.app.bridges.webhook_service import WebhookService
from chatsync.app.logs import Logger
from chatsync.domain import errors

TOKEN_VARIABLE = "CHATSYNC_SCIM_TOKEN"


def store(settings: BridgeSettings) -> BridgeStore:
    if settings.store == "memory":
        return MemoryBridgeStore()
    if settings.store == "file":
        return JsonFileBridgeStore(settings.state_path)
    from chatsync.adapters.bridges.firestore_store import FirestoreBridgeStore

    return FirestoreBridgeStore(project=settings.project, prefix=settings.firestore_prefix)


def publisher(settings: BridgeSettings) -> Publisher:
    """JSON lines when ``out`` is set and no emulator is; otherwise Pub/Sub (emulator or real)."""
    if settings.out and not settings.pubsub_emulator:
        return JsonLinesPublisher(settings.out)
    from chatsync.adapters import pubsub as publishing
    from chatsync.adapters.bridges.pubsub_publisher import PubSubPublisher

    return PubSubPublisher(
        project=settings.project,
        topics=publishing.topic_names(),
        emulator_host=settings.pubsub_emulator,
    )


def scim_app(
    settings: BridgeSettings,
    *,
    token: str | None = None,
    bridge_store: BridgeStore | None = None,
    sink: Publisher | None = None,
    clock: Clock = time.time,
    log: Logger | None = None,
) -> ScimApp:
    secret = token or secret_values.lookup(TOKEN_VARIABLE)
    if not secret:
        raise errors.ConfigError(
            f"{TOKEN_VARIABLE} (or {TOKEN_VARIABLE}_SECRET, a Secret Manager version) is not set: "
            "the SCIM endpoint refuses to run without a bearer token"
        )
    chosen = bridge_store or store(settings)
    announcer = Announcer(store=chosen, publisher=sink or publisher(settings), clock=clock)
    service = ScimService(
        store=chosen,
        announcer=announcer,
        clock=clock,
        system=settings.scim_source,
        tenant=settings.scim_tenant,
        group_domain=settings.group_domain,
    )
    return ScimApp(
        service=service,
        token=secret,
        log=log or Logger(secrets=(secret,)),
        prefix=settings.scim_prefix,
    )


def webhook_app(
    settings: BridgeSettings,
    *,
    bridge_store: BridgeStore | None = None,
    sink: Publisher | None = None,
    fetcher: RecordFetcher | None = None,
    secrets: SecretLookup = secret_values.lookup,
    clock: Clock = time.time,
    log: Logger | None = None,
) -> WebhookApp:
    specs = (
        vendor_files.load_dir(settings.vendors_dir)
        if settings.vendors_dir
        else vendor_files.load_dir()
    )
    chosen = bridge_store or store(settings)
    announcer = Announcer(store=chosen, publisher=sink or publisher(settings), clock=clock)
    service = WebhookService(
        specs=specs,
        secrets=secrets,
        fetcher=fetcher or HttpRecordFetcher(specs, secrets=secrets),
        announcer=announcer,
        clock=clock,
        tolerance=settings.tolerance,
    )
    return WebhookApp(service=service, log=log or Logger())
