"""Build the pipeline from settings: the one place edges are constructed (once per instance)."""

from __future__ import annotations

import sys
from typing import Any

from chatsync.app.logs import Logger
from chatsync.app.pipeline import Pipeline
from chatsync.app.ports import SnapshotSink
from chatsync.app.retrying import RetryPolicy
from chatsync.app.settings import Settings
from chatsync.domain.rules import Ruleset
from chatsync.domain.snapshot_codec import Snapshot


def build_pipeline(
    settings: Settings, *, log: Logger | None = None, store: Any = None, sink: Any = None
) -> Pipeline:
    from chatsync.adapters import credentials
    from chatsync.adapters.chat.ratelimit import Limits, RateLimitedChat
    from chatsync.adapters.chat.rest import RestChatMembers
    from chatsync.adapters.directory import DirectoryClient, DirectoryMapping
    from chatsync.adapters.store import open_store
    from chatsync.adapters.workspace_events import WorkspaceEvents
    from chatsync.app.retrying import RetryingDirectory, RetryingReads
    from chatsync.domain.rules import load_rules

    ruleset = load_rules(settings.rules_file)
    directory = DirectoryClient(
        credentials.directory_credentials(settings),
        endpoint=settings.directory_endpoint,
        customer=settings.directory_customer,
        timeout=settings.request_timeout,
        mapping=DirectoryMapping.parse(settings.directory_schema, settings.directory_fields),
    )
    rest = RestChatMembers(
        credentials.chat_credentials(settings),
        endpoint=settings.chat_endpoint,
        admin=settings.auth_mode == "admin",
        timeout=settings.request_timeout,
    )
    events = WorkspaceEvents(
        credentials.chat_credentials(settings),
        endpoint=settings.events_endpoint,
        timeout=settings.request_timeout,
    )
    snapshot_sink: SnapshotSink | None = None
    if settings.snapshot_uri.startswith("gs://"):
        from chatsync.adapters.bucket import BucketSink

        snapshot_sink = BucketSink(
            settings.snapshot_uri,
            credentials.storage_credentials(settings),
            endpoint=settings.storage_endpoint,
            timeout=settings.request_timeout,
        )
    elif settings.snapshot_uri:
        from chatsync.adapters.snapshot import FileSink

        snapshot_sink = FileSink(settings.snapshot_uri)
    limits = Limits(
        writes_per_minute=settings.writes_per_minute, reads_per_minute=settings.reads_per_minute
    )
    return Pipeline(
        ruleset=ruleset,
        chat=RateLimitedChat(
            RetryingReads(rest, policy=RetryPolicy(max_attempts=settings.max_attempts)), limits
        ),
        directory=RetryingDirectory(
            directory, policy=RetryPolicy(max_attempts=settings.max_attempts)
        ),
        store=store if store is not None else open_store(settings),
        log=log
        or Logger(
            stream=sys.stdout,
            level=settings.log_level,
            hash_emails=settings.hash_emails,
            sink=sink,
            fmt=settings.log_format,
            secrets=(settings.access_token, settings.directory_token),
        ),
        policy=RetryPolicy(max_attempts=settings.max_attempts),
        dry_run=settings.dry_run,
        drift_mode=settings.drift_mode,
        workspace_events=events,
        events_topic=settings.events_topic,
        snapshot_sink=snapshot_sink,
    )


def build_offline(snapshot: Snapshot, ruleset: Ruleset, *, origin: str, log: Logger) -> Pipeline:
    """The application over a snapshot: read-only ports, an empty store, a dry run. The survey
    of the full reconcile runs on it as on the tenant (``chatsync plan --snapshot``)."""
    from chatsync.adapters.snapshot import SnapshotChat, SnapshotDirectory
    from chatsync.adapters.store import MemoryStore

    return Pipeline(
        ruleset=ruleset,
        chat=SnapshotChat(snapshot, origin=origin),
        directory=SnapshotDirectory(snapshot, origin=origin),
        store=MemoryStore(),
        log=log,
        dry_run=True,
        clock=lambda: snapshot.taken_at,
    )
