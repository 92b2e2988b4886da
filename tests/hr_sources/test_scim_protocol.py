"""The SCIM endpoint speaks RFC 7644: CRUD, filters, pagination, errors, auth, ETags."""

from __future__ import annotations

from typing import Any

import pytest
from tests.hr_sources.conftest import ScimCall, entra_user, patch_op

pytestmark = pytest.mark.hr_sources

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def create(scim: ScimCall, user_name: str, **extra: Any) -> dict[str, Any]:
    response = scim("POST", "/Users", json=entra_user(user_name, **extra))
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.get_json())


def test_user_crud_round_trip(scim: ScimCall) -> None:
    """A created user reads back with server-assigned id, meta and Location; PUT replaces it;
    DELETE removes it and a read afterwards is a SCIM 404."""
    created = scim("POST", "/Users", json=entra_user("ana.silva@example.com"))
    assert created.status_code == 201
    assert created.content_type == "application/scim+json"
    body = created.get_json()
    user_id = body["id"]
    assert created.headers["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{user_id}")
    assert created.headers["ETag"] == body["meta"]["version"]

    read = scim("GET", f"/Users/{user_id}")
    assert read.status_code == 200
    assert read.get_json()["userName"] == "ana.silva@example.com"

    replacement = entra_user("ana.silva@example.com", title="Staff Engineer")
    replaced = scim("PUT", f"/Users/{user_id}", json=replacement)
    assert replaced.status_code == 200
    assert replaced.get_json()["title"] == "Staff Engineer"
    assert replaced.get_json()["id"] == user_id

    assert scim("DELETE", f"/Users/{user_id}").status_code == 204
    gone = scim("GET", f"/Users/{user_id}")
    assert gone.status_code == 404
    assert gone.get_json()["schemas"] == [ERROR]
    assert gone.get_json()["status"] == "404"


def test_duplicate_user_name_is_a_uniqueness_conflict(scim: ScimCall) -> None:
    """userName is unique regardless of case (RFC 7643 §4.1.1): 409 with scimType uniqueness."""
    create(scim, "ana.silva@example.com")
    again = scim("POST", "/Users", json=entra_user("Ana.Silva@Example.com"))
    assert again.status_code == 409
    assert again.get_json()["scimType"] == "uniqueness"


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName eq "BOB@example.com"', ["bob@example.com"]),
        ('externalId eq "carol"', ["carol@example.com"]),
        ('externalId eq "CAROL"', []),
        ('title eq "Manager" and active eq true', ["carol@example.com"]),
        ('emails[type eq "work" and value co "bob"]', ["bob@example.com"]),
    ],
)
def test_filters_the_providers_send(scim: ScimCall, filter_text: str, expected: list[str]) -> None:
    """userName compares case-insensitively, externalId exactly (caseExact), and the rest of
    the grammar works too (scim2-models evaluates it)."""
    create(scim, "ana.silva@example.com")
    create(scim, "bob@example.com")
    create(scim, "carol@example.com", title="Manager")
    listed = scim("GET", "/Users?" + _query(filter=filter_text))
    assert listed.status_code == 200
    assert sorted(u["userName"] for u in listed.get_json()["Resources"]) == expected


def test_id_and_display_name_filters(scim: ScimCall) -> None:
    """``id eq`` finds one user; ``displayName eq`` finds a group (Entra's group lookup)."""
    ana = create(scim, "ana.silva@example.com")
    group = scim("POST", "/Groups", json={"schemas": [GROUP], "displayName": "Eng Managers"})
    assert group.status_code == 201
    by_id = scim("GET", "/Users?" + _query(filter=f'id eq "{ana["id"]}"')).get_json()
    assert [u["id"] for u in by_id["Resources"]] == [ana["id"]]
    by_name = scim(
        "GET",
        "/Groups?" + _query(filter='displayName eq "eng managers"', excludedAttributes="members"),
    ).get_json()
    assert [g["displayName"] for g in by_name["Resources"]] == ["Eng Managers"]


def test_pagination_is_one_based_and_stable(scim: ScimCall) -> None:
    """startIndex/count page through users in creation order; totalResults counts them all."""
    names = [f"user{i}@example.com" for i in range(5)]
    for name in names:
        create(scim, name)
    first = scim("GET", "/Users?startIndex=1&count=2").get_json()
    second = scim("GET", "/Users?startIndex=3&count=2").get_json()
    last = scim("GET", "/Users?startIndex=5&count=2").get_json()
    assert first["totalResults"] == 5
    assert (first["startIndex"], first["itemsPerPage"]) == (1, 2)
    seen = [u["userName"] for page in (first, second, last) for u in page["Resources"]]
    assert seen == names
    assert scim("GET", "/Users?count=0").get_json()["Resources"] == []


def test_wrong_or_missing_token_is_401_and_publishes_nothing(
    scim: ScimCall, publisher: Any, log_records: list[dict[str, Any]]
) -> None:
    """Without the right bearer token nothing is read or written, the answer is a SCIM error
    with WWW-Authenticate, and the token never reaches a log line."""
    for token in ("wrong-token", None, ""):
        response = scim("POST", "/Users", json=entra_user("ana.silva@example.com"), token=token)
        assert response.status_code == 401
        assert response.get_json()["schemas"] == [ERROR]
        assert response.get_json()["status"] == "401"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert scim("GET", "/ServiceProviderConfig", token="nope").status_code == 401
    assert publisher.events == []
    assert scim("GET", "/Users").get_json()["totalResults"] == 0
    assert "s3cret-scim-token" not in str(log_records)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'["a list"]',
        b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": true}',
        b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", '
        b'"active": "maybe"}',
    ],
    ids=["not-json", "not-an-object", "no-userName", "active-not-boolean"],
)
def test_malformed_body_is_400_scim_error_and_publishes_nothing(
    scim: ScimCall, publisher: Any, body: bytes
) -> None:
    """Bad input is refused with a SCIM error (status "400", a scimType) naming the problem."""
    response = scim("POST", "/Users", data=body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["schemas"] == [ERROR]
    assert error["status"] == "400"
    assert error["scimType"] in ("invalidSyntax", "invalidValue")
    assert publisher.events == []


def test_bad_patch_is_400_and_changes_nothing(scim: ScimCall, publisher: Any) -> None:
    """A PATCH with an unknown op is invalidValue; the user and the published events stay."""
    ana = create(scim, "ana.silva@example.com")
    before = len(publisher.events)
    response = scim(
        "PATCH",
        f"/Users/{ana['id']}",
        json=patch_op({"op": "Merge", "path": "title", "value": "x"}),
    )
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert scim("GET", f"/Users/{ana['id']}").get_json()["title"] == "Software Engineer"
    assert len(publisher.events) == before


def test_if_match_guards_writes(scim: ScimCall) -> None:
    """A write with a stale ETag is 412; with the current one it goes through (RFC 7644 §3.14)."""
    ana = create(scim, "ana.silva@example.com")
    stale = ana["meta"]["version"]
    ok = scim(
        "PATCH",
        f"/Users/{ana['id']}",
        json=patch_op({"op": "replace", "path": "title", "value": "Lead"}),
        headers={"If-Match": stale},
    )
    assert ok.status_code == 200
    assert ok.headers["ETag"] != stale
    refused = scim(
        "PATCH",
        f"/Users/{ana['id']}",
        json=patch_op({"op": "replace", "path": "title", "value": "Boss"}),
        headers={"If-Match": stale},
    )
    assert refused.status_code == 412
    not_modified = scim("GET", f"/Users/{ana['id']}", headers={"If-None-Match": ok.headers["ETag"]})
    assert not_modified.status_code == 304


def test_discovery_documents_describe_what_is_served(scim: ScimCall) -> None:
    """ServiceProviderConfig says PATCH and filters yes, bulk/sort/changePassword no; the
    schemas and resource types are the ones the endpoint validates with."""
    config = scim("GET", "/ServiceProviderConfig").get_json()
    assert config["patch"]["supported"] is True
    assert config["filter"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["sort"]["supported"] is False
    assert config["changePassword"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim("GET", "/ResourceTypes").get_json()["Resources"]
    assert {t["endpoint"] for t in types} == {"/Users", "/Groups"}
    schemas = {s["id"] for s in scim("GET", "/Schemas").get_json()["Resources"]}
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in schemas
    assert scim("GET", "/Schemas/urn:nope").status_code == 404
    for unsupported in ("/Bulk", "/Me"):
        answer = scim("POST", unsupported, json={})
        assert answer.status_code == 501, unsupported
        assert answer.get_json()["status"] == "501"


GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@pytest.mark.parametrize("filter_text", ["userName eq", 'userName zz "a"', '(title eq "x"'])
def test_unreadable_filter_is_invalid_filter(scim: ScimCall, filter_text: str) -> None:
    """A filter that does not parse is 400 invalidFilter (RFC 7644 §3.4.2.2), not a 500."""
    response = scim("GET", "/Users?" + _query(filter=filter_text))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"
