"""Work item messages: the JSON round trip, bad messages named by field and message id, the
settings that shape the fan-out, and how a plan is cut into items."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chatsync.app.settings import Settings
from chatsync.domain import errors, events, planning, work_codec
from chatsync.domain.model import Email, Role, SpaceName
from chatsync.domain.work_items import WorkItem, WorkMessage, chunk_people, slice_operations

pytestmark = pytest.mark.scale

S1, S2 = SpaceName("spaces/AAAA1"), SpaceName("spaces/AAAA2")


def ops() -> tuple[planning.Operation, ...]:
    return (
        planning.AddMember(S1, Email("a@example.com"), Role.MANAGER, ("rule 'x' matched",)),
        planning.ChangeRole(
            S1, Email("b@example.com"), f"{S1}/members/2", Role.MEMBER, Role.MANAGER
        ),
        planning.RemoveMember(S2, Email("c@example.com"), f"{S2}/members/3", Role.MEMBER),
    )


def wire(body: dict[str, Any], message_id: str = "m-7") -> dict[str, Any]:
    data = base64.b64encode(json.dumps(body).encode()).decode()
    return {"data": data, "messageId": message_id}


def test_an_ops_item_survives_the_wire_with_its_cursor_and_watermarks() -> None:
    """Encoded as published, decoded as on_work_item decodes it: the same item, and an event id
    made of the item id and the cursor."""
    item = WorkItem("run-1", 3, "ops", ops=ops(), watermarks={"a@example.com": "hr-9"})
    message = WorkMessage(item, cursor=2)
    (event,) = events.decode_message(wire(json.loads(work_codec.encode(message))))
    assert isinstance(event, events.WorkItemEvent)
    assert event.work == message
    assert event.meta.event_id == "work:run-1/00003@2"


def test_a_people_item_survives_the_wire() -> None:
    item = WorkItem(
        "group-g1", 0, "people", people=(Email("a@example.com"), Email("b@example.com"))
    )
    (event,) = events.decode_message(wire(work_codec.to_json(WorkMessage(item))))
    assert isinstance(event, events.WorkItemEvent) and event.work.item == item


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"version": 2}, "message.data.version"),
        ({"run_id": ""}, "message.data.run_id"),
        ({"index": -1}, "message.data.index"),
        ({"cursor": 9}, "message.data.cursor"),
        ({"item": "spaces"}, "message.data.item"),
        ({"operations": [{"action": "explode"}]}, "message.data.operations[0]"),
        ({"watermarks": {"a@example.com": 3}}, "message.data.watermarks"),
    ],
)
def test_a_bad_work_message_is_invalid_naming_the_field_and_message(
    change: dict[str, Any], field: str
) -> None:
    """Permanent (acked and recorded, never retried), with the field path and message id."""
    body = work_codec.to_json(WorkMessage(WorkItem("run-1", 0, "ops", ops=ops())))
    body.update(change)
    with pytest.raises(errors.InvalidEvent) as caught:
        events.decode_message(wire(body, "m-bad"))
    assert field in str(caught.value) and "m-bad" in str(caught.value)


def test_fan_out_settings_are_read_and_checked() -> None:
    """The names Terraform sets parse; nonsense is refused naming the variable."""
    env = {
        "CHATSYNC_AUTH_MODE": "app",
        "CHATSYNC_WORK_TOPIC": "projects/p/topics/chatsync-work",
        "CHATSYNC_INVOCATION_BUDGET_S": "486",
        "CHATSYNC_WORK_ITEM_SIZE": "40",
        "CHATSYNC_STALL_MINUTES": "20",
    }
    settings = Settings.from_env(env)
    assert settings.work_topic == env["CHATSYNC_WORK_TOPIC"]
    assert (settings.invocation_budget_s, settings.work_item_size) == (486.0, 40)
    assert settings.stall_minutes == 20.0
    for name, bad in (
        ("CHATSYNC_WORK_TOPIC", "chatsync-work"),
        ("CHATSYNC_INVOCATION_BUDGET_S", "0"),
        ("CHATSYNC_WORK_ITEM_SIZE", "0"),
        ("CHATSYNC_STALL_MINUTES", "-1"),
    ):
        with pytest.raises(errors.ConfigError, match=name):
            Settings.from_env({**env, name: bad})


def test_slicing_puts_every_operation_in_exactly_one_item_in_space_order() -> None:
    """Big spaces are cut at max_ops, small ones packed; within a space the plan order holds."""
    big = [planning.AddMember(S1, Email(f"p{i:03d}@example.com"), Role.MEMBER) for i in range(23)]
    small = [planning.AddMember(S2, Email(f"q{i}@example.com"), Role.MEMBER) for i in range(4)]
    items = slice_operations(big + small, max_ops=10)
    flat = [op for item in items for op in item]
    assert sorted(flat, key=repr) == sorted(big + small, key=repr)
    assert all(len(item) <= 10 for item in items)
    for item in items:  # each slice of S1 is a run of consecutive operations, in plan order
        positions = [big.index(op) for op in item if op.space == S1]
        assert not positions or positions == list(
            range(positions[0], positions[0] + len(positions))
        )
    with pytest.raises(ValueError, match="max_ops"):
        slice_operations(big, max_ops=0)


def test_people_are_chunked_once_each_in_order() -> None:
    people = [Email(f"p{i}@example.com") for i in (3, 1, 2, 1)]
    assert chunk_people(people, size=2) == [
        (Email("p1@example.com"), Email("p2@example.com")),
        (Email("p3@example.com"),),
    ]
