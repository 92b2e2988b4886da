"""The SCIM use cases: create, read, search, replace, patch and delete Users and Groups.

Searches are per resource type (``/Users``, ``/Groups`` and their ``.search``) or across both
(``POST /.search`` at the root, RFC 7644 §3.4.3): the root search runs each type's own
filtering and pages the Users-then-Groups list.

Every method validates with scim2-models (after ``scim_dialects`` rewrote the IdP habits),
stores the resource, then lets ``announcing`` publish what changed for chatsync:

    change                                   announced
    User created / replaced / patched        that person (+ the old and new manager, whose
                                             ``is_people_manager`` may flip; + the people they
                                             manage when their own e-mail changed)
    User deleted                             person.terminated from the last announced facts;
                                             removal from every group that listed them
    Group created / replaced / patched       group.member_added / group.member_removed
    Group deleted                            group.member_removed for every member

Errors are scim2-models ``SCIMException``s (status + scimType); ``scim_http`` renders them. The
store is written before announcing: if publishing fails the client gets a 5xx, retries, the
retry finds the stored state unchanged and announces against the unchanged ``Announced``
record, so nothing is lost and nothing is sent twice (see ``announcing``).

Why it is long: the four verbs (create, replace, patch, delete) of two resource types share the
same validate -> store -> announce steps and the same error mapping, and the root search runs
both types' filtering and paging; split by resource, each half would repeat them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidFilterException,
    Meta,
    NotFoundException,
    PatchOp,
    PreconditionFailedException,
    ResponseParameters,
    SCIMException,
    ScimFilter,
    UniquenessException,
)
from scim2_models.path import AttrPath, CompareOperator, Comparison

from chatsync.app.bridges.announcing import Announcer, group_key
from chatsync.app.bridges.ports import BridgeStore, Clock, Kind, StoredResource
from chatsync.domain.bridges import scim_dialects, scim_people
from chatsync.domain.bridges.hr_messages import Provenance, rfc3339
from chatsync.domain.bridges.scim_schema import (
    ENTERPRISE,
    LIST_SCHEMA,
    MAX_FILTER_RESULTS,
    MAX_PAGE,
    POLICY,
    GroupModel,
    UserModel,
)

ENDPOINTS: dict[Kind, str] = {"User": "Users", "Group": "Groups"}
_INDEXED = {"username": "userName", "externalid": "externalId", "displayname": "displayName"}
_CASE_EXACT = {"externalId"}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A resource as the response carries it, and its ETag."""

    body: dict[str, Any]
    etag: str


def _model(kind: Kind) -> Any:
    return UserModel if kind == "User" else GroupModel


def etag(version: int) -> str:
    return f'W/"{version}"'


def _scim_error(exc: ValidationError) -> SCIMException:
    """The first validation problem as a SCIM error naming the attribute (RFC 7644 §3.12)."""
    errors: list[Error] = Error.from_validation_errors(exc)
    return SCIMException.from_error(errors[0])


def _validate(kind: Kind, payload: Mapping[str, Any], context: Context) -> Any:
    try:
        return _model(kind).model_validate(dict(payload), scim_ctx=context, scim_policy=POLICY)
    except ValidationError as exc:
        raise _scim_error(exc) from None


def _keys(kind: Kind, body: Mapping[str, Any]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for name in ("userName", "externalId", "displayName"):
        value = body.get(name)
        if isinstance(value, str):
            keys[name] = value if name in _CASE_EXACT else value.casefold()
    manager = (body.get(ENTERPRISE) or {}).get("manager") or {}
    if kind == "User" and isinstance(manager.get("value"), str):
        keys["manager"] = manager["value"]
    return keys


def _members_of(body: Mapping[str, Any]) -> set[str]:
    return {str(m.get("value")) for m in body.get("members") or [] if m.get("value")}


class ScimService:
    def __init__(
        self,
        *,
        store: BridgeStore,
        announcer: Announcer,
        clock: Clock,
        system: str = "scim",
        tenant: str = "",
        group_domain: str | None = None,
    ) -> None:
        self._store = store
        self._announcer = announcer
        self._clock = clock
        self._system = system
        self._tenant = tenant
        self._group_domain = group_domain

    # -- reads ------------------------------------------------------------------------------------
    def get(
        self,
        kind: Kind,
        resource_id: str,
        *,
        base_url: str,
        attributes: str | None = None,
        excluded: str | None = None,
    ) -> Rendered:
        stored = self._stored(kind, resource_id)
        return self._render(stored, base_url, attributes, excluded)

    def search(
        self,
        kind: Kind,
        *,
        base_url: str,
        filter_text: str | None = None,
        start_index: int = 1,
        count: int | None = None,
        attributes: str | None = None,
        excluded: str | None = None,
    ) -> dict[str, Any]:
        """One resource type's ListResponse: filtered, in creation order, 1-based pages."""
        matches = self._filtered(kind, filter_text, base_url)
        return self._listed(
            matches,
            base_url,
            start_index=start_index,
            count=count,
            attributes=attributes,
            excluded=excluded,
        )

    def search_all(
        self,
        *,
        base_url: str,
        filter_text: str | None = None,
        start_index: int = 1,
        count: int | None = None,
        attributes: str | None = None,
        excluded: str | None = None,
    ) -> dict[str, Any]:
        """``POST /.search`` at the root (RFC 7644 §3.4.3): every resource type at once.

        The filter is applied to each type as its own search would; an attribute a type does
        not have matches nothing of it (RFC 7644 §3.4.2.1), so only a filter no type accepts is
        ``invalidFilter``. Users come before Groups, each in creation order, and the pages and
        ``totalResults`` run over the combined list."""
        matches: list[StoredResource] = []
        refused: list[InvalidFilterException] = []
        for kind in ENDPOINTS:
            try:
                matches.extend(self._filtered(kind, filter_text, base_url))
            except InvalidFilterException as exc:
                refused.append(exc)
        if len(refused) == len(ENDPOINTS):
            raise refused[0]
        if filter_text and len(matches) > MAX_FILTER_RESULTS:
            raise _too_many()
        return self._listed(
            matches,
            base_url,
            start_index=start_index,
            count=count,
            attributes=attributes,
            excluded=excluded,
        )

    def _listed(
        self,
        matches: list[StoredResource],
        base_url: str,
        *,
        start_index: int,
        count: int | None,
        attributes: str | None,
        excluded: str | None,
    ) -> dict[str, Any]:
        """One 1-based page of *matches* as a ListResponse (RFC 7644 §3.4.2)."""
        start = max(1, start_index)
        size = MAX_PAGE if count is None else max(0, min(count, MAX_PAGE))
        page = matches[start - 1 : start - 1 + size]
        return {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(matches),
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [self._render(s, base_url, attributes, excluded).body for s in page],
        }

    def _filtered(self, kind: Kind, text: str | None, base_url: str) -> list[StoredResource]:
        if not text:
            return self._store.list_resources(kind)
        try:
            expression = cast(Any, ScimFilter)[_model(kind)](text)
        except SCIMException:
            raise  # already invalidFilter, with scim2-models' own words
        except (ValueError, TypeError) as exc:
            raise InvalidFilterException(detail=f"filter: {exc}", filter=text) from None
        indexed = self._indexed_lookup(kind, expression.ast)
        if indexed is not None:
            return indexed
        out = []
        for stored in self._store.list_resources(kind):
            if expression.match(self._resource(stored, base_url)):
                out.append(stored)
                if len(out) > MAX_FILTER_RESULTS:
                    raise _too_many()
        return out

    def _indexed_lookup(self, kind: Kind, node: object) -> list[StoredResource] | None:
        """``userName``/``externalId``/``displayName``/``id eq "v"``: what IdPs send, no scan."""
        if not isinstance(node, Comparison) or node.op != CompareOperator.eq:
            return None
        path: AttrPath = node.attr_path
        if path.sub_attr is not None or not isinstance(node.value, str):
            return None
        if path.uri and path.uri.casefold() != str(_model(kind).__schema__).casefold():
            return None
        attr = path.attr.casefold()
        if attr == "id":
            found = self._store.get_resource(kind, node.value)
            return [found] if found is not None else []
        name = _INDEXED.get(attr)
        if name is None:
            return None
        value = node.value if name in _CASE_EXACT else node.value.casefold()
        return self._store.find_resources(kind, name, value)

    # -- writes -----------------------------------------------------------------------------------
    def create(self, kind: Kind, payload: object, *, base_url: str) -> Rendered:
        body = scim_dialects.resource_body(payload, users_url=f"{base_url}/Users")
        resource = _validate(kind, body, Context.RESOURCE_CREATION_REQUEST)
        now = rfc3339(self._clock())
        resource.id = str(uuid.uuid4())
        self._check_unique(kind, resource)
        stored = self._save(kind, resource, version=1, created=now)
        self._after_change(kind, None, stored, f"POST /{ENDPOINTS[kind]}")
        return self._render(stored, base_url)

    def replace(
        self,
        kind: Kind,
        resource_id: str,
        payload: object,
        *,
        base_url: str,
        if_match: str | None = None,
    ) -> Rendered:
        before = self._stored(kind, resource_id, if_match=if_match)
        body = scim_dialects.resource_body(payload, users_url=f"{base_url}/Users")
        body.pop("id", None)
        resource = _validate(kind, body, Context.RESOURCE_REPLACEMENT_REQUEST)
        original = self._resource(before, base_url)
        changed = resource.replace(original)  # MutabilityException on a changed immutable
        resource.id = before.id
        self._check_unique(kind, resource)
        return self._finish_write(
            kind, before, resource=resource, changed=changed, base_url=base_url, verb="PUT"
        )

    def patch(
        self,
        kind: Kind,
        resource_id: str,
        payload: object,
        *,
        base_url: str,
        if_match: str | None = None,
    ) -> Rendered:
        before = self._stored(kind, resource_id, if_match=if_match)
        body = scim_dialects.patch_body(
            payload, resource_id=resource_id, users_url=f"{base_url}/Users"
        )
        try:
            patch = cast(Any, PatchOp)[_model(kind)].model_validate(
                body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
            )
        except ValidationError as exc:
            raise _scim_error(exc) from None
        resource = self._resource(before, base_url)
        try:
            with POLICY:
                changed = patch.patch(resource)
        except ValidationError as exc:
            raise _scim_error(exc) from None
        self._check_unique(kind, resource)
        return self._finish_write(
            kind, before, resource=resource, changed=changed, base_url=base_url, verb="PATCH"
        )

    def delete(self, kind: Kind, resource_id: str, *, if_match: str | None = None) -> None:
        """Announce the departure first, then forget the resource: a retry after a failure
        in between finds it still there and announces again (nothing twice, nothing lost)."""
        before = self._stored(kind, resource_id, if_match=if_match)
        provenance = self._provenance(f"DELETE /{ENDPOINTS[kind]}")
        if kind == "Group":
            self._announce_group(resource_id, None, provenance)
            self._store.delete_resource(kind, resource_id)
            return
        self._terminate(resource_id, provenance)
        self._drop_from_groups(resource_id, provenance)
        self._store.delete_resource(kind, resource_id)
        self._after_change(kind, before, None, f"DELETE /{ENDPOINTS[kind]}")

    # -- helpers ----------------------------------------------------------------------------------
    def _finish_write(
        self,
        kind: Kind,
        before: StoredResource,
        *,
        resource: Any,
        changed: bool,
        base_url: str,
        verb: str,
    ) -> Rendered:
        stored = before
        if changed or _dedupe_members(resource):
            stored = self._save(kind, resource, version=before.version + 1, created=before.created)
        # Announce even when nothing changed here: a retry after a failed publish must
        # publish what the first attempt stored (announcing skips what was already sent).
        self._after_change(kind, before, stored, f"{verb} /{ENDPOINTS[kind]}")
        return self._render(stored, base_url)

    def _stored(
        self, kind: Kind, resource_id: str, *, if_match: str | None = None
    ) -> StoredResource:
        stored = self._store.get_resource(kind, resource_id)
        if stored is None:
            raise NotFoundException(detail=f"{kind} {resource_id!r} not found")
        if if_match is not None and if_match.strip() != "*":
            wanted = {tag.strip() for tag in if_match.split(",")}
            if etag(stored.version) not in wanted and f'"{stored.version}"' not in wanted:
                raise PreconditionFailedException(
                    detail=f"If-Match: the {kind} is at version {etag(stored.version)}"
                )
        return stored

    def _check_unique(self, kind: Kind, resource: Any) -> None:
        if kind != "User" or not isinstance(resource.user_name, str):
            return
        for other in self._store.find_resources("User", "userName", resource.user_name.casefold()):
            if other.id != resource.id:
                raise UniquenessException(detail=f"userName {resource.user_name!r} is taken")

    def _save(self, kind: Kind, resource: Any, *, version: int, created: str) -> StoredResource:
        now = rfc3339(self._clock())
        if kind == "User":
            resource.password = None
        _dedupe_members(resource)
        resource.meta = Meta(
            resource_type=kind,
            created=_moment(created),
            last_modified=_moment(now),
            version=etag(version),
        )
        try:
            body = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        except ValidationError as exc:
            raise _scim_error(exc) from None
        body.get("meta", {}).pop("location", None)
        stored = StoredResource(
            kind=kind,
            id=str(resource.id),
            body=body,
            version=version,
            created=created,
            last_modified=now,
            keys=_keys(kind, body),
        )
        self._store.put_resource(stored)
        return stored

    def _resource(self, stored: StoredResource, base_url: str) -> Any:
        body = dict(stored.body)
        body["meta"] = {
            **dict(body.get("meta") or {}),
            "location": f"{base_url}/{ENDPOINTS[stored.kind]}/{stored.id}",
        }
        return _validate(stored.kind, body, Context.RESOURCE_QUERY_RESPONSE)

    def _render(
        self,
        stored: StoredResource,
        base_url: str,
        attributes: str | None = None,
        excluded: str | None = None,
    ) -> Rendered:
        parameters = None
        if attributes or excluded:
            try:
                parameters = cast(Any, ResponseParameters)[_model(stored.kind)](
                    attributes=attributes or None, excluded_attributes=excluded or None
                )
            except ValidationError as exc:
                raise _scim_error(exc) from None
        body = self._resource(stored, base_url).model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
        )
        return Rendered(body, etag(stored.version))

    # -- announcing -------------------------------------------------------------------------------
    def _provenance(self, what: str) -> Provenance:
        return Provenance(
            system=self._system, source_event_type=what, tenant=self._tenant, actor="scim"
        )

    def _after_change(
        self,
        kind: Kind,
        before: StoredResource | None,
        after: StoredResource | None,
        what: str,
    ) -> None:
        provenance = self._provenance(what)
        if kind == "Group":
            gid = (after or before).id  # type: ignore[union-attr]
            self._announce_group(gid, after.body if after else None, provenance)
            return
        old = before.body if before else {}
        new = after.body if after else {}
        uid = (after or before).id  # type: ignore[union-attr]
        people = [uid]
        managers = {_manager_id(old), _manager_id(new)} - {None}
        if _manager_id(old) != _manager_id(new):
            people.extend(sorted(m for m in managers if m is not None))
        email_moved = scim_people.work_email(old) != scim_people.work_email(new)
        if before is None or after is None or email_moved:
            people.extend(sorted(r.id for r in self._store.find_resources("User", "manager", uid)))
        for person in dict.fromkeys(people):
            if after is None and person == uid:
                continue
            self._announce_user(person, provenance)
        if after is not None and before is not None and email_moved:
            for group in self._groups_with(uid):
                self._announce_group(group.id, group.body, provenance)

    def _announce_user(self, user_id: str, provenance: Provenance) -> None:
        stored = self._store.get_resource("User", user_id)
        if stored is None:
            return
        facts = scim_people.person_facts(
            stored.body,
            lookup=self._user_body,
            is_people_manager=bool(self._store.find_resources("User", "manager", user_id)),
        )
        if facts is None:
            return
        self._announcer.person(facts, provenance)

    def _terminate(self, user_id: str, provenance: Provenance) -> None:
        last = self._announcer.last_facts(self._system, user_id)
        if last is not None:
            self._announcer.person(last.with_status("terminated"), provenance)

    def _groups_with(self, user_id: str) -> list[StoredResource]:
        return [g for g in self._store.list_resources("Group") if user_id in _members_of(g.body)]

    def _drop_from_groups(self, user_id: str, provenance: Provenance) -> None:
        """RFC 7644 §3.6: a deleted resource leaves the groups that listed it."""
        for group in self._groups_with(user_id):
            body = dict(group.body)
            body["members"] = [m for m in body.get("members") or [] if m.get("value") != user_id]
            if not body["members"]:
                del body["members"]
            stored = StoredResource(
                kind="Group",
                id=group.id,
                body=body,
                version=group.version + 1,
                created=group.created,
                last_modified=rfc3339(self._clock()),
                keys=group.keys,
            )
            self._store.put_resource(stored)
            self._announce_group(group.id, stored.body, provenance)

    def _announce_group(
        self, group_id: str, body: Mapping[str, Any] | None, provenance: Provenance
    ) -> None:
        current = (
            scim_people.memberships(
                {**body, "id": group_id},
                domain=self._group_domain,
                lookup=self._user_body,
                lookup_group=self._group_body,
            )
            if body is not None
            else []
        )
        self._announcer.memberships(group_key(self._system, group_id), current, provenance)

    def _user_body(self, user_id: str) -> Mapping[str, Any] | None:
        stored = self._store.get_resource("User", user_id)
        return stored.body if stored is not None else None

    def _group_body(self, group_id: str) -> Mapping[str, Any] | None:
        stored = self._store.get_resource("Group", group_id)
        return stored.body if stored is not None else None


def _manager_id(body: Mapping[str, Any]) -> str | None:
    manager = (body.get(ENTERPRISE) or {}).get("manager") or {}
    value = manager.get("value")
    return value if isinstance(value, str) and value else None


def _dedupe_members(resource: Any) -> bool:
    """RFC 7644 §3.5.2.1: adding a member that is already there changes nothing."""
    members = getattr(resource, "members", None)
    if not members:
        return False
    seen: set[str] = set()
    kept = []
    for member in members:
        if member.value in seen:
            continue
        seen.add(member.value)
        kept.append(member)
    if len(kept) == len(members):
        return False
    resource.members = kept
    return True


def _too_many() -> SCIMException:
    return SCIMException.from_error(
        Error(status=400, scim_type="tooMany", detail="filter: too many results")
    )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
