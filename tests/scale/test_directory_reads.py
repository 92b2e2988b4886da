"""The full reconcile's Directory reads at scale: only the groups the rules name, nested members
through derived membership, each page retried on its own; Chat list pages paced one by one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from chatsync.adapters.chat.ratelimit import Limits, RateLimitedChat
from chatsync.adapters.chat.rest import RestChatMembers
from chatsync.adapters.directory import DirectoryClient
from chatsync.adapters.store import MemoryStore
from chatsync.app import reconciling
from chatsync.app.logs import Logger
from chatsync.app.pipeline import Pipeline
from chatsync.app.retrying import RetryingDirectory, RetryPolicy
from chatsync.domain.model import Email, SpaceName
from chatsync.domain.rules import load_rules_text
from chatsync.tools.benchmarking import scale_org as orgs

pytestmark = pytest.mark.scale


@pytest.fixture(scope="module")
def org() -> orgs.ScaleOrg:
    return orgs.generate(orgs.Shape.small(1_200, drift=0.0))


@pytest.fixture
def emu(org: orgs.ScaleOrg) -> Iterator[Any]:
    from workspace_emulator.server import EmulatorServer

    with EmulatorServer(None, quotas=False) as server:
        server.emulator.world.store = orgs.emulator_store(org)
        yield server


def directory(url: str, retries: list[float]) -> RetryingDirectory:
    client = DirectoryClient(Credentials(token="app"), endpoint=url, timeout=10)  # type: ignore[no-untyped-call]
    return RetryingDirectory(client, policy=RetryPolicy(max_attempts=3), sleep=retries.append)


def test_only_the_named_groups_are_read_and_nested_members_count(
    emu: Any, org: orgs.ScaleOrg
) -> None:
    """Two named groups: two member listings, no groups.list; a member of a group nested in a
    named group has the named group among their groups."""
    store = emu.emulator.world.store
    named = sorted(org.ruleset.groups_named())[:2]
    outer, inner = named
    # Nest: every member of ``inner`` is now also (through it) a member of ``outer``.
    from workspace_emulator import store as st

    group = store.group_by_key(outer)
    store.groups[group.id] = st.Group(
        group.id, group.email, group.name, (*group.members, st.GroupMember(inner, type="GROUP"))
    )
    people = directory(emu.url, []).list_people([Email(outer), Email(inner)])
    calls = [c["method"] for c in emu.calls()]
    by_email = {p.email: p for p in people}
    inner_members = [p for p in org.people if Email(inner) in p.groups]

    assert len(people) == len(org.people)
    assert "directory.groups.list" not in calls
    assert calls.count("directory.members.list") == 2
    assert inner_members and all(Email(outer) in by_email[p.email].groups for p in inner_members)


def test_a_failed_page_is_read_again_alone(emu: Any, org: orgs.ScaleOrg) -> None:
    """users.list in pages of 500: a 503 on the second page costs that page once more, not
    the listing from the start."""
    emu.fail_next("directory.users.list", 1, status=0)  # the first page goes through
    emu.fail_next("directory.users.list", 1, status=503)
    waits: list[float] = []
    people = directory(emu.url, waits).list_people([])
    pages = [c for c in emu.calls() if c["method"] == "directory.users.list"]

    assert len(people) == len(org.people)
    assert [c["status"] for c in pages].count(503) == 1
    assert len(pages) == -(-len(org.people) // 500) + 1
    assert len(waits) == 1


def test_the_survey_reads_a_long_roster_page_by_page_at_the_space_rate(
    emu: Any, org: orgs.ScaleOrg
) -> None:
    """The all-company space has more than 1,000 members: each page after the first waits for
    the space's read bucket (15 a second), so a roster is never sent all at once."""
    waits: list[float] = []
    rest = RestChatMembers(Credentials(token="app"), endpoint=emu.url, timeout=10)  # type: ignore[no-untyped-call]
    limits = Limits(
        writes_per_minute=300, reads_per_minute=3000, space_reads_per_second=1, sleep=waits.append
    )
    chat = RateLimitedChat(rest, limits)
    everyone = SpaceName("spaces/SCALEall")
    members = chat.list_members(everyone)
    pages = [c for c in emu.calls() if c["method"] == "spaces.members.list"]

    assert len(members) > 1_000 and len(pages) == 2
    assert len(waits) >= 1  # the second page waited for the space's bucket
    pipeline = Pipeline(
        ruleset=load_rules_text(org.rules_text),
        chat=chat,
        directory=directory(emu.url, []),
        store=MemoryStore(),
        log=Logger(stream=io.StringIO(), level="ERROR"),
        workers=4,
    )
    survey = reconciling.survey(pipeline.deps(), log=pipeline.log)
    assert survey.plan.operations == ()
    assert len(survey.current) == len(org.ruleset.spaces)
