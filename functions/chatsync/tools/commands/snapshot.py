"""``chatsync snapshot --out FILE``: the facts and rosters a full plan needs, in one JSON file.

Reads, once and writing nothing: everyone's facts as the reconcile merges them (the Directory's
people and groups, nested groups included, with the latest HR snapshots) and, for every space the
rules manage (and those that --also-rules files manage), its type and its human memberships.
``chatsync plan --rules NEW.yaml --snapshot FILE`` then reviews a rules change offline, so CI
needs no tenant credentials. The scheduled reconcile can refresh one in a bucket after each run:
set CHATSYNC_SNAPSHOT_URI=gs://bucket/path.json (docs/rules-review.md).

The file is versioned ("format": "chatsync.snapshot", "version": 1; the format is documented
in functions/chatsync/domain/snapshot_codec.py). It holds people's emails and HR facts: keep it
where you keep the rules' reviewers, not in a public place.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chatsync.tools.commands.common import add_connection_flags, settings_from
from chatsync.tools.commands.subcommands import Subcommands, help_text

if TYPE_CHECKING:  # `chatsync --help` imports every command: no YAML parser for it
    from chatsync.app.logs import Logger
    from chatsync.app.settings import Settings
    from chatsync.domain.rules import Ruleset
    from chatsync.domain.snapshot_codec import Snapshot


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "snapshot",
        help="save people, groups and managed spaces' rosters to a JSON file for offline plans",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out", required=True, metavar="FILE", help="where to write the snapshot ('-': stdout)"
    )
    p.add_argument(
        "--also-rules",
        action="append",
        default=[],
        metavar="RULES",
        help="also read the spaces this rules file manages (e.g. a proposed one); repeatable",
    )
    add_connection_flags(p)
    p.set_defaults(run=run)


def take(settings: Settings, rulesets: Sequence[Ruleset], *, log: Logger) -> Snapshot:
    """Read the tenant (or emulator) in ``settings`` once: people, and every space any of
    ``rulesets`` manages."""
    from chatsync.app import capturing
    from chatsync.runtime import build_pipeline

    pipeline = build_pipeline(settings, log=log)
    spaces = {space.name for rules in rulesets for space in rules.spaces}
    return capturing.capture(
        pipeline.deps(),
        spaces,
        source="chatsync snapshot",
        rules=", ".join(rules.source for rules in rulesets),
        log=log,
    )


def run(args: argparse.Namespace) -> int:
    from chatsync.adapters import snapshot as files
    from chatsync.app.logs import Logger
    from chatsync.domain.rules import load_rules

    settings = settings_from(args, state="optional", dry_run=True)
    log = Logger(stream=sys.stderr, fmt="text", level="WARNING")
    rulesets = [load_rules(settings.rules_file), *(load_rules(p) for p in args.also_rules)]
    snapshot = take(settings, rulesets, log=log)
    if args.out == "-":
        sys.stdout.write(files.dumps(snapshot))
        return 0
    files.write(args.out, snapshot)
    memberships = sum(len(r.members or ()) for r in snapshot.spaces.values())
    print(
        f"Wrote {args.out}: {len(snapshot.people)} people, {len(snapshot.spaces)} spaces, "
        f"{memberships} memberships, taken {snapshot.taken_at_text}.\n"
        f"Review a rules change from it: chatsync plan --rules NEW.yaml --snapshot {args.out}",
        file=sys.stdout,
    )
    return 0
