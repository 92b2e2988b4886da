"""``chatsync status``: recent runs, held plans, dropped messages, drift, the admin space,
subscription health and, with ``--project``, dead-letter depth.

Reads the state store (``CHATSYNC_STATE_BACKEND``: Firestore in production, a sqlite file
locally), asks the Workspace Events API for each managed space's drift subscription and Chat
whether the app can post in the admin space (``CHATSYNC_ADMIN_SPACE``), and, given a project,
counts the messages waiting on each dead-letter subscription (``<topic>-dlq-inspect``; the
Pub/Sub emulator when ``PUBSUB_EMULATOR_HOST`` is set). Counting hands every message straight
back: nothing is consumed. Writes nothing; a section whose source does not answer says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from chatsync.tools.commands.common import add_connection_flags, settings_from, state_and_rules
from chatsync.tools.commands.subcommands import Subcommands, help_text


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "status",
        help="recent runs, held plans, dropped messages, subscriptions, dead letters",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--project",
        metavar="P",
        help="count the messages waiting on P's dead-letter subscriptions (Pub/Sub)",
    )
    p.add_argument("--runs", type=int, default=10, metavar="N", help="recent runs shown (10)")
    p.add_argument(
        "--offline", action="store_true", help="the store only: no Chat, Workspace Events call"
    )
    p.add_argument("--json", action="store_true", help="one JSON object with every section")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import time

    from chatsync.app import status
    from chatsync.app.logs import Logger
    from chatsync.runtime import build_pipeline

    settings = settings_from(args, state="optional")
    notifier: Any = None
    events: Any = None
    if args.offline:  # the store and the rules only: no credentials needed
        store, ruleset = state_and_rules(settings)
    else:
        pipeline = build_pipeline(settings, log=Logger(stream=sys.stderr, level="ERROR"))
        store, ruleset = pipeline.store, pipeline.ruleset
        notifier, events = pipeline.notifier, pipeline.workspace_events
    dead_letters: Any = None
    names: list[str] = []
    if args.project:
        from chatsync.adapters.dead_letters import PubsubDeadLetters
        from chatsync.adapters.pubsub import dead_letter_subscriptions

        dead_letters = PubsubDeadLetters(args.project)
        names = list(dead_letter_subscriptions().values())
    found = status.gather(
        store,
        ruleset,
        now=time.time(),
        notifier=notifier,
        events=events,
        dead_letters=dead_letters,
        dead_letter_subscriptions=names,
        runs=args.runs,
        admin=settings.admin_space,
    )
    if args.json:
        print(json.dumps(found.to_json(), indent=2, default=str))
    else:
        sys.stdout.write(text(found, project=args.project or ""))
    return 0


def when(at: float | None) -> str:
    if not at:
        return "(no time)"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def text(found: Any, *, project: str) -> str:
    """The status as a person reads it (sections in the order of the ``--json`` keys)."""
    out = [f"chatsync status at {when(found.at)}", ""]
    out.append(
        f"Recent runs ({len(found.runs)}, newest first):"
        if found.runs
        else "Recent runs: none recorded"
    )
    for r in found.runs:
        out.append(f"  {when(r.at)}  {r.run_id}  {r.kind}  {r.outcome}")
    out.append("")
    out.append(f"Held plans: {len(found.held_plans)} waiting, {found.approved_plans} approved")
    for p in found.held_plans:
        summary = ", ".join(f"{n} {k}" for k, n in p.summary.items())
        out.append(f"  {p.plan_id}  held {when(p.created_at)}  {p.scope} {p.run_id}: {summary}")
        for reason in p.reasons:
            out.append(f"      {reason}")
        out.append(f"      review: chatsync approve --show {p.plan_id}")
        out.append(f"      approve: chatsync approve {p.plan_id}")
    out.append("")
    out.append(f"Dropped messages (acked as permanent errors): {len(found.dropped)}")
    for d in found.dropped:
        out.append(f"  {when(d.at)}  {d.message_id}  {d.entry_point}  {d.error_type}: {d.error}")
    out.append("")
    out.append(f"Reported drift (not reverted): {len(found.drift)}")
    for d in found.drift:
        out.append(f"  {when(d.at)}  {d.space}  {d.person} ({d.change}): {d.why_not_reverted}")
    out.append("")
    admin = found.admin_space
    if not admin.space:
        out.append(f"Admin space: off ({admin.detail})")
    elif admin.reachable is None:
        out.append(f"Admin space: {admin.space} ({admin.detail})")
    elif admin.reachable is False:
        out.append(f"Admin space: {admin.space}: the Chat app cannot post there: {admin.detail}")
    else:
        out.append(f"Admin space: {admin.space} ({admin.detail}): the Chat app can post there")
    out.append(f"  {admin.posted} message(s) posted; last {when(admin.last_posted_at)}")
    out.append("")
    if found.subscriptions is None:
        why = found.subscriptions_error or "not checked (--offline)"
        out.append(f"Drift subscriptions (Workspace Events): unknown: {why}")
    else:
        out.append("Drift subscriptions (Workspace Events), per managed space:")
        for s in found.subscriptions:
            until = f", expires {when(s.expires_at)}" if s.expires_at else ""
            detail = f": {s.detail}" if s.detail else ""
            out.append(f"  {s.space}  {s.state}{until}{detail}")
    out.append("")
    if found.dead_letters is None:
        out.append("Dead letters: not counted (give --project)")
    else:
        out.append(f"Dead letters waiting (project {project}):")
        for name, depth in found.dead_letters.items():
            out.append(f"  {name}  {depth}")
    return "\n".join(out) + "\n"
