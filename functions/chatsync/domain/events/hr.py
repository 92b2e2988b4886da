"""``dirsync.hr.v1``: the normalized HR event (person changes and Google Group membership).

The JSON Schema lives in ``chatsync/schemas/hr-event.v1.json``; this decoder enforces the same
rules and names the failing field. Unknown fields are ignored (additive changes keep the
version); an unknown ``schema`` value is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from chatsync.domain import model
from chatsync.domain.events import fields, raw, types

SCHEMA = "dirsync.hr.v1"
SCHEMAS = (SCHEMA,)

PERSON_TYPES = (
    "person.hired",
    "person.rehired",
    "person.updated",
    "person.job_changed",
    "person.transferred",
    "person.manager_changed",
    "person.leave_started",
    "person.leave_ended",
    "person.terminated",
)
GROUP_TYPES = ("group.member_added", "group.member_removed", "group.member_role_changed")
EVENT_TYPES = PERSON_TYPES + GROUP_TYPES
STATUSES = ("active", "leave", "terminated", "pre_hire")
MEMBER_TYPES = ("user", "group")
GROUP_ROLES = ("MEMBER", "MANAGER", "OWNER")
_STRING_FACTS = (
    "title",
    "job_level",
    "department",
    "division",
    "cost_center",
    "location",
    "org_unit_path",
)
_DATA = "message.data"


def matches(message: raw.RawMessage) -> bool:
    """Ours when the attributes or the payload name a ``schema``."""
    payload = message.json_object()
    return "schema" in message.attributes or (
        payload is not None and "schema" in payload and "protoPayload" not in payload
    )


def decode(message: raw.RawMessage) -> tuple[types.Event, ...]:
    """Decode one HR message into a ``PersonEvent`` or a ``GroupEvent``."""
    where = message.where
    declared = message.attributes.get("schema")
    if declared is not None and declared not in SCHEMAS:
        raise where.fail("message.attributes.schema", _unsupported(declared))
    body = fields.mapping(message.json(where), _DATA, where)
    schema = body.get("schema")
    if schema is None and declared is None:
        raise where.fail(f"{_DATA}.schema", "missing")
    if schema is not None and schema not in SCHEMAS:
        raise where.fail(f"{_DATA}.schema", _unsupported(schema))
    event_type = fields.string(body, "event_type", _DATA, where)
    if event_type not in EVENT_TYPES:
        problem = f"{fields.show(event_type)} is not one of {', '.join(EVENT_TYPES)}"
        raise where.fail(f"{_DATA}.event_type", problem)
    where = where.typed(event_type)
    source = fields.child(body, "source", _DATA, where)
    subject = fields.child(body, "subject", _DATA, where)
    meta = message.meta(
        event_id=fields.string(body, "event_id", _DATA, where),
        event_type=event_type,
        occurred_at=fields.timestamp(body, "occurred_at", _DATA, where),
        sequence=fields.optional_integer(body, "sequence", _DATA, where),
        source_system=fields.string(source, "system", f"{_DATA}.source", where),
    )
    effective_at = fields.timestamp(body, "effective_at", _DATA, where, dates=True)
    work_email = fields.checked(subject, "work_email", f"{_DATA}.subject", where, model.email)
    if event_type in GROUP_TYPES:
        return (_group_event(body, meta, where),)
    person = _person(body, subject, work_email, where)
    previous = fields.optional_child(body, "previous", _DATA, where) or {}
    return (
        types.PersonEvent(
            meta=meta,
            person=person,
            effective_at=effective_at,
            previous=MappingProxyType(dict(previous)),
            changed_fields=fields.strings(body, "changed_fields", _DATA, where),
        ),
    )


def _unsupported(value: object) -> str:
    return f"{fields.show(value)} is not a supported schema (supported: {', '.join(SCHEMAS)})"


def _person(
    body: Mapping[str, object],
    subject: Mapping[str, object],
    work_email: model.Email,
    where: fields.Where,
) -> model.Person:
    path = f"{_DATA}.person"
    facts = fields.child(body, "person", _DATA, where)
    status = fields.one_of(facts, "employment_status", path, where, STATUSES)
    manager = fields.optional_child(facts, "manager", path, where)
    manager_email = None
    if manager is not None and manager.get("work_email") is not None:
        manager_email = fields.checked(manager, "work_email", f"{path}.manager", where, model.email)
    strings = {name: fields.optional_string(facts, name, path, where) for name in _STRING_FACTS}
    return model.Person(
        email=work_email,
        employment_status=model.EmploymentStatus(status),
        person_id=fields.optional_string(subject, "person_id", f"{_DATA}.subject", where),
        google_user_id=fields.optional_string(subject, "google_user_id", f"{_DATA}.subject", where),
        title=strings["title"],
        job_level=strings["job_level"],
        department=strings["department"],
        division=strings["division"],
        cost_center=strings["cost_center"],
        location=strings["location"],
        org_unit_path=strings["org_unit_path"],
        is_people_manager=fields.boolean(facts, "is_people_manager", path, where, default=False),
        manager_email=manager_email,
        custom=_custom(facts, path, where),
    )


def _custom(facts: Mapping[str, object], path: str, where: fields.Where) -> Mapping[str, str]:
    custom = fields.optional_child(facts, "custom", path, where) or {}
    values: dict[str, str] = {}
    for key, value in custom.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise where.fail(
                f"{path}.custom.{key}", f"expected a string, got {fields.kind_of(value)}"
            )
        values[key] = str(value)
    return MappingProxyType(values)


def _group_event(
    body: Mapping[str, object], meta: types.EventMeta, where: fields.Where
) -> types.GroupEvent:
    path = f"{_DATA}.group"
    group = fields.child(body, "group", _DATA, where)
    role = (
        "MEMBER"
        if group.get("role") is None
        else fields.one_of(group, "role", path, where, GROUP_ROLES)
    )
    member_type = (
        "user"
        if group.get("member_type") is None
        else fields.one_of(group, "member_type", path, where, MEMBER_TYPES)
    )
    return types.GroupEvent(
        meta=meta,
        group_email=fields.checked(group, "email", path, where, model.email),
        member_email=fields.checked(group, "member_email", path, where, model.email),
        member_type=member_type,
        added=meta.event_type != "group.member_removed",
        role=role,
    )


ADAPTER = raw.Adapter(name="dirsync.hr.v1", matches=matches, decode=decode)
