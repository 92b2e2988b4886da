"""``chatsync audit``: query the audit trail of applied changes.

Every change chatsync applied is recorded with its run id, time, space, person, role before
and after, outcome and the reasons (rules) behind it, as it happens: a change sent by a run
that was interrupted before Chat answered shows as ``unconfirmed``. Filter by person, space
and run; the filters combine. Runs that did not finish (stopped by Ctrl-C, or killed) are
listed after the entries as interrupted, with the command that undoes them. The trail lives in
the state store (``CHATSYNC_STATE_BACKEND``: Firestore in production, a sqlite file locally).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatsync.tools.commands.common import add_connection_flags
from chatsync.tools.commands.subcommands import Subcommands, help_text

if TYPE_CHECKING:
    from chatsync.app.ports import StateStore


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "audit",
        help="query the audit trail by person, space and run",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--person", metavar="EMAIL", help="only changes to this person")
    p.add_argument("--space", metavar="S", help="only changes in this space (name or handle)")
    p.add_argument("--run", metavar="RUN", dest="run_id", help="only changes of this run")
    p.add_argument("--json", action="store_true", help="one JSON object per entry")
    p.add_argument("--reasons", action="store_true", help="print the rules behind each change")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.adapters.store import open_store
    from chatsync.domain.errors import ConfigError
    from chatsync.domain.rules import load_rules
    from chatsync.tools.commands.common import locate, settings_from
    from chatsync.tools.terminal import Terminal

    located = locate(args)
    settings = settings_from(args, located=located, rules=False, state="read")
    space = args.space
    if space and not space.startswith("spaces/"):
        if not settings.rules_file:
            raise ConfigError(
                f"--space {space!r} is a handle: naming it needs the rules file (--rules, "
                "CHATSYNC_RULES_FILE or chatsync.toml), or give the space as spaces/<id>"
            )
        ruleset = load_rules(settings.rules_file)
        managed = ruleset.space(space)
        if managed is None:
            known = ", ".join(f"{s.id} ({s.name})" for s in ruleset.spaces)
            raise ConfigError(f"--space {space!r} is not a managed space; managed: {known}")
        space = managed.name
    person = args.person.lower() if args.person else None
    store = open_store(settings)
    entries = store.audit(person=person, space=space, run=args.run_id)
    statuses = _statuses(store, {e.run_id for e in entries})
    if args.json:
        for entry in entries:
            body = entry.to_dict()
            if entry.run_id in statuses:
                body["run_status"] = statuses[entry.run_id]
            print(json.dumps(body))
        return 0
    term = Terminal()
    if not entries:
        filters = [f"{k} {v}" for k, v in (("person", person), ("space", space)) if v]
        filters += [f"run {args.run_id}"] if args.run_id else []
        term.say("No audit entries match" + (f" ({', '.join(filters)})." if filters else "."))
        return 0
    rows = []
    for e in entries:
        rows.append(
            [
                _when(e.at),
                e.run_id,
                e.action,
                e.email,
                e.space,
                f"{e.before or '-'} -> {e.after or '-'}",
                e.outcome,
            ]
        )
        if args.reasons:
            rows.extend(["", "", "", f"  {reason}", "", "", ""] for reason in e.reasons)
    term.table(("when", "run", "action", "person", "space", "change", "outcome"), rows)
    runs = {e.run_id for e in entries}
    term.say(f"{len(entries)} entries, {len(runs)} run(s).")
    for run_id in sorted(runs):
        status = statuses.get(run_id)
        unsure = sum(1 for e in entries if e.run_id == run_id and e.outcome == "unconfirmed")
        if status in ("interrupted", "failed") or unsure:
            what = status or "unfinished"
            extra = f", {unsure} unconfirmed (sent, never answered)" if unsure else ""
            term.warn(f"Run {run_id} was {what}{extra}. Undo it: chatsync revert {run_id}")
    return 0


def _statuses(store: StateStore, run_ids: set[str]) -> dict[str, str]:
    """Each run's status from its record; a ``running`` run whose process is gone was killed."""
    from chatsync.app import runs

    found: dict[str, str] = {}
    for run_id in run_ids:
        record = runs.get(store, run_id)
        if record is None:
            continue
        status = record.get("status", "")
        if status == runs.RUNNING and not _alive(record.get("host"), record.get("pid")):
            status = runs.INTERRUPTED
        found[run_id] = status
    return found


def _alive(host: object, pid: object) -> bool:
    """Whether the process of a running run is still there (unknown on another host: yes)."""
    if host != socket.gethostname() or not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
