"""``chatsync doctor``: check a deployment against its tenant (or the emulator) before any write.

Runs with the deployment's own settings and credentials (CHATSYNC_* variables; flags override
them) and only reads: the rules file, a token for every credential set of the auth mode, the
Directory, every rules space (exists, a named space, manageable in the auth mode), Workspace
Events, and with ``--project`` the Pub/Sub topics and subscriptions. Prints a checklist, each
line ``ok``, ``warn`` or ``fail`` with the fix; ``--json`` prints one JSON object per check and
line (JSON Lines): ``{"check", "subject", "status", "detail", "fix"}``. Exit 1 on any ``fail``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from chatsync.tools.commands.common import add_connection_flags, settings_from
from chatsync.tools.commands.subcommands import Subcommands, help_text


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "doctor",
        help="preflight: credentials, scopes and every rules space, with the fix for each",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="one JSON object per check and line")
    p.add_argument(
        "--auth-mode", choices=("admin", "app"), help="auth mode to check (CHATSYNC_AUTH_MODE)"
    )
    p.add_argument(
        "--admin-subject", metavar="EMAIL", help="admin to impersonate (CHATSYNC_ADMIN_SUBJECT)"
    )
    p.add_argument(
        "--project",
        metavar="P",
        default=None,
        help="also check the Pub/Sub topics and subscriptions of this project "
        "(Application Default Credentials, or PUBSUB_EMULATOR_HOST)",
    )
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.app import doctor
    from chatsync.runtime import build_doctor

    settings = settings_from(
        args, state="optional", auth_mode=args.auth_mode, admin_subject=args.admin_subject
    )
    store = None
    if settings.state_backend == "sqlite" and not Path(settings.state_path).exists():
        from chatsync.adapters.store import MemoryStore

        store = MemoryStore()  # nothing recorded yet, and doctor creates no state file
    project = args.project or ""
    deps = build_doctor(settings, project=project, store=store)
    checks = doctor.run(deps)
    if args.json:
        for check in checks:
            print(json.dumps(check.to_json()))
    else:
        print(
            f"chatsync doctor: auth mode {settings.auth_mode}, rules {settings.rules_file}, "
            f"Chat {settings.chat_endpoint}"
        )
        for check in checks:
            print(doctor.text_line(check))
        counts = {s: sum(c.status == s for c in checks) for s in ("ok", "warn", "fail")}
        print(f"{counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail")
    return 1 if doctor.failed(checks) else 0
