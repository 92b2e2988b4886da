"""Logs under faults: no token ever reaches a log line; hashed emails reach every record.

Runs the function's own code path (functions-framework app -> main._handle -> the pipeline) on
the demo story while the emulator fails a share of calls, capturing stdout, stderr and Python
logging.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import messages

pytestmark = pytest.mark.chaos

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "functions" / "chatsync" / "samples" / "demo" / "story"
HR = ROOT / "functions" / "chatsync" / "samples" / "messages" / "hr"
MAIN = ROOT / "functions" / "main.py"
CANARY = "zz-canary-9f3a7c1e-SECRET"
SCOPES = "chat.app.memberships,chat.app.spaces,chat.bot,admin.directory.user.readonly," \
    "admin.directory.group.readonly"  # fmt: skip
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@pytest.fixture
def story(
    emulator: Any,
    chatsync_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Any:
    """``story(env) -> (all output, deliveries, failed deliveries)``."""

    def run(env: dict[str, str], redeliveries: int = 30) -> tuple[str, int, int]:
        import functions_framework

        import main
        from chatsync.app.retrying import RetryPolicy

        # functions-framework loads main.py afresh, so the knobs are turned where it builds from.
        env = {"CHATSYNC_WRITES_PER_MINUTE": "30000", "CHATSYNC_READS_PER_MINUTE": "300000", **env}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(
            "chatsync.runtime.RetryPolicy",
            lambda max_attempts=4: RetryPolicy(max_attempts, base_delay=0.001, max_delay=0.004),
        )
        main.pipeline.cache_clear()
        emulator.set_time_scale(1000)
        emulator.set_random_faults(0.3, latency=0.0005, seed=5)
        deliveries = failures = 0
        caplog.set_level(logging.DEBUG)
        try:
            apps: dict[str, Any] = {}
            for message in messages.load([STORY, HR]):
                app = apps.setdefault(
                    message.entry_point,
                    functions_framework.create_app(message.entry_point, str(MAIN), "cloudevent"),
                )
                headers, body = message.cloud_event()
                for _ in range(redeliveries):  # Pub/Sub redelivers a 500 until it is acked
                    deliveries += 1
                    status = app.test_client().post("/", headers=headers, data=json.dumps(body))
                    if status.status_code < 300:
                        break
                    failures += 1
        finally:
            emulator.clear_faults()
            main.pipeline.cache_clear()
        captured = capsys.readouterr()
        return captured.out + captured.err + caplog.text, deliveries, failures

    return run


def test_no_token_in_any_log_line_under_faults(story: Any, figures: Any) -> None:
    """A recognisable token, 30% faults, every story message: the token is in no output."""
    # Two tries per call: faults bite (deliveries fail and are redelivered) whatever order calls
    # take; with four, whether any fault bites depended on the order of the calls.
    text, deliveries, failures = story(
        {"CHATSYNC_ACCESS_TOKEN": f"app;scopes={SCOPES},{CANARY}", "CHATSYNC_MAX_ATTEMPTS": "2"}
    )
    figures(deliveries=deliveries, failed_deliveries=failures, log_bytes=len(text))
    assert failures > 0, "the faults should have bitten"
    assert '"severity"' in text
    assert CANARY not in text


def test_a_refused_token_is_not_echoed_into_the_logs(story: Any) -> None:
    """The emulator echoes a refused token in its 401 body: none of it reaches a log line."""
    text, _, _ = story({"CHATSYNC_ACCESS_TOKEN": f"Bearer-{CANARY}"}, redeliveries=2)
    assert text
    assert CANARY not in text


def test_hashed_emails_reach_every_record(story: Any) -> None:
    """CHATSYNC_HASH_EMAILS=true: no JSON record carries an email address, and changes still
    carry a (hashed) person."""
    text, _, _ = story({"CHATSYNC_HASH_EMAILS": "true"})
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert records
    leaking = [r for r in records if EMAIL.search(json.dumps(r))]
    assert leaking == []
    assert any(str(r.get("person", "")).startswith("email:") for r in records)
