"""An HR event reads a person's groups only when some rule names a group: otherwise the account
alone decides (one users.get, no groups.list walk), and the event lands the same."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import events as ev
from chatsync.domain import messages

pytestmark = pytest.mark.facts

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "functions/rules.yaml"
HIRE = ROOT / "functions/chatsync/samples/demo/story/01-hire.json"


def _hire(app: Any) -> Any:
    (message,) = messages.load([HIRE])
    return [app.handle(event) for event in ev.decode_message(message.to_pubsub())][-1]


def _directory_calls(emulator: Any) -> list[str]:
    return [c["method"] for c in emulator.calls() if c["method"].startswith("directory.")]


def _without_group_rules(tmp_path: Path) -> Path:
    """The demo rules, less the one rule that names a group."""
    text = RULES.read_text(encoding="utf-8")
    text, dropped = re.subn(
        r"\n  - id: lisbon-office\n(?:    .*\n|      .*\n)+", "\n", text, count=1
    )
    assert dropped == 1 and "group:" not in text
    out = tmp_path / "rules.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def test_rules_that_name_a_group_read_the_persons_groups(emulator: Any, make_app: Any) -> None:
    report = _hire(make_app())

    assert report.summary()["applied"] == 3
    calls = _directory_calls(emulator)
    assert calls.count("directory.users.get") == 1
    assert "directory.groups.list" in calls


def test_rules_that_name_no_group_read_the_account_alone(
    emulator: Any, make_app: Any, tmp_path: Path
) -> None:
    report = _hire(make_app(rules_file=str(_without_group_rules(tmp_path))))

    assert report.summary()["applied"] == 3
    assert _directory_calls(emulator) == ["directory.users.get"]
