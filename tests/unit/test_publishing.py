"""Publishing test messages: topic names come from terraform/pubsub.json; bad batches fail early."""

from __future__ import annotations

import pytest

from chatsync.adapters import pubsub as publishing
from chatsync.domain import messages


@pytest.mark.xfail(
    "work" not in messages.DEFAULT_TOPICS,
    reason="terraform/pubsub.json has the work stream; messages.DEFAULT_TOPICS gains it with the "
    "fan-out work (on_work_item)",
    strict=True,
)
def test_the_fallback_topic_names_equal_terraform_pubsub_json() -> None:
    """messages.DEFAULT_TOPICS (used where terraform/ is absent) matches the one source of truth."""
    assert publishing.topic_names() == messages.DEFAULT_TOPICS


def test_a_message_with_neither_data_nor_attributes_is_refused_before_connecting() -> None:
    """Pub/Sub rejects such a message; publish says which file holds it, without a server."""
    empty = messages.TestMessage(origin="ticks.json[0]", topic="reconcile", data=b"")

    with pytest.raises(ValueError, match=r"ticks\.json\[0\]: Pub/Sub rejects a message"):
        publishing.publish([empty], project="p", emulator_host="127.0.0.1:9")


def test_an_unknown_topic_key_is_refused() -> None:
    """A topic mapping without the message's key names the known keys."""
    message = messages.TestMessage(origin="x.json[0]", topic="hr", data=b"{}")

    with pytest.raises(ValueError, match=r"no topic name for 'hr' \(known: \['group'\]\)"):
        publishing.publish([message], project="p", topics={"group": "g"}, emulator_host="h:1")
