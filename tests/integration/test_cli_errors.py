"""Common mistakes end in one line that says what to fix, never a Python traceback; answers that
used to mislead (no changes, exit 0) now say what happened."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.running import ROOT, chatsync

STORY = ROOT / "functions" / "chatsync" / "samples" / "demo" / "story"
PLATFORM = "spaces/AAAAplatform"


def clean(result: subprocess.CompletedProcess[str]) -> str:
    """Both streams, asserting first that neither holds a traceback."""
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web_page() -> Iterator[str]:
    """A web server that is not the Chat API: every path is an HTML 404 page."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    server.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_credentials(tmp_path: Path) -> dict[str, str]:
    """An environment where Google's default credentials cannot be found (and fast)."""
    return {
        "CHATSYNC_ACCESS_TOKEN": "",
        "GOOGLE_APPLICATION_CREDENTIALS": "",
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "HOME": str(tmp_path),
        "GCE_METADATA_HOST": "127.0.0.1:9",
        "GCE_METADATA_IP": "127.0.0.1:9",
        "NO_GCE_CHECK": "True",
    }


@pytest.mark.parametrize(
    ("subject", "said"),
    [("", "CHATSYNC_ADMIN_SUBJECT is empty"), ("it-admin@example.com", "no Google credentials")],
    ids=["no-admin-subject", "no-credentials"],
)
def test_plan_against_the_emulator_without_a_token_says_to_pass_one(
    chatsync_env: dict[str, str], no_credentials: dict[str, str], subject: str, said: str
) -> None:
    """`plan --endpoint URL FILE` with no --token: what is missing, and how to give the emulator
    a token instead."""
    env = {**chatsync_env, **no_credentials, "CHATSYNC_ADMIN_SUBJECT": subject}

    result = chatsync(
        "plan",
        "--endpoint",
        chatsync_env["CHATSYNC_CHAT_ENDPOINT"],
        str(STORY / "07-termination.json"),
        env=env,
    )

    assert result.returncode == 2
    assert said in clean(result)
    assert "--token app" in result.stderr


def test_a_state_location_that_cannot_be_written_is_named(
    chatsync_env: dict[str, str], tmp_path: Path
) -> None:
    """--state under a path that is a file: the error names the path, nothing else happens."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    state = blocker / "state.sqlite3"

    result = chatsync("reconcile", "--dry-run", "--state", str(state), env=chatsync_env)

    assert result.returncode == 2
    assert str(state) in clean(result)


def test_replay_to_pubsub_without_an_emulator_or_credentials_says_how_to_start_one(
    chatsync_env: dict[str, str], no_credentials: dict[str, str]
) -> None:
    """No PUBSUB_EMULATOR_HOST and no credentials: start the emulator, or log in."""
    env = {**chatsync_env, **no_credentials, "PUBSUB_EMULATOR_HOST": ""}

    result = chatsync("replay", "--to", "pubsub", str(STORY / "01-hire.json"), env=env)

    assert result.returncode == 2
    assert "scripts/pubsub-emulator" in clean(result)
    assert "PUBSUB_EMULATOR_HOST" in result.stderr


def test_replay_to_a_pubsub_emulator_that_is_down_fails_at_once_naming_the_host(
    chatsync_env: dict[str, str],
) -> None:
    """A closed port: an immediate error that names it, not a 60 s wait and a TimeoutError."""
    host = f"127.0.0.1:{free_port()}"
    env = {**chatsync_env, "PUBSUB_EMULATOR_HOST": host}

    result = chatsync("replay", "--to", "pubsub", str(STORY / "01-hire.json"), env=env, timeout=30)

    assert result.returncode == 2
    assert f"cannot reach the Pub/Sub emulator at {host}" in clean(result)


def test_audit_json_into_a_pipe_that_closes_early_ends_quietly(
    chatsync_env: dict[str, str],
) -> None:
    """`chatsync audit --json | head -1`: one line read, the rest unwanted; no BrokenPipeError."""
    from chatsync.adapters.store.sqlite import SqliteStore
    from chatsync.app.ports import AuditEntry

    store = SqliteStore(chatsync_env["CHATSYNC_STATE_PATH"])
    store.record(
        [
            AuditEntry(
                f"run-{i}",
                float(i),
                PLATFORM,
                f"p{i}@example.com",
                "add",
                None,
                "member",
                "applied",
            )
            for i in range(3000)
        ]
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "chatsync.tools.cli", "audit", "--json"],
        env={**os.environ, **chatsync_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    first = json.loads(process.stdout.readline())
    process.stdout.close()

    code = process.wait(timeout=60)

    assert first["run_id"] == "run-0"
    assert code == 0
    assert process.stderr.read() == ""


def test_replay_against_a_closed_port_says_redeliver_with_the_reason_in_a_few_lines(
    chatsync_env: dict[str, str],
) -> None:
    """The function cannot reach Chat: one line per message with the reason, no Flask dump."""
    closed = f"http://127.0.0.1:{free_port()}/"
    env = {**chatsync_env, "CHATSYNC_MAX_ATTEMPTS": "1"}

    result = chatsync("replay", "--endpoint", closed, str(STORY / "07-termination.json"), env=env)

    assert result.returncode == 1
    text = clean(result)
    assert "<-- 500 redeliver: " in result.stdout
    assert len(text.splitlines()) < 15


def test_the_pubsub_emulator_script_without_gcloud_prints_one_line(tmp_path: Path) -> None:
    """No gcloud on PATH: what to install, exit 2, no traceback."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "local_pubsub.py"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": str(tmp_path)},
        check=False,
    )

    assert result.returncode == 2
    assert "gcloud is not on PATH" in clean(result)


def test_plan_where_every_message_is_rejected_says_so_and_exits_3(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """Not "No changes. Chat spaces match the rules." and 0: nothing was planned at all."""
    result = chatsync("plan", str(STORY / "09-malformed.json"), env=chatsync_env)

    assert result.returncode == 3
    assert "No changes" not in clean(result)
    assert "every" in result.stderr or "all 1 message(s) were rejected" in result.stderr


def test_replay_where_every_message_is_dropped_exits_3(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """The function acked and dropped the only message: nothing was applied."""
    result = chatsync("replay", str(STORY / "09-malformed.json"), env=chatsync_env)

    assert result.returncode == 3
    assert "ack, dropped: " in clean(result)


def test_commands_against_a_server_that_is_not_chat_name_the_endpoint(
    emulator: Any, chatsync_env: dict[str, str], web_page: str
) -> None:
    """plan, reconcile: exit 2 naming the URL; replay: redelivered (not acked and dropped)."""
    env = {
        **chatsync_env,
        "CHATSYNC_CHAT_ENDPOINT": web_page,
        "CHATSYNC_DIRECTORY_ENDPOINT": web_page,
        "CHATSYNC_MAX_ATTEMPTS": "1",
    }
    termination = str(STORY / "07-termination.json")

    planned = chatsync("plan", termination, env=env)
    reconciled = chatsync("reconcile", "--dry-run", env=env)
    replayed = chatsync("replay", termination, env=env)

    for result in (planned, reconciled):
        assert result.returncode == 2
        assert "did not answer like a Google API (an HTML page)" in clean(result)
        assert web_page in result.stderr
        assert "<html" not in result.stdout + result.stderr.lower()
    assert "No changes" not in planned.stdout
    assert "not in the Directory" not in reconciled.stderr
    assert replayed.returncode == 1 and "<-- 500 redeliver" in clean(replayed)


def test_planning_a_folder_lists_each_change_once(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """The story's termination, its duplicate and the reconcile plan the same removal: once."""
    result = chatsync("plan", "--json", str(STORY), env=chatsync_env)

    clean(result)
    body = json.loads(result.stdout)
    keys = [(op["action"], op["space"], op["person"]) for op in body["operations"]]
    assert len(keys) == len(set(keys))
    removals = [k for k in keys if k[2] == "leaver@example.com"]
    assert removals and body["summary"]["remove"] == sum(k[0] == "remove" for k in keys)


def test_reverting_a_run_twice_says_it_is_already_undone_and_records_nothing(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """The second revert finds every membership as before the run: no plan, no empty run."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    done = chatsync("reconcile", "--yes", env=chatsync_env)
    run = done.stdout.split("Undo it: chatsync revert ")[1].split()[0]
    assert chatsync("revert", run, "--yes", env=chatsync_env).returncode == 0
    runs_before = chatsync("audit", "--json", env=chatsync_env).stdout

    again = chatsync("revert", run, "--yes", env=chatsync_env)

    assert again.returncode == 0
    assert f"Run {run} is already undone" in clean(again)
    assert "left alone" not in again.stdout
    assert chatsync("audit", "--json", env=chatsync_env).stdout == runs_before


def test_explain_of_someone_chatsync_never_saw_is_an_error(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """A mistyped address: exit 2, no made-up "terminated" fact."""
    result = chatsync("explain", "nobdy@example.com", env=chatsync_env)

    assert result.returncode == 2
    assert "nobdy@example.com is not in the Directory" in clean(result)
    assert "terminated" not in result.stdout


def test_explain_shows_each_custom_attribute_once(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """custom.job_level, not custom.job_level and custom.HR.job_level."""
    result = chatsync("explain", "raj.mehta@example.com", "platform", env=chatsync_env)

    assert result.returncode == 0, result.stderr
    assert "fact custom.job_level: M1" in clean(result)
    assert "custom.HR.job_level" not in result.stdout


def test_audit_of_an_unknown_space_names_the_managed_ones(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """`audit --space bogus`: an error listing what the rules manage, not silence."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    chatsync("reconcile", "--yes", env=chatsync_env)

    result = chatsync("audit", "--space", "bogus", env=chatsync_env)

    assert result.returncode == 2
    assert "'bogus' is not a managed space; managed: announcements" in clean(result)


def test_audit_prints_column_headers(emulator: Any, chatsync_env: dict[str, str]) -> None:
    """The table says what each column is."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    chatsync("reconcile", "--yes", env=chatsync_env)

    result = chatsync("audit", env=chatsync_env)

    assert clean(result).splitlines()[0].split() == [
        "when",
        "run",
        "action",
        "person",
        "space",
        "change",
        "outcome",
    ]


def test_a_yaml_error_names_the_rules_file(tmp_path: Path) -> None:
    """The parser's position is in the file the user wrote, not in "<unicode string>"."""
    rules = tmp_path / "team-rules.yaml"
    rules.write_text("version: 1\nspaces: [\n  - id: x\n")

    result = chatsync("check", str(rules))

    assert result.returncode == 2
    assert '"team-rules.yaml", line' in clean(result)
    assert "<unicode string>" not in result.stderr
