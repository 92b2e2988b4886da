"""Build the pipeline from settings: the one place edges are constructed (once per instance)."""

from __future__ import annotations

import sys
from typing import Any

from chatsync.app.logs import Logger
from chatsync.app.pipeline import Pipeline
from chatsync.app.ports import Notifier, NullNotifier, SnapshotSink
from chatsync.app.retrying import RetryPolicy
from chatsync.app.settings import Settings
from chatsync.domain.errors import ConfigError
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
    from chatsync.app import deployment
    from chatsync.app.observing import ObservedChat
    from chatsync.app.retrying import RetryingDirectory, RetryingReads
    from chatsync.domain.rules import load_rules

    if not settings.rules_file:
        raise ConfigError(
            "CHATSYNC_RULES_FILE is not set (expected the path of the rules YAML; Terraform "
            "sets it from var.rules_file)"
        )
    ruleset = load_rules(settings.rules_file)
    deployment.refuse_demo_spaces(ruleset, settings)
    sets = credentials.CredentialSets(settings)
    directory = DirectoryClient(
        sets.for_method,
        endpoint=settings.directory_endpoint,
        customer=settings.directory_customer,
        timeout=settings.request_timeout,
        mapping=DirectoryMapping.parse(settings.directory_schema, settings.directory_fields),
    )
    rest = RestChatMembers(
        sets.for_method,
        endpoint=settings.chat_endpoint,
        admin=settings.auth_mode == "admin",
        timeout=settings.request_timeout,
    )
    events = WorkspaceEvents(
        sets.for_method,
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
    work = None
    if settings.work_topic:
        from chatsync.adapters.pubsub import PubSubWorkQueue

        work = PubSubWorkQueue(settings.work_topic)
    limits = Limits(
        writes_per_minute=settings.writes_per_minute, reads_per_minute=settings.reads_per_minute
    )
    log = log or Logger(
        stream=sys.stdout,
        level=settings.log_level,
        hash_emails=settings.hash_emails,
        sink=sink,
        fmt=settings.log_format,
        secrets=(settings.access_token, settings.directory_token, settings.app_token),
    )
    # Innermost, the failed-answer log line: it sees every answer, retried ones included.
    observed = ObservedChat(rest, log)
    return Pipeline(
        ruleset=ruleset,
        chat=RateLimitedChat(
            RetryingReads(observed, policy=RetryPolicy(max_attempts=settings.max_attempts)),
            limits,
        ),
        directory=RetryingDirectory(
            directory, policy=RetryPolicy(max_attempts=settings.max_attempts)
        ),
        store=store if store is not None else open_store(settings),
        log=log,
        policy=RetryPolicy(max_attempts=settings.max_attempts),
        dry_run=settings.dry_run,
        drift_mode=settings.drift_mode,
        workspace_events=events,
        events_topic=settings.events_topic,
        auth_mode=settings.auth_mode,
        snapshot_sink=snapshot_sink,
        notifier=notifier(settings, sets),
        work=work,
        invocation_budget_s=settings.invocation_budget_s,
        work_item_size=settings.work_item_size,
        stall_minutes=settings.stall_minutes,
    )


def notifier(settings: Settings, sets: Any) -> Notifier:
    """The admin space's messages (CHATSYNC_ADMIN_SPACE), or nothing when none is set."""
    if not settings.admin_space:
        return NullNotifier()
    from chatsync.adapters.chat.messages import ChatMessages

    return ChatMessages(
        sets.for_method("chat.spaces.messages.create"),
        endpoint=settings.chat_endpoint,
        space=settings.admin_space,
        timeout=settings.request_timeout,
    )


def build_doctor(settings: Settings, *, project: str = "", store: Any = None) -> Any:
    """``chatsync doctor``'s dependencies: the deployment's own edges and doctor's probes, all
    with the credential sets of the scope table for the settings' auth mode."""
    from chatsync.adapters import credentials, pubsub
    from chatsync.adapters.chat.probe import CreatorProbe
    from chatsync.adapters.chat.rest import RestChatMembers
    from chatsync.adapters.directory import DirectoryClient
    from chatsync.adapters.store import open_store
    from chatsync.adapters.workspace_events import WorkspaceEvents
    from chatsync.app import deployment, doctor
    from chatsync.app.retrying import RetryingReads
    from chatsync.domain import errors
    from chatsync.domain.rules import load_rules

    ruleset = load_rules(settings.rules_file)
    try:
        deployment.refuse_demo_spaces(ruleset, settings)
        problem = ""
    except errors.ConfigError as exc:
        problem = str(exc)
    sets = credentials.CredentialSets(settings)
    admin = settings.auth_mode == "admin"
    timeout = settings.request_timeout
    app_view = creator = None
    membership = sets.for_preflight("app_membership")
    if membership is not None:
        app_view = RestChatMembers(
            lambda _method: membership, endpoint=settings.chat_endpoint, timeout=timeout
        )
    created = sets.for_preflight("app_created")
    if created is not None:
        creator = CreatorProbe(
            lambda _method: created, endpoint=settings.chat_endpoint, timeout=timeout
        )
    return doctor.DoctorDeps(
        ruleset=ruleset,
        table=sets.table,
        auth_mode=settings.auth_mode,
        admin_subject=settings.admin_subject,
        chat=RetryingReads(
            RestChatMembers(
                sets.for_method, endpoint=settings.chat_endpoint, admin=admin, timeout=timeout
            ),
            policy=RetryPolicy(max_attempts=settings.max_attempts),
        ),
        directory=DirectoryClient(
            sets.for_method,
            endpoint=settings.directory_endpoint,
            customer=settings.directory_customer,
            timeout=timeout,
        ),
        tokens=credentials.TokenChecks(sets),
        store=store if store is not None else open_store(settings),
        app_view=app_view,
        creator=creator,
        events=WorkspaceEvents(sets.for_method, endpoint=settings.events_endpoint, timeout=timeout),
        pubsub=pubsub.Inventory() if project else None,
        project=project,
        customer=settings.directory_customer,
        rules_file=settings.rules_file,
        notifier=notifier(settings, sets),
        rules_problem=problem,
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
