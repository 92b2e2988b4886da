"""Fuzzing the boundaries: decoders and the rules loader take 100,000+ generated inputs, and only
the project's documented error types come out; fuzzed events that do decode never make the
Chat adapter send a resource name that is not a validated spaces/<id> or users/<id-or-email>."""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

import pytest

from chaos import fuzzing, harness
from chatsync.domain import errors, events
from chatsync.domain.rules import load_rules_text
from conftest import DEMO_RULES

pytestmark = pytest.mark.chaos

DECODE_INPUTS = 95_000
ENVELOPE_INPUTS = 5_000
RULES_INPUTS = 6_000
CLOUD_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"


def test_decode_message_raises_only_invalid_event(figures: Any) -> None:
    """Mutated Pub/Sub messages: a typed event or InvalidEvent, never anything else."""
    seeds = fuzzing.seed_messages()
    mutator = fuzzing.Mutator(seed=20261123)
    decoded = invalid = 0
    started = time.monotonic()
    for i in range(DECODE_INPUTS):
        message = mutator.message(seeds[i % len(seeds)])
        try:
            if i % 4 == 0:
                body = {"message": message, "subscription": "projects/p/subscriptions/s"}
                result = events.decode_cloud_event(f"ce-{i}", CLOUD_TYPE, "//pubsub", body)
            else:
                result = events.decode_message(message, message_id=f"m-{i}")
        except errors.InvalidEvent:
            invalid += 1
            continue
        except Exception as exc:  # pragma: no cover - the point of the test
            pytest.fail(f"input #{i} raised {type(exc).__name__}: {exc!r:.300}\n{message!r:.2000}")
        decoded += len(result)
    figures(
        inputs=DECODE_INPUTS,
        seeds=len(seeds),
        decoded_events=decoded,
        invalid=invalid,
        seconds=round(time.monotonic() - started, 1),
    )
    assert decoded > 1000 and invalid > 1000  # the mutations reach both sides


def test_decode_cloud_event_refuses_hostile_envelopes() -> None:
    """Wrong CloudEvent types, raw bytes and non-objects: InvalidEvent only."""
    mutator = fuzzing.Mutator(seed=7)
    for i in range(ENVELOPE_INPUTS):
        data: Any = mutator.value() if i % 2 else mutator.bytes_(b'{"message": {"data": ""}}')
        ce_type = CLOUD_TYPE if i % 3 else str(mutator.value())
        with contextlib.suppress(errors.InvalidEvent):
            events.decode_cloud_event(str(i), ce_type, "//x", data)


def test_rules_loader_raises_only_rule_config_error(figures: Any) -> None:
    """Mutated rules files: a Ruleset or RuleConfigError naming the file, never anything else."""
    seeds = fuzzing.seed_rules()
    mutator = fuzzing.Mutator(seed=42)
    loaded = refused = 0
    started = time.monotonic()
    for i in range(RULES_INPUTS):
        text = mutator.rules_text(seeds[i % len(seeds)])
        try:
            load_rules_text(text, file="fuzz.yaml")
            loaded += 1
        except errors.RuleConfigError as exc:
            assert str(exc).startswith("fuzz.yaml")
            refused += 1
        except Exception as exc:  # pragma: no cover - the point of the test
            pytest.fail(f"input #{i} raised {type(exc).__name__}: {exc!r:.300}\n{text[:3000]}")
    figures(
        inputs=RULES_INPUTS,
        loaded=loaded,
        refused=refused,
        seconds=round(time.monotonic() - started, 1),
    )
    assert loaded > 100 and refused > 1000
    assert DECODE_INPUTS + ENVELOPE_INPUTS + RULES_INPUTS >= 100_000


SPACE = r"spaces/[A-Za-z0-9_-]{1,128}"
LOCAL = r"[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*"
MEMBER = rf"(?:[A-Za-z0-9_-]{{1,128}}|{LOCAL}@[A-Za-z0-9.-]+)"
CHAT_PATHS = re.compile(rf"^/v1/(?:{SPACE}|{SPACE}/members|{SPACE}/members/{MEMBER})$")


def test_fuzzed_events_never_reach_chat_with_an_invalid_name(emulator: Any, figures: Any) -> None:
    """Every decodable mutant runs through the pipeline; every Chat path sent is well formed."""
    seeds = fuzzing.seed_messages()
    mutator = fuzzing.Mutator(seed=99)
    pipe = harness.pipeline(emulator, load_rules_text(DEMO_RULES.read_text()), attempts=1)
    emulator.set_time_scale(1000)
    since = len(emulator.calls())
    ran = refused = 0
    i = 0
    while ran < 400 and i < 50_000:
        i += 1
        message = mutator.message(seeds[i % len(seeds)])
        try:
            decoded = events.decode_message(message, message_id=f"f-{i}")
        except errors.InvalidEvent:
            continue
        for event in decoded:
            ran += 1
            try:
                pipe.handle(event)
            except errors.SyncError:
                refused += 1
    calls = emulator.calls(since)
    chat = [c for c in calls if not c["path"].startswith("/admin/")]
    bad = [c["path"] for c in chat if not CHAT_PATHS.match(c["path"])]
    figures(events_run=ran, refused=refused, chat_calls=len(chat), invalid_names_sent=len(bad))
    assert ran >= 400
    assert chat, "the fuzzed events should reach Chat at all"
    assert bad == []
