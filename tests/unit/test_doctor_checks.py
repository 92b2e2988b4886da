"""``chatsync doctor``'s checks over ports, with fakes for the edges: what each situation
reports, and that the exit status follows the worst check."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chatsync.adapters.store import MemoryStore
from chatsync.app import broken, doctor
from chatsync.app.ports import SpaceInfo
from chatsync.domain import errors, scopes
from chatsync.domain.model import Email, SpaceName, SpaceType
from chatsync.domain.rules import load_rules

RULES = Path(__file__).resolve().parents[2] / "functions" / "rules.yaml"


@dataclass
class FakeChat:
    types: dict[str, SpaceType] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)

    def get_space(self, space: SpaceName) -> SpaceInfo:
        if space in self.missing:
            raise errors.SpaceUnreachable("404 NOT_FOUND", space=space, status=404)
        return SpaceInfo(space, self.types.get(space, SpaceType.SPACE), "name")

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> list[Any]:
        return []


class FakeDirectory:
    def first_user(self) -> Email | None:
        return Email("ana@example.com")

    def groups_of(self, member: str) -> frozenset[Email]:
        return frozenset()


@dataclass
class FakeTokens:
    static: bool = False
    refusing: dict[str, str] = field(default_factory=dict)

    def exchange(self, credential_set: str) -> str | None:
        return self.refusing.get(credential_set)

    def refused(self, credential_set: str) -> tuple[str, ...]:
        return ("chat.admin.memberships",) if credential_set in self.refusing else ()


@dataclass
class FakePubSub:
    answer: list[str] | None = None

    def missing(self, project: str) -> list[str]:
        if self.answer is None:
            raise PermissionError("no Google credentials")
        return self.answer


def deps(**changes: Any) -> doctor.DoctorDeps:
    base = doctor.DoctorDeps(
        ruleset=load_rules(str(RULES)),
        table=scopes.load(),
        auth_mode="admin",
        admin_subject="it-admin@example.com",
        chat=FakeChat(),  # type: ignore[arg-type]
        directory=FakeDirectory(),
        tokens=FakeTokens(),
        store=MemoryStore(),
        rules_file=str(RULES),
    )
    return replace(base, **changes)


def statuses(checks: list[doctor.Check], name: str) -> list[str]:
    return [c.status for c in checks if c.check == name]


def test_a_healthy_admin_deployment_is_all_ok() -> None:
    """Every token issued, the Directory and every space readable: nothing but ok."""
    checks = doctor.run(deps())
    assert {c.status for c in checks} == {"ok"}
    assert not doctor.failed(checks)
    used = {s.name for s in scopes.load().used("admin", preflight=True)}
    assert {c.subject for c in checks if c.check == "token"} == used


def test_fixed_tokens_exchange_nothing() -> None:
    """With the emulator's fixed tokens there is no token to check, and the auth line says so."""
    checks = doctor.run(deps(tokens=FakeTokens(static=True)))
    assert statuses(checks, "token") == []
    assert "emulator only" in checks[1].detail


def test_a_refused_delegation_fails_naming_the_scope() -> None:
    """One set refused: fail with the missing scope's URL and the console path."""
    checks = doctor.run(deps(tokens=FakeTokens(refusing={"chat_admin": "RefreshError: ..."})))
    (fail,) = [c for c in checks if c.status == "fail"]
    assert fail.subject == "chat_admin"
    assert f"{scopes.SCOPE_URL}chat.admin.memberships" in fail.fix
    assert doctor.failed(checks)


def test_a_missing_space_and_a_group_chat_fail_with_their_fixes() -> None:
    """404 and GROUP_CHAT are failures, each with a fix; the other spaces stay ok."""
    chat = FakeChat(
        types={"spaces/AAAAsales": SpaceType.GROUP_CHAT}, missing={"spaces/AAAAplatform"}
    )
    checks = doctor.run(deps(chat=chat))
    failing = {c.subject.split(" ")[0]: c for c in checks if c.status == "fail"}
    assert set(failing) == {"spaces/AAAAplatform", "spaces/AAAAsales"}
    assert "GROUP_CHAT" in failing["spaces/AAAAsales"].detail
    assert all(c.fix for c in failing.values())


def test_the_demo_rules_against_google_fail_the_rules_check() -> None:
    """The cold-start refusal of the demo's rules shows as the first check, a fail."""
    checks = doctor.run(deps(rules_problem="names the demo's spaces"))
    assert checks[0].check == "rules" and checks[0].status == "fail"
    assert "rules_file" in checks[0].fix


def test_pubsub_without_credentials_warns_and_missing_topics_fail() -> None:
    """No credentials to look: warn with how to get them; a missing topic: fail."""
    warned = doctor.run(deps(project="p", pubsub=FakePubSub(None)))
    assert statuses(warned, "pubsub") == ["warn"]
    failed = doctor.run(deps(project="p", pubsub=FakePubSub(["projects/p/topics/x"])))
    assert statuses(failed, "pubsub") == ["fail"]
    assert doctor.run(deps(project="p", pubsub=FakePubSub([])))[-1].status == "ok"


def test_recorded_broken_spaces_are_listed() -> None:
    """A broken_spaces record of a managed space is a warn with the recorded fix."""
    store = MemoryStore()
    store.put_doc(broken.KIND, "spaces/AAAAsales", {"status": 403, "fix": "do X", "pending": ["a"]})
    checks = doctor.run(deps(store=store))
    (recorded,) = [c for c in checks if c.check == "broken_spaces"]
    assert (recorded.subject, recorded.status) == ("spaces/AAAAsales", "warn")
    assert recorded.fix.startswith("do X")


def test_json_has_exactly_the_contract_keys() -> None:
    """``--json`` objects carry check, subject, status, detail, fix and nothing else."""
    (first, *_) = doctor.run(deps())
    assert set(first.to_json()) == {"check", "subject", "status", "detail", "fix"}


@dataclass
class FakeNotifier:
    space: str = "spaces/AAAAadmins"
    refuse: bool = False

    def post(self, text: str, *, key: str) -> str:
        raise AssertionError("doctor never posts")

    def check(self) -> str:
        if self.refuse:
            raise errors.ChatPermissionDenied("spaces.get -> 404 NOT_FOUND", status=404)
        return "chatsync admins"


def test_the_admin_space_is_checked_the_app_must_be_able_to_post_there() -> None:
    """Reachable: ok naming the space; the app not in it: fail with how to add it; none set:
    a warn that held plans are only logged."""
    ok = doctor.run(deps(notifier=FakeNotifier()))
    assert [(c.subject, c.status) for c in ok if c.check == "admin_space"] == [
        ("spaces/AAAAadmins", "ok")
    ]
    refused = doctor.run(deps(notifier=FakeNotifier(refuse=True)))
    (fail,) = [c for c in refused if c.check == "admin_space"]
    assert fail.status == "fail" and "Add apps" in fail.fix and doctor.failed(refused)
    unset = doctor.run(deps(notifier=FakeNotifier(space="")))
    (warn,) = [c for c in unset if c.check == "admin_space"]
    assert warn.status == "warn" and "admin_space" in warn.fix
