"""``chatsync check RULES``: validate a rules file."""

from __future__ import annotations

import argparse
import sys

from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "check",
        help="validate a rules file; errors name file, rule and field",
        description="Validate a rules file. Exit 0 if valid, 2 with the error if not.",
    )
    p.add_argument("rules", metavar="RULES", help="path of the rules YAML")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.domain.rules import load_rules

    ruleset = load_rules(args.rules)
    modes: dict[str, int] = {}
    for space in ruleset.spaces:
        modes[space.mode] = modes.get(space.mode, 0) + 1
    summary = ", ".join(f"{n} {mode}" for mode, n in sorted(modes.items()))
    print(
        f"{args.rules}: ok: {len(ruleset.spaces)} managed spaces ({summary}), "
        f"{len(ruleset.rules)} rules, {len(ruleset.protected)} protected people",
        file=sys.stdout,
    )
    return 0
