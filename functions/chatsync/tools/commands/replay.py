"""``chatsync replay FILES...``: send test messages through the function's own code path.

Default: in process, through functions-framework's own app for the entry point each message
belongs to (the same request handling as production). ``--to URL`` posts Eventarc-shaped
CloudEvents to a running function; ``--to pubsub`` publishes them to Pub/Sub.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from chatsync.domain import messages
from chatsync.tools.commands.common import add_connection_flags
from chatsync.tools.commands.subcommands import Subcommands

MAIN = Path(__file__).resolve().parents[3] / "main.py"


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "replay",
        help="replay test messages through the function's code path",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILES", help="message files or folders")
    p.add_argument(
        "--to",
        metavar="URL|pubsub",
        help="post to a running function at URL, or publish to Pub/Sub "
        "(PUBSUB_EMULATOR_HOST or a real project)",
    )
    p.add_argument(
        "--project",
        default=os.environ.get("GOOGLE_CLOUD_PROJECT", "chatsync-local"),
        help="Pub/Sub project for --to pubsub",
    )
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    batch = messages.load(args.files)
    if args.to == "pubsub":
        from chatsync import publishing  # type: ignore[attr-defined, unused-ignore]

        ids = publishing.publish(batch, project=args.project)
        for message, message_id in zip(batch, ids, strict=True):
            print(f"published {message.origin} -> {message.topic} as {message_id}")
        return 0
    if args.to:
        failures = 0
        for message in batch:
            status = post(args.to, message)
            failures += status >= 300
            print(f"{status} {message.origin} {message.description}".rstrip())
        return 1 if failures else 0
    _export_settings(args)
    failures = 0
    for message in batch:
        print(
            f"--> {message.origin} [{message.entry_point}] {message.description}".rstrip(),
            flush=True,
        )
        status = in_process(message)
        failures += status >= 300
        print(f"<-- {status} {'redeliver' if status >= 300 else 'ack'}", flush=True)
    return 1 if failures else 0


def _export_settings(args: argparse.Namespace) -> None:
    for flag, variables in (
        ("rules", ("CHATSYNC_RULES_FILE",)),
        ("endpoint", ("CHATSYNC_CHAT_ENDPOINT", "CHATSYNC_DIRECTORY_ENDPOINT")),
        ("token", ("CHATSYNC_ACCESS_TOKEN",)),
        ("state", ("CHATSYNC_STATE_PATH",)),
    ):
        value = getattr(args, flag, None)
        if value:
            for variable in variables:
                os.environ[variable] = value
    os.environ.setdefault("CHATSYNC_LOG_FORMAT", "text")


_APPS: dict[str, Any] = {}


def in_process(message: messages.TestMessage) -> int:
    """Post the message to functions-framework's app for its entry point; return the status."""
    import functions_framework

    app = _APPS.get(message.entry_point)
    if app is None:
        app = functions_framework.create_app(  # type: ignore[no-untyped-call]
            message.entry_point, str(MAIN), "cloudevent"
        )
        _APPS[message.entry_point] = app
    headers, body = message.cloud_event()
    response = app.test_client().post("/", headers=headers, data=json.dumps(body))
    return int(response.status_code)


def post(url: str, message: messages.TestMessage, *, timeout: float = 60.0) -> int:
    headers, body = message.cloud_event()
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError as exc:
        print(f"cannot reach {url}: {exc}", file=sys.stderr)
        return 599
