"""Interrupt-safe runs, end to end: Ctrl-C during ``chatsync reconcile --yes`` stops new writes,
lets those in flight finish, leaves every landed write in the audit trail, and ``chatsync
revert`` of the interrupted run puts the rosters back. A run killed outright is in the trail
too, listed as interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from typing import Any

import pytest
import yaml
from tests.conftest import DEMO_SEED
from tests.integration.running import COMMAND, chatsync

pytestmark = pytest.mark.slow

NEW_ENGINEERS = 50
"""Each is added to Engineering and to Announcements: 100 adds, at 0.3 s each."""


def seed_needing_adds() -> dict[str, Any]:
    seed = yaml.safe_load(DEMO_SEED.read_text())
    seed["directory"]["users"] += [
        {
            "email": f"new{i:02d}@example.com",
            "name": f"New {i}",
            "org_unit_path": "/Engineering",
            "department": "Engineering",
            "title": "Software Engineer",
        }
        for i in range(NEW_ENGINEERS)
    ]
    return seed


def rosters(emulator: Any) -> dict[str, dict[str, str]]:
    """Space -> {member: API role}, apps and groups included."""
    return {
        s["name"]: {
            str(m.get("email") or m.get("user") or m["name"]): m["role"] for m in s["memberships"]
        }
        for s in emulator.state()["spaces"]
    }


def changed(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> set[Any]:
    return {
        (space, who)
        for space in after
        for who in set(after[space]) | set(before.get(space, {}))
        if after[space].get(who) != before.get(space, {}).get(who)
    }


def creates(emulator: Any) -> int:
    return sum(1 for c in emulator.calls() if c["method"] == "spaces.members.create")


def test_ctrl_c_stops_a_reconcile_and_its_run_is_audited_and_revertible(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """The acceptance scenario: ~100 adds at 0.3 s, SIGINT four seconds in."""
    emulator.reset(seed_needing_adds())
    emulator.set_random_faults(0.0, latency=0.3, methods=["spaces.members.create"])
    seed = rosters(emulator)
    process = subprocess.Popen(
        [*COMMAND, "reconcile", "--yes"],
        env={**os.environ, **chatsync_env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    while time.monotonic() - started < 4 or creates(emulator) == 0:
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)

    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)  # the acceptance bound: stopped within 10 s

    assert process.returncode == 130, err
    assert "Traceback" not in out + err
    assert "Interrupted: run reconcile-" in err
    assert 0 < creates(emulator) < 2 * NEW_ENGINEERS  # it stopped part-way
    run = out.split("Undo it: chatsync revert ")[1].split()[0]
    audit = chatsync("audit", "--json", env=chatsync_env)
    entries = [json.loads(line) for line in audit.stdout.splitlines()]
    applied = {(e["space"], e["email"]) for e in entries if e["outcome"] == "applied"}
    assert {e["run_id"] for e in entries} == {run}
    assert changed(seed, rosters(emulator)) == applied
    assert {e["run_status"] for e in entries} == {"interrupted"}
    listed = chatsync("audit", env=chatsync_env)
    assert f"Run {run} was interrupted" in listed.stderr

    reverted = chatsync("revert", run, "--yes", env=chatsync_env)

    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    assert rosters(emulator) == seed


def test_a_run_killed_outright_is_listed_as_interrupted_and_can_be_reverted(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """SIGKILL (no chance to clean up): what landed is in the trail, the run shows as
    interrupted because its process is gone, and the revert restores the rosters."""
    emulator.reset(seed_needing_adds())
    emulator.set_random_faults(0.0, latency=0.3, methods=["spaces.members.create"])
    seed = rosters(emulator)
    process = subprocess.Popen(
        [*COMMAND, "reconcile", "--yes"],
        env={**os.environ, **chatsync_env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while creates(emulator) < 5:
        assert process.poll() is None
        time.sleep(0.05)

    process.kill()
    process.wait(timeout=10)
    time.sleep(1.0)  # creates already sent are held 0.3 s by the emulator, then land: let them

    audit = chatsync("audit", "--json", env=chatsync_env)
    entries = [json.loads(line) for line in audit.stdout.splitlines()]
    assert entries and {e["run_status"] for e in entries} == {"interrupted"}
    landed = {(e["space"], e["email"]) for e in entries if e["outcome"] == "applied"}
    unsure = {(e["space"], e["email"]) for e in entries if e["outcome"] == "unconfirmed"}
    assert landed <= changed(seed, rosters(emulator)) <= landed | unsure
    run = entries[0]["run_id"]

    reverted = chatsync("revert", run, "--yes", env=chatsync_env)

    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    assert rosters(emulator) == seed
