"""What the SCIM service provider serves: resources, extensions, capabilities, tolerances.

The resources and their validation are scim2-models' (RFC 7643 core User and Group, the
enterprise extension), not a schema written here; ``/Schemas`` and ``/ResourceTypes`` are
generated from the same models, so what is published is what is enforced.

Capabilities (``/ServiceProviderConfig``) and why the optional ones are off:

    patch            supported   Okta and Entra both update by PATCH
    filter           supported   the whole RFC 7644 §3.4.2.2 grammar (scim2-models evaluates
                                 it); ``userName``/``externalId``/``displayName``/``id eq``
                                 (what the IdPs send) are indexed lookups, others scan
    pagination       index       startIndex/count; no cursors (RFC 9865), no IdP sends them
    etag             supported   weak ETags from ``meta.version``; If-Match is honoured
    sort             no          no IdP sorts; results come in creation order
    bulk             no          neither Okta nor Entra sends /Bulk to a custom app
    changePassword   no          chatsync never holds passwords (``password`` is dropped)

Tolerances (``POLICY``), each one a documented IdP habit:

    unknown attributes ignored   Okta sends the attributes of its own custom extensions
    remove with a value          Entra removes group members with ``path: members`` and a
                                 ``value`` list (learn.microsoft.com, "Known issues ... SCIM 2.0
                                 protocol compliance")
    unmatched path filter        Entra writes ``emails[type eq "work"].value`` on a user that
                                 has no work e-mail yet and expects it created
"""

from __future__ import annotations

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    External,
    Filter,
    Group,
    Pagination,
    Patch,
    Reference,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

UserModel: Any = User[EnterpriseUser]
"""A User that may carry the enterprise extension (never required: Okta omits it)."""
GroupModel: Any = Group
ENTERPRISE = str(EnterpriseUser.__schema__)
USER_SCHEMA = str(User.__schema__)
GROUP_SCHEMA = str(Group.__schema__)
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
CONTENT_TYPE = "application/scim+json"

MAX_PAGE = 200
"""``count`` above this is lowered to it (RFC 7644 §3.4.2.4 lets the provider cap it)."""
MAX_FILTER_RESULTS = 1000

POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_FILTER_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        pagination=Pagination(
            cursor=False,
            index=True,
            default_pagination_method=Pagination.DefaultPaginationMethod.index,
            default_page_size=100,
            max_page_size=MAX_PAGE,
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A long-lived secret token in 'Authorization: Bearer <token>'.",
                spec_uri=Reference[External]("https://www.rfc-editor.org/rfc/rfc6750"),
                primary=True,
            )
        ],
    )


def provider() -> ScimProvider:
    """The models, resource types and tolerances, as one scim2-models provider."""
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(UserModel),
            ResourceType.from_resource(GroupModel),
        ],
        config=service_provider_config(),
        policy=POLICY,
    )
