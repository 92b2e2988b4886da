"""What Okta and Entra send becomes the right dirsync.hr.v1 events, once.

Payloads are copied in shape from the IdPs' own documentation: Entra's "Tutorial: Develop a
sample SCIM endpoint" requests and its "Known issues ... SCIM 2.0 protocol compliance" page
(capitalised ops, ``"False"`` strings, the bare-string manager); Okta's "SCIM 2.0 protocol
reference" (``replace`` without a path, full-object PUT, group push).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.hr_sources.conftest import ScimCall, decode, entra_user, patch_op

pytestmark = pytest.mark.hr_sources

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def create(scim: ScimCall, user_name: str, **extra: Any) -> str:
    response = scim("POST", "/Users", json=entra_user(user_name, **extra))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def patch(scim: ScimCall, path: str, *operations: dict[str, Any]) -> Any:
    response = scim("PATCH", path, json=patch_op(*operations))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_create_of_an_active_user_is_a_hire_that_chatsync_decodes(
    scim: ScimCall, publisher: Any
) -> None:
    """POST /Users (active) publishes one person.hired with the full snapshot, ordered by the
    person id, and chatsync.domain.events decodes it into the same person."""
    user_id = create(scim, "Ana.Silva@example.com")
    (event,) = publisher.events
    assert event["event_type"] == "person.hired"
    assert event["subject"] == {
        "person_id": user_id,
        "work_email": "ana.silva@example.com",
        "employee_number": "E1042",
    }
    assert event["person"]["department"] == "Platform"
    assert event["source"]["system"] == "entra"
    assert publisher.keys == ["ana.silva@example.com"]  # the one ordering key: work_email
    decoded = decode(event)
    assert decoded.person.email == "ana.silva@example.com"
    assert decoded.person.department == "Platform"
    assert decoded.meta.sequence == 1


def test_create_of_an_inactive_user_publishes_nothing_until_activated(
    scim: ScimCall, publisher: Any
) -> None:
    """Nothing to grant for a disabled account; turning it on later is the hire."""
    user_id = create(scim, "ana.silva@example.com", active=False)
    assert publisher.events == []
    patch(scim, f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "True"})
    assert publisher.types() == ["person.hired"]


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Replace", "path": "active", "value": "False"},  # Entra, string boolean
        {"op": "Replace", "path": "active", "value": False},  # Entra with aadOptscim062020
        {"op": "replace", "value": {"active": False}},  # Okta deactivate, no path
        {"op": "Replace", "value": {"active": "False"}},  # both habits at once
    ],
    ids=["entra-string", "entra-boolean", "okta-no-path", "no-path-string"],
)
def test_active_false_is_a_termination_in_every_dialect(
    scim: ScimCall, publisher: Any, operation: dict[str, Any]
) -> None:
    """However the IdP says "disable", it is one person.terminated with status terminated."""
    user_id = create(scim, "ana.silva@example.com")
    body = patch(scim, f"/Users/{user_id}", operation)
    assert body["active"] is False
    assert publisher.types() == ["person.hired", "person.terminated"]
    terminated = decode(publisher.events[-1])
    assert terminated.person.employment_status.value == "terminated"
    assert terminated.meta.sequence == 2


def test_reactivation_is_a_rehire(scim: ScimCall, publisher: Any) -> None:
    """active false then true: hired, terminated, rehired, sequences 1, 2, 3."""
    user_id = create(scim, "ana.silva@example.com")
    patch(scim, f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "False"})
    patch(scim, f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "True"})
    assert publisher.types() == ["person.hired", "person.terminated", "person.rehired"]
    assert [e["sequence"] for e in publisher.events] == [1, 2, 3]


def test_attribute_changes_are_classified(scim: ScimCall, publisher: Any) -> None:
    """Entra's enterprise-extension paths and a title change: transfer, then job change, each
    with changed_fields and the previous values."""
    user_id = create(scim, "ana.silva@example.com")
    patch(
        scim,
        f"/Users/{user_id}",
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Data"},
        {"op": "Add", "path": f"{ENTERPRISE}:costCenter", "value": "CC-420"},
    )
    patch(scim, f"/Users/{user_id}", {"op": "Replace", "path": "title", "value": "Staff Engineer"})
    transfer, job = publisher.events[1:]
    assert transfer["event_type"] == "person.transferred"
    assert transfer["changed_fields"] == ["cost_center", "department"]
    assert transfer["previous"] == {"department": "Platform"}
    assert job["event_type"] == "person.job_changed"
    assert job["previous"] == {"title": "Software Engineer"}
    assert decode(job).person.title == "Staff Engineer"


def test_entra_manager_as_a_bare_string_links_the_manager(scim: ScimCall, publisher: Any) -> None:
    """Entra's ``"value": "<manager id>"`` (not an object) sets the manager; the event names the
    manager's e-mail, and the manager becomes a people manager."""
    raj = create(scim, "raj.mehta@example.com")
    ana = create(scim, "ana.silva@example.com")
    body = patch(
        scim, f"/Users/{ana}", {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": raj}
    )
    assert body[ENTERPRISE]["manager"]["value"] == raj
    changed = [e for e in publisher.events[2:]]
    by_person = {e["subject"]["person_id"]: e for e in changed}
    assert by_person[ana]["event_type"] == "person.manager_changed"
    assert by_person[ana]["person"]["manager"] == {
        "person_id": raj,
        "work_email": "raj.mehta@example.com",
    }
    assert by_person[raj]["event_type"] == "person.job_changed"
    assert by_person[raj]["person"]["is_people_manager"] is True
    assert decode(by_person[ana]).person.manager_email == "raj.mehta@example.com"


def test_entra_work_email_path_filter_changes_the_subject(scim: ScimCall, publisher: Any) -> None:
    """``emails[type eq "work"].value`` replaces the work address: person.updated, new e-mail."""
    ana = create(scim, "ana.silva@example.com")
    patch(
        scim,
        f"/Users/{ana}",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ana@example.com"},
    )
    assert publisher.types() == ["person.hired", "person.updated"]
    assert publisher.events[-1]["subject"]["work_email"] == "ana@example.com"


def test_okta_full_object_put_is_diffed_not_replayed(scim: ScimCall, publisher: Any) -> None:
    """Okta updates with PUT of the whole user: an identical PUT publishes nothing, a changed
    department publishes a transfer, and a PUT with active false a termination."""
    ana = create(scim, "ana.silva@example.com")
    same = entra_user("ana.silva@example.com", id=ana)
    assert scim("PUT", f"/Users/{ana}", json=same).status_code == 200
    assert publisher.types() == ["person.hired"]
    moved = entra_user("ana.silva@example.com", id=ana)
    moved[ENTERPRISE]["department"] = "Data"
    assert scim("PUT", f"/Users/{ana}", json=moved).status_code == 200
    moved["active"] = False
    assert scim("PUT", f"/Users/{ana}", json=moved).status_code == 200
    assert publisher.types() == ["person.hired", "person.transferred", "person.terminated"]


def test_a_retried_request_publishes_nothing_new(scim: ScimCall, publisher: Any) -> None:
    """The same PATCH sent again (same resulting state) is answered 200 and publishes nothing;
    the same create sent again is a 409 and publishes nothing."""
    ana = create(scim, "ana.silva@example.com")
    disable = {"op": "Replace", "path": "active", "value": "False"}
    patch(scim, f"/Users/{ana}", disable)
    patch(scim, f"/Users/{ana}", disable)
    assert scim("POST", "/Users", json=entra_user("ana.silva@example.com")).status_code == 409
    assert publisher.types() == ["person.hired", "person.terminated"]


def test_a_publish_failure_is_retried_without_loss_or_duplicates(
    scim: ScimCall, publisher: Any
) -> None:
    """Pub/Sub down: the PATCH is a 500 SCIM error (the IdP retries); the retry publishes the
    termination exactly once, with the id and sequence the first attempt would have used."""
    ana = create(scim, "ana.silva@example.com")
    publisher.fail_next()
    disable = {"op": "Replace", "path": "active", "value": "False"}
    failed = scim("PATCH", f"/Users/{ana}", json=patch_op(disable))
    assert failed.status_code == 500
    assert failed.get_json()["status"] == "500"
    patch(scim, f"/Users/{ana}", disable)
    patch(scim, f"/Users/{ana}", disable)
    assert publisher.types() == ["person.hired", "person.terminated"]
    assert publisher.events[-1]["sequence"] == 2


def test_event_ids_are_deterministic(scim: ScimCall, publisher: Any, bridge_store: Any) -> None:
    """The id is a function of system, subject, sequence, type and facts: recomputing the
    hire from the stored state gives the published id (nothing random is minted)."""
    from chatsync.domain.bridges import hr_messages

    create(scim, "ana.silva@example.com")
    (event,) = publisher.events
    body = {"person": event["person"], "changed_fields": event["changed_fields"]}
    again = hr_messages.event_id(
        "entra",
        event["subject"]["person_id"],
        1,
        "person.hired",
        {"subject": event["subject"], **body},
    )
    assert event["event_id"] == again
    assert bridge_store.was_published(event["event_id"])


def test_group_push_membership_becomes_group_events(scim: ScimCall, publisher: Any) -> None:
    """Okta group push (POST with members, PATCH add, PATCH remove with a value filter) and
    Entra's remove-with-value-list each publish group.member_added / member_removed."""
    ana = create(scim, "ana.silva@example.com")
    bob = create(scim, "bob@example.com")
    carol = create(scim, "carol@example.com")
    created = scim(
        "POST",
        "/Groups",
        json={"schemas": [GROUP], "displayName": "Eng Managers", "members": [{"value": ana}]},
    )
    assert created.status_code == 201
    gid = created.get_json()["id"]
    patch(scim, f"/Groups/{gid}", {"op": "add", "path": "members", "value": [{"value": bob}]})
    patch(scim, f"/Groups/{gid}", {"op": "Add", "path": "members", "value": [{"value": carol}]})
    patch(scim, f"/Groups/{gid}", {"op": "remove", "path": f'members[value eq "{ana}"]'})
    patch(
        scim,
        f"/Groups/{gid}",
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": bob}]},
    )
    group_events = [e for e in publisher.events if e["event_type"].startswith("group.")]
    assert [(e["event_type"], e["subject"]["person_id"]) for e in group_events] == [
        ("group.member_added", ana),
        ("group.member_added", bob),
        ("group.member_added", carol),
        ("group.member_removed", ana),
        ("group.member_removed", bob),
    ]
    decoded = decode(group_events[0])
    assert decoded.group_email == "eng-managers@example.com"
    assert decoded.member_email == "ana.silva@example.com"
    assert decoded.added is True
    members = scim("GET", f"/Groups/{gid}").get_json()["members"]
    assert [m["value"] for m in members] == [carol]


def test_adding_a_member_twice_changes_nothing(scim: ScimCall, publisher: Any) -> None:
    """RFC 7644 §3.5.2.1: an add of an existing member is no change and no event."""
    ana = create(scim, "ana.silva@example.com")
    gid = scim(
        "POST", "/Groups", json={"schemas": [GROUP], "displayName": "team@example.com"}
    ).get_json()["id"]
    add = {"op": "add", "path": "members", "value": [{"value": ana}]}
    patch(scim, f"/Groups/{gid}", add)
    body = patch(scim, f"/Groups/{gid}", add)
    assert [m["value"] for m in body["members"]] == [ana]
    assert publisher.types().count("group.member_added") == 1


def test_okta_group_rename_keeps_members_and_moves_the_address(
    scim: ScimCall, publisher: Any
) -> None:
    """Okta renames with ``replace`` of {id, displayName}: the group's address changes, so its
    members are removed from the old one and added to the new one."""
    ana = create(scim, "ana.silva@example.com")
    gid = scim(
        "POST",
        "/Groups",
        json={"schemas": [GROUP], "displayName": "old@example.com", "members": [{"value": ana}]},
    ).get_json()["id"]
    patch(
        scim,
        f"/Groups/{gid}",
        {"op": "replace", "value": {"id": gid, "displayName": "new@example.com"}},
    )
    moves = [(e["event_type"], e["group"]["email"]) for e in publisher.events[1:]]
    assert moves == [
        ("group.member_added", "old@example.com"),
        ("group.member_removed", "old@example.com"),
        ("group.member_added", "new@example.com"),
    ]


def test_deleting_a_user_terminates_and_leaves_groups(scim: ScimCall, publisher: Any) -> None:
    """DELETE /Users/{id}: person.terminated from the last snapshot, and a member_removed for
    each group that listed them; the group no longer lists them."""
    ana = create(scim, "ana.silva@example.com")
    gid = scim(
        "POST",
        "/Groups",
        json={"schemas": [GROUP], "displayName": "team@example.com", "members": [{"value": ana}]},
    ).get_json()["id"]
    assert scim("DELETE", f"/Users/{ana}").status_code == 204
    assert publisher.types() == [
        "person.hired",
        "group.member_added",
        "person.terminated",
        "group.member_removed",
    ]
    assert "members" not in scim("GET", f"/Groups/{gid}").get_json()
    assert [e["sequence"] for e in publisher.events] == [1, 2, 3, 4]


def test_deleting_a_group_removes_every_member(scim: ScimCall, publisher: Any) -> None:
    """DELETE /Groups/{id}: one group.member_removed per announced member; users stay."""
    ana = create(scim, "ana.silva@example.com")
    bob = create(scim, "bob@example.com")
    gid = scim(
        "POST",
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": "team@example.com",
            "members": [{"value": ana}, {"value": bob}],
        },
    ).get_json()["id"]
    assert scim("DELETE", f"/Groups/{gid}").status_code == 204
    removed = [e for e in publisher.events if e["event_type"] == "group.member_removed"]
    assert sorted(e["subject"]["person_id"] for e in removed) == sorted([ana, bob])
    assert scim("GET", f"/Groups/{gid}").status_code == 404
    assert scim("GET", f"/Users/{ana}").status_code == 200
