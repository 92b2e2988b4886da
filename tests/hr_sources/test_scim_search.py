"""``.search`` (RFC 7644 §3.4.3): a SearchRequest body, POST only; at the service root it
searches Users and Groups together."""

from __future__ import annotations

from typing import Any

import pytest
from tests.hr_sources.conftest import ScimCall, entra_user

pytestmark = pytest.mark.hr_sources

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def user(scim: ScimCall, user_name: str, **extra: Any) -> str:
    response = scim("POST", "/Users", json=entra_user(user_name, **extra))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def group(scim: ScimCall, name: str, **extra: Any) -> str:
    body = {"schemas": [GROUP], "displayName": name, **extra}
    response = scim("POST", "/Groups", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def search(scim: ScimCall, path: str = "/.search", **params: Any) -> Any:
    return scim("POST", path, json={"schemas": [SEARCH], **params})


def found(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(r["meta"]["resourceType"], r["id"]) for r in response.get_json()["Resources"]]


def test_a_filter_both_types_have_finds_users_then_groups(scim: ScimCall) -> None:
    """``externalId`` and ``id`` are on both types: the answer lists the matching users, then
    the matching groups, each in creation order, whatever order they were created in."""
    eng = group(scim, "Engineering", externalId="eng")
    ana = user(scim, "ana.silva@example.com", externalId="eng")
    bob = user(scim, "bob@example.com")
    ops = group(scim, "Operations")

    assert found(search(scim, filter='externalId eq "eng"')) == [("User", ana), ("Group", eng)]
    everything = search(scim, filter="id pr")
    assert found(everything) == [("User", ana), ("User", bob), ("Group", eng), ("Group", ops)]
    body = everything.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (4, 1, 4)
    assert found(search(scim)) == found(everything)
    assert found(search(scim, filter='meta.resourceType eq "Group"')) == [
        ("Group", eng),
        ("Group", ops),
    ]


@pytest.mark.parametrize(
    ("filter_text", "kinds"),
    [
        ('userName eq "ana.silva@example.com"', ["User"]),
        ('title eq "Software Engineer"', ["User", "User"]),
        ("members pr", ["Group"]),
        ('nickName eq "nobody"', []),
    ],
)
def test_an_attribute_a_type_lacks_matches_nothing_of_that_type(
    scim: ScimCall, filter_text: str, kinds: list[str]
) -> None:
    """RFC 7644 §3.4.2.1: a Group has no ``userName`` and a User no ``members``; the filter
    just matches nothing of that type, it is not an error."""
    ana = user(scim, "ana.silva@example.com")
    user(scim, "bob@example.com")
    group(scim, "Engineering", members=[{"value": ana}])
    group(scim, "Empty")
    assert [kind for kind, _ in found(search(scim, filter=filter_text))] == kinds


def test_pages_run_across_the_type_boundary(scim: ScimCall) -> None:
    """startIndex/count page the combined list; totalResults counts both types."""
    users = [user(scim, f"user{i}@example.com") for i in range(3)]
    groups = [group(scim, f"Team {i}") for i in range(2)]
    combined = [("User", u) for u in users] + [("Group", g) for g in groups]

    middle = search(scim, startIndex=3, count=2)
    assert found(middle) == combined[2:4]
    assert (middle.get_json()["totalResults"], middle.get_json()["startIndex"]) == (5, 3)
    pages = [found(search(scim, startIndex=start, count=2)) for start in (1, 3, 5)]
    assert [entry for page in pages for entry in page] == combined
    assert found(search(scim, count=0)) == []


def test_attributes_and_excluded_attributes_apply_to_both_types(scim: ScimCall) -> None:
    ana = user(scim, "ana.silva@example.com")
    group(scim, "Engineering", members=[{"value": ana}])

    narrowed = search(scim, attributes=["displayName"]).get_json()["Resources"]
    assert [sorted(r) for r in narrowed] == [["displayName", "id", "schemas"]] * 2
    trimmed = search(scim, excludedAttributes=["members", "emails"]).get_json()["Resources"]
    assert [("members" in r, "emails" in r, "displayName" in r) for r in trimmed] == [
        (False, False, True)
    ] * 2


@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
@pytest.mark.parametrize(
    "body",
    [
        {"filter": "id pr"},
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]},
        {"schemas": "urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
        ["not", "an", "object"],
    ],
    ids=["no-schemas", "wrong-schema", "schemas-not-a-list", "not-an-object"],
)
def test_a_body_that_is_not_a_search_request_is_400(
    scim: ScimCall, path: str, body: object
) -> None:
    response = scim("POST", path, json=body)
    assert response.status_code == 400
    assert response.get_json()["status"] == "400"
    assert response.get_json()["scimType"] == "invalidSyntax"


def test_a_filter_no_type_can_read_is_invalid_filter(scim: ScimCall) -> None:
    response = search(scim, filter="userName eq")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_only_post_searches_the_root(scim: ScimCall, method: str) -> None:
    """Like ``/Users/.search``: any other method is 405 and ``Allow`` says POST."""
    for path in ("/.search", "/Users/.search"):
        response = scim(method, path, json={"schemas": [SEARCH]})
        assert response.status_code == 405, path
        assert response.headers["Allow"] == "POST"
        assert response.get_json()["status"] == "405"
