"""The Admin SDK Directory subset chatsync reads."""

from __future__ import annotations

from typing import Any


def test_users_get_by_email_has_the_fields_chatsync_reads(directory: Any) -> None:
    """users.get (projection=full) has organizations, orgUnitPath, relations and customSchemas."""
    user = directory().users().get(userKey="ana.silva@example.com", projection="full").execute()

    assert user["id"] == "100000000001"
    assert user["orgUnitPath"] == "/Engineering/Platform"
    assert user["organizations"][0] | {"customType": ""} == {
        "title": "Software Engineer",
        "department": "Platform",
        "costCenter": "CC-310",
        "location": "Lisbon",
        "primary": True,
        "customType": "",
    }
    assert user["relations"] == [{"type": "manager", "value": "raj.mehta@example.com"}]
    assert user["customSchemas"] == {"Employment": {"job_level": "IC3"}}


def test_users_get_by_id_matches_the_chat_user_id(directory: Any) -> None:
    """The Directory id is the {user} of users/{user} in Chat."""
    assert directory().users().get(userKey="100000000002").execute()["primaryEmail"] == (
        "raj.mehta@example.com"
    )


def test_unknown_user_is_404_google_json(directory: Any, refused: Any) -> None:
    """users.get of an unknown key is 404 with Google's error body."""
    refusal = refused(directory().users().get(userKey="ghost@example.com"))

    assert (refusal.http_status, refusal.status) == (404, "NOT_FOUND")
    assert refusal.error["errors"][0]["reason"] == "notFound"


def test_users_list_pages_with_max_results(directory: Any) -> None:
    """users.list pages with maxResults and nextPageToken and includes suspended users."""
    users = directory().users()
    first = users.list(customer="my_customer", maxResults=4).execute()
    second = users.list(
        customer="my_customer", maxResults=4, pageToken=first["nextPageToken"]
    ).execute()

    emails = [u["primaryEmail"] for u in first["users"] + second["users"]]
    assert len(emails) == len(set(emails)) == 6
    assert "nextPageToken" not in second


def test_users_list_needs_customer_or_domain(directory: Any, refused: Any) -> None:
    """users.list without customer or domain is 400."""
    assert refused(directory().users().list()).http_status == 400


def test_custom_projection_returns_only_masked_schemas(directory: Any) -> None:
    """projection=custom returns the schemas named in customFieldMask only."""
    listing = (
        directory()
        .users()
        .list(domain="example.com", projection="custom", customFieldMask="Other")
        .execute()
    )

    assert all(u["customSchemas"] == {} for u in listing["users"])


def test_groups_list_by_user_returns_direct_groups(directory: Any) -> None:
    """groups.list?userKey= lists the groups the user is directly in (not nested parents)."""
    listing = directory().groups().list(userKey="li.wei@example.com").execute()

    assert [g["email"] for g in listing["groups"]] == ["platform-core@example.com"]


def test_members_list_flattens_nested_groups_when_derived(directory: Any) -> None:
    """members.list with includeDerivedMembership adds the users of nested groups."""
    members = directory().members()
    direct = members.list(groupKey="eng-leads@example.com").execute()["members"]
    derived = members.list(
        groupKey="eng-leads@example.com", includeDerivedMembership=True
    ).execute()

    assert {(m["email"], m["type"]) for m in direct} == {
        ("raj.mehta@example.com", "USER"),
        ("platform-core@example.com", "GROUP"),
    }
    assert "li.wei@example.com" in {m["email"] for m in derived["members"]}


def test_directory_needs_a_directory_scope(directory: Any, refused: Any) -> None:
    """A plain user token (no admin.directory scope) is 403."""
    refusal = refused(directory("user:ana.silva@example.com").users().get(userKey="100000000002"))

    assert refusal.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
