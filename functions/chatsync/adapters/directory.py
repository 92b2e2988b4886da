"""The Directory edge: people and their groups from the Admin SDK Directory API.

``users.get`` gives a person's Directory record and ``groups.list`` (by userKey, walking up
through groups that contain groups) their groups. The full reconcile reads everyone
(``users.list``) once, and the members of only the groups its rules name (``members.list`` with
includeDerivedMembership, so members of nested groups count); a snapshot for a rules review,
whose rules may name any group, reads every group of the customer. Listings are read page by
page, and each page is retried on its own (``page_retry``, set by ``RetryingDirectory``): a 503
on page 150 of 200 of users.list costs that page again, not the 149 already read.
``app.facts`` merges what this edge reads with the latest HR snapshot (``domain.facts``): the
Directory owns the account state, the org unit and the groups.

``DirectoryMapping`` below is the one place that says where each fact lives in a Directory
user (docs/events.md, "Where each fact comes from", shows the same table):

    primaryEmail                     email
    archived, suspended              account = archived / suspended (else active; a 404 on
                                     users.get means deleted)
    orgUnitPath                      org_unit_path
    organizations[primary]           title, department, cost_center (costCenter), location
    relations[type=manager]          manager_email
    locations[0].buildingId          location (when organizations has none)
    customSchemas.<schema>.<field>   job_level, is_people_manager, employment_status, division:
                                     the schema is CHATSYNC_DIRECTORY_SCHEMA (default ``HR``),
                                     the fields CHATSYNC_DIRECTORY_FIELDS (default: the
                                     attribute's own name)
    customSchemas.<S>.<field>        custom['<S>.<field>'] for every schema, and
                                     custom['<field>'] (the configured schema's value first)

Field names are the Directory API's ``User`` resource
(https://developers.google.com/admin-sdk/directory/reference/rest/v1/users).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from chatsync.adapters.googleapi import MethodServices, execute
from chatsync.domain import errors
from chatsync.domain.model import Account, Email, EmploymentStatus, Person, email

MAPPABLE = ("job_level", "is_people_manager", "employment_status", "division")
"""Person attributes a custom schema field may fill."""


@dataclass(frozen=True, slots=True)
class DirectoryMapping:
    """Which custom schema, and which of its fields, hold the HR attributes of a user."""

    schema: str = "HR"
    """CHATSYNC_DIRECTORY_SCHEMA: the custom schema's name (``customSchemas.<schema>``)."""
    fields: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({name: name for name in MAPPABLE})
    )
    """CHATSYNC_DIRECTORY_FIELDS: person attribute -> field of that schema."""

    @classmethod
    def parse(cls, schema: str, fields: str) -> DirectoryMapping:
        """From the settings: ``fields`` is ``attribute=field,...`` (empty: the defaults).
        Raises ``ConfigError`` naming the variable."""
        if not schema.strip():
            raise errors.ConfigError("CHATSYNC_DIRECTORY_SCHEMA is empty (expected a schema name)")
        if not fields.strip():
            return cls(schema=schema.strip())
        mapping: dict[str, str] = {}
        for item in fields.split(","):
            attribute, sep, name = (part.strip() for part in item.partition("="))
            if not sep or not attribute or not name:
                raise errors.ConfigError(
                    f"CHATSYNC_DIRECTORY_FIELDS: {item.strip()!r} is not attribute=field"
                )
            if attribute not in MAPPABLE:
                raise errors.ConfigError(
                    f"CHATSYNC_DIRECTORY_FIELDS: {attribute!r} is not one of {', '.join(MAPPABLE)}"
                )
            mapping[attribute] = name
        return cls(schema=schema.strip(), fields=MappingProxyType(mapping))


def account_of(user: Mapping[str, Any]) -> Account:
    """``archived`` and ``suspended`` are the User resource's booleans."""
    if user.get("archived"):
        return Account.ARCHIVED
    if user.get("suspended"):
        return Account.SUSPENDED
    return Account.ACTIVE


def person_from_json(
    user: Mapping[str, Any],
    groups: frozenset[Email] = frozenset(),
    mapping: DirectoryMapping | None = None,
) -> Person:
    """A Directory ``User`` resource as a person (see the module docstring for the fields)."""
    mapping = mapping or DirectoryMapping()
    orgs = [o for o in user.get("organizations") or () if isinstance(o, dict)]
    org = next((o for o in orgs if o.get("primary")), orgs[0] if orgs else {})
    schemas = {k: v for k, v in (user.get("customSchemas") or {}).items() if isinstance(v, dict)}
    custom: dict[str, str] = {}
    for schema in sorted(schemas, key=lambda name: name != mapping.schema):
        for key, value in schemas[schema].items():
            text = _text(value)
            custom[f"{schema}.{key}"] = text
            custom.setdefault(key, text)
    own = schemas.get(mapping.schema, {})
    mapped = {
        attribute: _text(own[name]) for attribute, name in mapping.fields.items() if name in own
    }
    manager = next(
        (
            r.get("value")
            for r in user.get("relations") or ()
            if isinstance(r, dict) and r.get("type") == "manager"
        ),
        None,
    )
    account = account_of(user)
    status = EmploymentStatus.ACTIVE if account is Account.ACTIVE else EmploymentStatus.SUSPENDED
    if account is Account.ACTIVE and mapped.get("employment_status"):
        with contextlib.suppress(ValueError):
            status = EmploymentStatus(mapped["employment_status"])
    location = org.get("location")
    if not location:
        locations = [x for x in user.get("locations") or () if isinstance(x, dict)]
        location = locations[0].get("buildingId") if locations else None
    return Person(
        email=email(str(user.get("primaryEmail", ""))),
        employment_status=status,
        google_user_id=str(user["id"]) if user.get("id") else None,
        title=org.get("title") or None,
        job_level=mapped.get("job_level") or None,
        department=org.get("department") or None,
        division=mapped.get("division") or None,
        cost_center=org.get("costCenter") or None,
        location=location or None,
        org_unit_path=user.get("orgUnitPath") or None,
        is_people_manager=mapped.get("is_people_manager", "").lower() == "true",
        manager_email=_maybe_email(manager),
        custom=custom,
        groups=groups,
        account=account,
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v.get("value") if isinstance(v, dict) else v) for v in value)
    return str(value)


def _maybe_email(value: Any) -> Email | None:
    try:
        return email(str(value)) if value else None
    except ValueError:
        return None


class DirectoryClient:
    """Reads people and groups. Thread-safe: one HTTP client per thread."""

    def __init__(
        self,
        credentials: Any,
        *,
        endpoint: str,
        customer: str = "my_customer",
        timeout: float = 30.0,
        mapping: DirectoryMapping | None = None,
    ) -> None:
        self._services = MethodServices(
            "admin", "directory_v1", credentials, endpoint=endpoint, timeout=timeout
        )
        self._customer = customer
        self.mapping = mapping or DirectoryMapping()
        self.page_retry: Callable[[Callable[[], Any]], Any] = _no_retry
        """Runs one page request; ``app.retrying.RetryingDirectory`` sets its retry loop here."""
        self.calls = 0

    def _execute(self, method: str, build: Callable[[Any], Any], *, call: str) -> Any:
        """Build a request on ``method``'s collection (``users``, ``groups``, ``members``, with
        ``method``'s credentials) and send it."""
        self.calls += 1
        try:
            return execute(build(self._services.collection(method)), method=method, call=call)
        except (errors.EndpointError, errors.CredentialsRefused):
            raise  # a setting to fix, not the Directory being down
        except errors.RetryableError as error:
            raise errors.DirectoryUnavailable(str(error), delay=error.delay) from error
        except errors.ChatApiError as error:
            if error.status == 404:
                raise errors.PersonNotFound(f"{call}: not in the Directory") from error
            raise

    def first_user(self) -> Email | None:
        """One user of the customer (users.list, one result): proves Directory access."""
        body = self._execute(
            "directory.users.list",
            lambda users: users.list(customer=self._customer, maxResults=1),
            call=f"directory users.list customer={self._customer}",
        )
        users = [u for u in body.get("users") or () if isinstance(u, dict)]
        return _maybe_email(users[0].get("primaryEmail")) if users else None

    def get_person(self, key: str, *, groups: bool = True) -> Person:
        """The person by email or id, with every group they belong to (nested included), or,
        with ``groups=False``, none: one ``users.get`` and no ``groups.list``."""
        user = self._execute(
            "directory.users.get",
            lambda users: users.get(userKey=key, projection="full"),
            call=f"directory users.get {key}",
        )
        primary = str(user.get("primaryEmail", key))
        member_of = self.groups_of(primary) if groups else frozenset[Email]()
        return person_from_json(user, member_of, self.mapping)

    def groups_of(self, member: str) -> frozenset[Email]:
        """Every group ``member`` belongs to, walking up through groups that contain groups."""
        seen: set[Email] = set()
        frontier = [member]
        while frontier:
            key = frontier.pop()
            for group in self._pages(
                "directory.groups.list",
                functools.partial(_groups_of, key),
                "groups",
                f"groups.list {key}",
            ):
                address = _maybe_email(group.get("email"))
                if address and address not in seen:
                    seen.add(address)
                    frontier.append(address)
        return frozenset(seen)

    def list_people(self, groups: Collection[Email] | None = None) -> list[Person]:
        """Everyone in the customer, with their memberships of ``groups`` (one members.list
        per group, nested members included; a group that does not exist has no members);
        ``None``: of every group of the customer."""
        if groups is None:
            groups = self._every_group()
        memberships: dict[Email, set[Email]] = {}
        for group in sorted(set(groups)):
            try:
                members = self.group_members(group)
            except errors.PersonNotFound:
                continue  # a rule naming a group nobody created: nobody is in it
            for member in members:
                memberships.setdefault(member, set()).add(group)
        people = []
        for user in self._pages(
            "directory.users.list",
            lambda users, token: users.list(
                customer=self._customer, maxResults=500, projection="full", **_token(token)
            ),
            "users",
            "users.list",
        ):
            address = _maybe_email(user.get("primaryEmail"))
            if address is None:
                continue
            member_of = frozenset(memberships.get(address, ()))
            people.append(person_from_json(user, member_of, self.mapping))
        return people

    def _every_group(self) -> list[Email]:
        found = []
        for group in self._pages(
            "directory.groups.list",
            lambda groups, token: groups.list(
                customer=self._customer, maxResults=200, **_token(token)
            ),
            "groups",
            "groups.list",
        ):
            address = _maybe_email(group.get("email"))
            if address is not None:
                found.append(address)
        return found

    def group_members(self, group: Email) -> frozenset[Email]:
        """Every user in ``group``, members of nested groups included."""
        users = set()
        for member in self._pages(
            "directory.members.list",
            lambda members, token: members.list(
                groupKey=group, includeDerivedMembership=True, maxResults=200, **_token(token)
            ),
            "members",
            f"members.list {group}",
        ):
            if member.get("type", "USER") == "USER":
                address = _maybe_email(member.get("email"))
                if address:
                    users.add(address)
        return frozenset(users)

    def _pages(
        self, method: str, request: Callable[[Any, str | None], Any], key: str, call: str
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            body = self.page_retry(
                functools.partial(
                    self._execute,
                    method,
                    functools.partial(_at, request, token),
                    call=f"directory {call}",
                )
            )
            yield from (x for x in body.get(key) or () if isinstance(x, dict))
            token = body.get("nextPageToken")
            if not token:
                return


def _no_retry(call: Callable[[], Any]) -> Any:
    return call()


def _groups_of(key: str, groups: Any, token: str | None) -> Any:
    return groups.list(userKey=key, maxResults=200, **_token(token))


def _at(request: Callable[[Any, str | None], Any], token: str | None, collection: Any) -> Any:
    return request(collection, token)


def _token(token: str | None) -> dict[str, str]:
    return {"pageToken": token} if token else {}
