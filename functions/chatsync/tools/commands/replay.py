"""``chatsync replay FILES...``: send test messages through the function's own code path.

Default: in process, through functions-framework's own app for the entry point each message
belongs to (the same request handling as production), one line per message: acked, acked but
dropped (a permanent error: the reason is printed), or to be redelivered (the reason too).
``--to URL`` posts Eventarc-shaped CloudEvents to a running function; ``--to pubsub``
publishes them to Pub/Sub (the emulator named by ``PUBSUB_EMULATOR_HOST``, else the real
service with Application Default Credentials).

Exit codes: 0 every message acked, 1 some would be redelivered (or could not be sent), 3 every
message was dropped (in process only: a running function does not say).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatsync.tools.commands.common import add_connection_flags
from chatsync.tools.commands.subcommands import Subcommands, help_text

if TYPE_CHECKING:
    from chatsync.domain import messages

MAIN = Path(__file__).resolve().parents[3] / "main.py"


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "replay",
        help="replay test messages through the function's code path",
        description=help_text(__doc__),
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
        help="Pub/Sub project for --to pubsub (default: GOOGLE_CLOUD_PROJECT or chatsync-local)",
    )
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.domain import messages
    from chatsync.tools.applying import EXIT_DONE, EXIT_FAILED, EXIT_REJECTED

    batch = messages.load(args.files)
    if args.to == "pubsub":
        from chatsync.adapters import pubsub

        ids = pubsub.publish(batch, project=args.project)
        for message, message_id in zip(batch, ids, strict=True):
            print(f"published {message.origin} -> {message.topic} as {message_id}")
        return EXIT_DONE
    if args.to:
        failures = 0
        for message in batch:
            status, reason = post(args.to, message)
            failures += status >= 300
            print(f"{status} {message.origin} {message.description}".rstrip())
            if reason:
                print(f"    {reason}", file=sys.stderr)
        return EXIT_FAILED if failures else EXIT_DONE
    _export_settings(args)
    failures = dropped = 0
    for message in batch:
        print(
            f"--> {message.origin} [{message.entry_point}] {message.description}".rstrip(),
            flush=True,
        )
        earlier = _dropped(message)
        status, reason = deliver(message)
        failures += status >= 300
        why = _dropped(message) if status < 300 else None
        if why == earlier:  # a record from an earlier replay: only a new one says it
            why = _undecodable(message) if status < 300 else None
        dropped += why is not None
        if status >= 300:
            print(f"<-- {status} redeliver: {reason}", flush=True)
        elif why is not None:
            print(f"<-- {status} ack, dropped: {why}", flush=True)
        else:
            print(f"<-- {status} ack", flush=True)
    if batch and dropped == len(batch):
        print(f"Every message ({dropped}) was dropped: nothing was applied.", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_FAILED if failures else EXIT_DONE


def _export_settings(args: argparse.Namespace) -> None:
    """The function reads its settings from the environment: the flags and the located rules
    and state become variables of this process (the banner says which)."""
    from chatsync.tools.commands.common import announce, locate, settings_from
    from chatsync.tools.terminal import Terminal

    located = locate(args)
    settings = settings_from(args, located=located)
    announce(Terminal(), settings, located)
    os.environ["CHATSYNC_RULES_FILE"] = settings.rules_file
    if settings.state_backend == "sqlite":
        os.environ["CHATSYNC_STATE_PATH"] = settings.state_path
    for flag, variables in (
        ("endpoint", ("CHATSYNC_CHAT_ENDPOINT", "CHATSYNC_DIRECTORY_ENDPOINT")),
        ("token", ("CHATSYNC_ACCESS_TOKEN",)),
    ):
        value = getattr(args, flag, None)
        if value:
            for variable in variables:
                os.environ[variable] = value
    os.environ.setdefault("CHATSYNC_LOG_FORMAT", "text")


_APPS: dict[str, Any] = {}


def in_process(message: messages.TestMessage) -> int:
    """Post the message to functions-framework's app for its entry point; return the status."""
    return deliver(message)[0]


def deliver(message: messages.TestMessage) -> tuple[int, str]:
    """Post the message to functions-framework's app for its entry point: the status, and the
    reason the function gave for a failure (its error text, not Flask's traceback)."""
    import functions_framework

    app = _APPS.get(message.entry_point)
    if app is None:
        app = functions_framework.create_app(  # type: ignore[no-untyped-call]
            message.entry_point, str(MAIN), "cloudevent"
        )
        # Flask would log a 60-line traceback for each redelivered message; the function has
        # already logged why, and the crash handler answers with the error text.
        app.logger.disabled = True
        _APPS[message.entry_point] = app
    headers, body = message.cloud_event()
    response = app.test_client().post("/", headers=headers, data=json.dumps(body))
    status = int(response.status_code)
    return status, response.get_data(as_text=True).strip()[:300] if status >= 300 else ""


def _dropped(message: messages.TestMessage) -> str | None:
    """Why the function acked ``message`` without applying it, if it did (its dropped record,
    in the store of the function loaded in this process)."""
    from chatsync.app import records

    main = sys.modules.get("main")
    if main is None or not hasattr(main, "pipeline"):
        return None
    doc = main.pipeline().store.get_doc(records.DROPPED, message.message_id)
    return str(doc.get("error")) if doc else None


def _undecodable(message: messages.TestMessage) -> str | None:
    """Why ``message`` cannot decode (the function drops such a message), if it cannot."""
    from chatsync.domain import errors, events

    try:
        events.decode_message(message.to_pubsub(), message_id=message.message_id)
    except errors.PermanentError as exc:
        return str(exc)
    return None


def post(url: str, message: messages.TestMessage, *, timeout: float = 60.0) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    headers, body = message.cloud_event()
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.reason or ""
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return 599, f"cannot reach {url}: {reason}"
