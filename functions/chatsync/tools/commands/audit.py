"""``chatsync audit``: query the audit trail of applied changes.

Every change chatsync applied is recorded with its run id, time, space, person, role before
and after, outcome and the reasons (rules) behind it. Filter by person, space and run; the
filters combine. The trail lives in the state store (``CHATSYNC_STATE_BACKEND``: Firestore in
production, a sqlite file locally).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from chatsync.tools.commands.common import add_connection_flags, settings_from
from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "audit",
        help="query the audit trail by person, space and run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--person", metavar="EMAIL", help="only changes to this person")
    p.add_argument("--space", metavar="S", help="only changes in this space (name or handle)")
    p.add_argument("--run", metavar="RUN", dest="run_id", help="only changes of this run")
    p.add_argument("--json", action="store_true", help="one JSON object per entry")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.adapters.store import open_store
    from chatsync.domain.rules import load_rules

    settings = settings_from(args)
    space = args.space
    if space and not space.startswith("spaces/"):
        managed = load_rules(settings.rules_file).space(space)
        space = managed.name if managed is not None else space
    person = args.person.lower() if args.person else None
    entries = open_store(settings).audit(person=person, space=space, run=args.run_id)
    if args.json:
        for entry in entries:
            print(json.dumps(entry.to_dict()))
        return 0
    if not entries:
        print("No audit entries match.")
        return 0
    for e in entries:
        when = datetime.fromtimestamp(e.at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        change = f"{e.before or '-'} -> {e.after or '-'}"
        print(f"{when}  {e.run_id}  {e.action:<7} {e.email:<32} {e.space:<24} {change}")
        for reason in e.reasons:
            print(f"      {reason}")
    print(f"{len(entries)} entries, {len({e.run_id for e in entries})} run(s).")
    return 0
