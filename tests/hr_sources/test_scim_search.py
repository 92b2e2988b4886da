"""``.search`` (RFC 7644 §3.4.3): a SearchRequest body, POST only."""

from __future__ import annotations

import pytest
from tests.hr_sources.conftest import ScimCall

pytestmark = pytest.mark.hr_sources

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.mark.parametrize("path", ["/Users/.search", "/Groups/.search"])
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


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_only_post_searches(scim: ScimCall, method: str) -> None:
    """Any other method on a ``.search`` path is 405 and ``Allow`` says POST."""
    for path in ("/Users/.search", "/Groups/.search"):
        response = scim(method, path, json={"schemas": [SEARCH]})
        assert response.status_code == 405, path
        assert response.headers["Allow"] == "POST"
        assert response.get_json()["status"] == "405"
