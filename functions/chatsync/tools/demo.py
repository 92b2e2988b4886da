"""``chatsync demo``: the whole job on the embedded emulator, loopback only, under a minute.

1. The Workspace emulator starts with a sample org (``samples/demo/seed.yaml``).
2. The four functions are served by functions-framework, each in its own process on 127.0.0.1,
   configured exactly as in production but pointed at the emulator.
3. A story of HR and group messages (``samples/demo/story/``) is posted as Eventarc-shaped
   CloudEvents; each decision the functions log is printed, and each message the Chat app posts
   in the admin space (a held plan: ``12-group-mistake.json``).
4. The final rosters are printed, and checked against a full reconcile reading the functions'
   own state (the HR snapshots and group changes they stored, merged with the Directory by
   ``app.facts`` as every path does): nothing left to do.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatsync.app.executing import describe
from chatsync.domain import messages

HERE = Path(__file__).resolve().parents[1]
DEMO_DIR = HERE / "samples" / "demo"
DEMO_SEED = DEMO_DIR / "seed.yaml"
DEMO_STORY = DEMO_DIR / "story"
DEMO_RULES = HERE.parent / "rules.yaml"
MAIN = HERE.parent / "main.py"
ENTRY_POINTS = ("on_hr_event", "on_group_event", "on_chat_event", "on_reconcile_tick")
ADMIN_SPACE = "spaces/AAAAchatsyncadmins"
"""CHATSYNC_ADMIN_SPACE of the demo: the seed's admins' space, with the Chat app in it."""

_SYMBOLS = {"add": "+", "promote": "^", "demote": "v", "remove": "-", "skip": "!"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FunctionProcess:
    """One functions-framework server in its own process group; its log lines on a queue."""

    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.target = target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "functions_framework",
                "--target",
                target,
                "--source",
                str(MAIN),
                "--signature-type",
                "cloudevent",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                record = {"severity": "DEBUG", "message": line.rstrip(), "raw": True}
            if isinstance(record, dict):
                self.lines.put(record)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target} exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.target} did not start within {timeout:.0f}s")

    def drain(self) -> list[dict[str, Any]]:
        out = []
        while True:
            try:
                out.append(self.lines.get(timeout=0.05))
            except queue.Empty:
                return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)


@contextmanager
def functions(env: dict[str, str]) -> Iterator[dict[str, FunctionProcess]]:
    procs = {target: FunctionProcess(target, env) for target in ENTRY_POINTS}
    try:
        for proc in procs.values():
            proc.wait_ready()
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


def show(record: dict[str, Any], out: Any) -> None:
    action = record.get("action")
    if action:
        symbol = _SYMBOLS.get(str(action), "*")
        rules = record.get("rule") or []
        why = f"   <- {rules[0]}" if rules else ""
        status = "" if record.get("outcome") in (None, "applied") else f" [{record.get('outcome')}]"
        print(f"    {symbol} {record.get('message')}{status}{why}", file=out)
    elif record.get("message") == "subscriptions checked":
        counts = ", ".join(
            f"{record[k]} {k}" for k in ("created", "renewed", "kept", "failed") if record.get(k)
        )
        print(f"    = drift subscriptions checked: {counts or 'none'}", file=out)
    elif (
        record.get("severity") in ("ERROR", "WARNING")
        or "duplicate" in str(record.get("message"))
        or "stale" in str(record.get("message"))
        or "no change" in str(record.get("message"))
    ):
        error = f": {record['error']}" if record.get("error") else ""
        print(f"    = {record.get('message')}{error}", file=out)


def show_notice(message: dict[str, Any], out: Any) -> None:
    """A message the Chat app posted in the admin space, as the admins would read it."""
    print(f"    Posted in the admin space {ADMIN_SPACE} ({message.get('name')}):", file=out)
    for line in str(message.get("text", "")).splitlines():
        print(f"      | {line}", file=out)


def directory_side_effects(emu: Any, message: messages.TestMessage, seen: dict[str, int]) -> None:
    """What Workspace itself would show after the event: the HR bridge writes the Directory,
    and a group change is already in the group when its audit log arrives."""
    try:
        data = json.loads(message.data)
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    event_type = str(data.get("event_type", ""))
    subject = data.get("subject") or {}
    if event_type.startswith("group.") and isinstance(data.get("group"), dict):
        group = data["group"]
        emu.directory_change(
            group=group.get("email"),
            member=group.get("member_email"),
            added=event_type == "group.member_added",
            kind="GROUP" if group.get("member_type") == "group" else "USER",
        )
    elif event_type.startswith("person.") and isinstance(data.get("person"), dict):
        person, email = data["person"], str(subject.get("work_email"))
        sequence = int(data.get("sequence") or 0)
        if sequence < seen.get(email, 0):
            return  # the bridge does not write an older record over a newer one
        seen[email] = sequence
        if person.get("employment_status") in ("active", "leave", "terminated", "pre_hire"):
            emu.directory_update_user(email, person)


def run_demo(out: Any = sys.stdout) -> int:
    from chatsync.app.logs import Logger
    from chatsync.app.settings import Settings
    from chatsync.runtime import build_pipeline
    from workspace_emulator.server import EmulatorServer

    started = time.monotonic()
    story = messages.load([DEMO_STORY])
    with (
        tempfile.TemporaryDirectory(prefix="chatsync-demo-") as tmp,
        EmulatorServer(DEMO_SEED) as emu,
    ):
        env = {
            **os.environ,
            "CHATSYNC_CHAT_ENDPOINT": emu.url,
            "CHATSYNC_DIRECTORY_ENDPOINT": emu.url,
            "CHATSYNC_EVENTS_ENDPOINT": emu.url,
            "CHATSYNC_ACCESS_TOKEN": "app",
            "CHATSYNC_RULES_FILE": str(DEMO_RULES),
            "CHATSYNC_ALLOW_DEMO_SPACES": "true",
            "CHATSYNC_STATE_BACKEND": "sqlite",
            "CHATSYNC_STATE_PATH": str(Path(tmp) / "state.sqlite3"),
            "CHATSYNC_LOG_FORMAT": "json",
            "CHATSYNC_ADMIN_SPACE": ADMIN_SPACE,
            "PYTHONUNBUFFERED": "1",
        }
        print(
            f"Workspace emulator on {emu.url} with the demo org "
            f"({DEMO_SEED.relative_to(HERE.parent.parent)})",
            file=out,
        )
        settings = Settings.from_env(env)
        quiet = Logger(level="ERROR", stream=sys.stderr, fmt="text")
        # The functions' own state file: the check reads the facts the events left behind.
        checker = build_pipeline(settings.with_overrides(dry_run=True), log=quiet)
        before, _ = checker.plan_all(log=quiet)
        print(
            f"Before the story, a full reconcile finds {len(before.operations)} "
            "difference(s) that no event will report:",
            file=out,
        )
        for op in before.operations:
            print(f"    {describe(op)}   <- {'; '.join(op.reasons)}", file=out)
        print("", file=out)
        seen: dict[str, int] = {}
        shown = 0
        with functions(env) as procs:
            print(
                "Functions served by functions-framework on 127.0.0.1: "
                + ", ".join(f"{t}:{p.port}" for t, p in procs.items())
                + "\n",
                file=out,
            )
            for message in story:
                print(f"> {message.description or message.origin}", file=out)
                directory_side_effects(emu, message, seen)
                proc = procs[message.entry_point]
                headers, body = message.cloud_event()
                status = _post(proc.url, headers, body)
                for record in proc.drain():
                    show(record, out)
                verdict = "acked" if status < 300 else "nacked: Pub/Sub would redeliver"
                print(f"    HTTP {status} ({verdict})", file=out)
                posted = emu.messages(ADMIN_SPACE)
                for notice in posted[shown:]:
                    show_notice(notice, out)
                shown = len(posted)
                print("", file=out)
        after, _ = checker.plan_all(log=quiet)
        print("Final rosters:", file=out)
        _rosters(emu.state(), out)
        print(
            f"\nAfter the story, a full reconcile finds {len(after.operations)} difference(s).",
            file=out,
        )
        print("\n$ chatsync status   (the functions' state after the story)\n", file=out)
        out.write(_status(settings))
        print(f"Demo finished in {time.monotonic() - started:.1f}s.", file=out)
        return 0 if not after.operations else 1


def _status(settings: Any) -> str:
    """What ``chatsync status`` prints for the demo's state file and emulator."""
    from chatsync.app import status
    from chatsync.app.logs import Logger
    from chatsync.runtime import build_pipeline
    from chatsync.tools.commands.status import text

    pipeline = build_pipeline(settings, log=Logger(level="ERROR", stream=sys.stderr))
    found = status.gather(
        pipeline.store,
        pipeline.ruleset,
        now=pipeline.clock(),
        notifier=pipeline.notifier,
        events=pipeline.workspace_events,
    )
    return text(found, project="")


def _post(url: str, headers: dict[str, str], body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _rosters(state: dict[str, Any], out: Any) -> None:
    for space in state.get("spaces", []):
        title = space.get("displayName") or "(no name)"
        print(f"  {space.get('name')}  {title}  [{space.get('spaceType')}]", file=out)
        by_role: dict[str, list[str]] = {}
        for member in space.get("memberships", []):
            who = member.get("email") or ("(app)" if member.get("app") else member.get("user"))
            by_role.setdefault(str(member.get("role", "")), []).append(str(who))
        for role in ("ROLE_MANAGER", "ROLE_ASSISTANT_MANAGER", "ROLE_MEMBER"):
            if role in by_role:
                label = ROLE_LABELS[role]
                lines = textwrap.wrap(", ".join(sorted(by_role[role])), width=84)
                print(f"      {label:<8} {lines[0]}", file=out)
                for line in lines[1:]:
                    print(f"      {'':<8} {line}", file=out)


ROLE_LABELS = {
    "ROLE_MANAGER": "owner",
    "ROLE_ASSISTANT_MANAGER": "manager",
    "ROLE_MEMBER": "member",
}
