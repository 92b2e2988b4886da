"""``chatsync reconcile`` applies through work items in process and says how to follow the run;
``--status RUN`` reads the run back from the state file."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import rosters

pytestmark = [pytest.mark.reconcile, pytest.mark.scale]

PLATFORM = "spaces/AAAAplatform"


def test_reconcile_fans_out_in_process_and_status_shows_the_finished_run(
    emulator: Any, cli: Any
) -> None:
    """The run's changes land (as work items handled here), the output names the run, and
    --status reports it done with every item counted; an unknown run is an error naming it."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "eva.lund@example.com", "remove")

    code, out, _ = cli("reconcile", "--yes", "--fan-out")
    (run_id,) = re.findall(r"chatsync reconcile --status (\S+)", out)
    status_code, status_out, _ = cli("reconcile", "--status", run_id, "--json")
    status = json.loads(status_out)
    text_code, text, _ = cli("reconcile", "--status", run_id)
    missing, _, err = cli("reconcile", "--status", "reconcile-nope")

    assert code == 0
    assert "dev.patel@example.com" not in rosters(emulator)[PLATFORM]
    assert "eva.lund@example.com" in rosters(emulator)[PLATFORM]
    assert status_code == 0 and status["state"] == "done"
    assert status["items_done"] == status["items_total"] >= 1
    assert status["applied"] >= 2 and status["failed"] == 0
    assert text_code == 0 and f"run {run_id} (reconcile): done" in text
    assert missing != 0 and "reconcile-nope" in err


def test_status_reads_the_state_alone_without_credentials(
    emulator: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """--status needs neither a token nor an admin to impersonate: it reads the state store and
    calls nothing (audit and approve --list likewise)."""
    code, out, _ = cli("reconcile", "--yes", "--fan-out")
    (run_id,) = re.findall(r"chatsync reconcile --status (\S+)", out)
    for name in ("CHATSYNC_ACCESS_TOKEN", "CHATSYNC_ADMIN_SUBJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "none.json"))
    monkeypatch.setenv("CHATSYNC_AUTH_MODE", "admin")
    calls = len(emulator.calls())

    status_code, status_out, status_err = cli("reconcile", "--status", run_id)
    audit_code, _, audit_err = cli("audit")
    held_code, _, held_err = cli("approve", "--list")

    assert code == 0
    assert status_code == 0, status_err
    assert f"run {run_id} (reconcile): done" in status_out
    assert audit_code == 0, audit_err
    assert held_code == 0, held_err
    assert len(emulator.calls()) == calls
