"""``chatsync explain PERSON [SPACE]``: why a person holds (or would hold) each role.

Prints the person's facts as every path reads them (the latest HR event merged with the
Directory, groups with nested groups), each with its source (hr or directory) and as-of time;
every rule that applies to the space(s) with whether it matched and the condition that decided
it (with the actual value); and the resulting role per managed space. With a live Chat
connection it also reads the person's current membership and says what a reconcile would do,
with the same reasons a plan line and a log record carry.

Someone the Directory does not know is explained only if chatsync has a record of them (an HR
event, a membership it changed, a space it found them in, or a managed space they are still
in): they are treated as gone, and the command says what a reconcile would remove. Otherwise
the address is probably mistyped: the command says so and exits 2 (it makes up no facts).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from chatsync.tools.commands.common import add_connection_flags
from chatsync.tools.commands.subcommands import Subcommands, help_text

if TYPE_CHECKING:
    from chatsync.app.ports import StateStore


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "explain",
        help="facts with their sources, each rule matched or not and why, the resulting role",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("person", metavar="PERSON", help="email (or Directory id) of the person")
    p.add_argument("space", metavar="SPACE", nargs="?", help="one managed space (name or handle)")
    p.add_argument("--offline", action="store_true", help="do not read current memberships")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="log API problems to stderr")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.app import facts
    from chatsync.domain import errors
    from chatsync.domain.facts import Source
    from chatsync.domain.model import Account
    from chatsync.domain.plan_codec import op_json
    from chatsync.domain.rules import explain
    from chatsync.runtime import build_pipeline
    from chatsync.tools.commands.common import settings_from
    from chatsync.tools.commands.reconcile import logger

    log = logger(args)
    pipeline = build_pipeline(settings_from(args, state="optional", dry_run=True), log=log)
    found = facts.of(pipeline.deps(), args.person)
    person = found.person
    known = person.account is not Account.DELETED
    from_hr = any(f.source is Source.HR and f.as_of is not None for f in found.sources.values())
    # Before planning: reading a person's memberships records where they were found.
    on_record = known or from_hr or _on_record(pipeline.store, person.email)
    try:
        explanation = explain(pipeline.ruleset, person, args.space, sources=found.sources)
    except ValueError as exc:
        raise errors.ConfigError(str(exc)) from None
    spaces = [s.space for s in explanation.spaces]
    operations: list[Any] = []
    skipped: list[Any] = []
    if not args.offline:
        the_plan, _ = pipeline.plan_person(person, log=log, spaces=spaces)
        operations, skipped = list(the_plan.operations), list(the_plan.skipped)
    if not on_record and not operations:
        where = "memberships not read (--offline)" if args.offline else "in no managed space"
        raise errors.ConfigError(
            f"{args.person} is not in the Directory, {where}, and chatsync has no record of "
            "them: check the address"
        )
    if args.json:
        body = explanation.as_dict()
        body["in_directory"] = known
        if not known and not from_hr:
            body["facts"] = {}
        if not args.offline:
            body["plan"] = [op_json(op) for op in operations]
            body["skipped"] = [{"space": s.space, "why": s.why} for s in skipped]
        print(json.dumps(body, indent=2))
        return 0
    if known or from_hr:
        if not known:
            print(f"{args.person} is not in the Directory: treated as gone (no role anywhere)")
        for line in explanation.lines():
            print(line)
    else:
        print(
            f"{args.person} is not in the Directory (deleted, or never there): chatsync treats "
            "them as gone, with no role in any managed space."
        )
    if args.offline:
        return 0
    print("  now:")
    for space in spaces:
        ops = [op for op in operations if op.space == space]
        skips = [s for s in skipped if s.space == space]
        if not ops and not skips:
            print(f"    {space}: as the rules say; nothing to change")
        for op in ops:
            shown = op_json(op)
            print(
                f"    {space}: would {shown['action']} "
                f"({shown['role_before'] or 'not a member'} -> {shown['role_after'] or 'removed'})"
            )
        for skip in skips:
            print(f"    {space}: left alone: {skip.why}")
    return 0


def _on_record(store: StateStore, email: str) -> bool:
    """Whether chatsync met ``email`` before: a presence record or an audit entry."""
    from chatsync.app import records

    return bool(store.get_doc(records.PRESENCE, email) or store.audit(person=email))
