"""Opaque page tokens, list order seeded by order_seed, Retry-After in whole seconds, 429s
without retry hints, and the modelled latency of every API call."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from tests.emulator.conftest import SEED

from workspace_emulator import emulator, errors, quotas, seeding


def users_page(directory: Any, **params: Any) -> dict[str, Any]:
    """One page of directory users as the convention app."""
    return dict(directory().users().list(customer="my_customer", **params).execute())


def test_page_tokens_are_not_readable_offsets(directory: Any) -> None:
    """A page token does not decode to JSON: it is sealed, not an encoded offset."""
    token = users_page(directory, maxResults=2)["nextPageToken"]
    raw_bytes = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))

    with pytest.raises(ValueError):
        json.loads(raw_bytes)


def test_a_tampered_page_token_is_400(directory: Any, refused: Any) -> None:
    """Changing one character of a token makes it invalid: 400 INVALID_ARGUMENT."""
    token = users_page(directory, maxResults=2)["nextPageToken"]
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]

    refusal = refused(
        directory().users().list(customer="my_customer", maxResults=2, pageToken=tampered)
    )

    assert (refusal.http_status, refusal.status) == (400, "INVALID_ARGUMENT")


def test_a_token_used_with_another_query_is_400(directory: Any, refused: Any) -> None:
    """A token is bound to the query it came from: another orderBy is 400."""
    token = users_page(directory, maxResults=2)["nextPageToken"]

    refusal = refused(
        directory()
        .users()
        .list(customer="my_customer", maxResults=2, pageToken=token, orderBy="email")
    )

    assert refusal.error["message"].startswith("The page token does not match")


def test_pages_visit_every_user_once(directory: Any) -> None:
    """Following tokens over a seeded order lists each user exactly once."""
    seen: list[str] = []
    page = users_page(directory, maxResults=2)
    seen += [u["id"] for u in page["users"]]
    while "nextPageToken" in page:
        page = users_page(directory, maxResults=2, pageToken=page["nextPageToken"])
        seen += [u["id"] for u in page["users"]]

    assert len(seen) == len(set(seen)) == 6


def order_with(emu: Any, directory: Any, order_seed: int) -> list[str]:
    """User ids as users.list orders them under *order_seed*."""
    emu.reset(seeding.read(SEED) | {"order_seed": order_seed})
    return [u["id"] for u in users_page(directory)["users"]]


def test_unordered_lists_change_order_with_the_seed_value(emu: Any, directory: Any) -> None:
    """Same users, same order for one order_seed; another order for some other value."""
    orders = {seed: order_with(emu, directory, seed) for seed in range(6)}

    assert order_with(emu, directory, 3) == orders[3]
    assert {tuple(sorted(o)) for o in orders.values()} == {tuple(sorted(orders[0]))}
    assert len({tuple(o) for o in orders.values()}) > 1


def test_a_documented_order_is_kept_whatever_the_seed(emu: Any, directory: Any) -> None:
    """orderBy=email is honoured under any order_seed."""
    for order_seed in (0, 1, 2):
        emu.reset(seeding.read(SEED) | {"order_seed": order_seed})
        emails = [u["primaryEmail"] for u in users_page(directory, orderBy="email")["users"]]
        assert emails == sorted(emails)


def test_order_seed_must_be_an_integer() -> None:
    """A seed with a non-integer order_seed is refused, naming the field."""
    with pytest.raises(seeding.SeedError, match="order_seed"):
        seeding.load({"order_seed": "shuffle"})


class FakeTime:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_quota_retry_after_is_whole_seconds_at_time_scale_1() -> None:
    """At scale 1 a 67 ms wait is Retry-After 1; RetryInfo keeps the exact delay."""
    limiter = quotas.Quotas(quotas.ScaledClock(1.0, real=FakeTime()))
    for _ in range(15):
        limiter.charge("spaces.members.list", "spaces/X")

    with pytest.raises(errors.ApiError) as info:
        limiter.charge("spaces.members.list", "spaces/X")

    [retry] = [d for d in info.value.details if d["@type"] == errors.RETRY_INFO]
    assert info.value.headers["Retry-After"] == "1"
    assert retry["retryDelay"] == "0.067s"


def test_fault_retry_after_is_whole_seconds_at_time_scale_1(emu: Any, raw: Any) -> None:
    """A scripted 429 asking for 0.2 s says Retry-After 1 (HTTP has no fractions)."""
    emu.fail_next("*", status=429, retry_after=0.2)
    answer = raw("GET", "v1/spaces/AAAAeng")

    assert answer.headers["Retry-After"] == "1"
    assert {"@type": errors.RETRY_INFO, "retryDelay": "0.200s"} in answer.body["error"]["details"]


def hints(answer: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """A 429's Retry-After header and RetryInfo details."""
    found = answer.body["error"].get("details", [])
    details = [d for d in found if d["@type"] == errors.RETRY_INFO]
    return answer.headers.get("Retry-After"), details


def test_without_retry_hints_quota_429s_carry_no_hint(emu: Any, raw: Any) -> None:
    """retry_hints off: an exhausted bucket answers 429 with no Retry-After and no RetryInfo."""
    emu.set_time_scale(1e-6)
    raw("POST", "emulator/v1/config", body={"retry_hints": False})
    answers = [raw("GET", "v1/spaces/AAAAeng/members") for _ in range(16)]

    assert answers[-1].status == 429
    assert hints(answers[-1]) == (None, [])


def test_retry_hints_can_be_switched_back_on(emu: Any, raw: Any) -> None:
    """The same scripted 429 has hints with retry_hints on and none with it off."""
    emu.set_retry_hints(False)
    emu.fail_next("*", status=429, retry_after=2)
    bare = raw("GET", "v1/spaces/AAAAeng")
    emu.set_retry_hints(True)
    emu.fail_next("*", status=429, retry_after=2)
    hinted = raw("GET", "v1/spaces/AAAAeng")

    assert hints(bare) == (None, [])
    assert hints(hinted)[0] == "2"


def in_process(**kwargs: Any) -> tuple[emulator.Emulator, list[float]]:
    """An emulator without a socket whose sleeps are recorded instead of slept."""
    naps: list[float] = []
    return emulator.Emulator(SEED, sleep=naps.append, **kwargs), naps


def get_space(emu: emulator.Emulator) -> int:
    """One spaces.get as the app; the HTTP status."""
    status, _, _ = emu.dispatch("GET", "/v1/spaces/AAAAeng", {"authorization": "Bearer app"}, b"")
    return status


def test_latency_applies_to_every_api_call() -> None:
    """latency_ms at start-up: each API call waits that long first, and the log says so."""
    emu, naps = in_process(latency_ms=250)

    statuses = [get_space(emu) for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert naps == [0.25, 0.25, 0.25]
    assert {c["latency_ms"] for c in emu.calls()} == {250.0}


def test_latency_is_independent_of_faults() -> None:
    """A call with a delayed fault waits the latency, then the fault's own delay."""
    emu, naps = in_process(latency_ms=100)
    emu.faults.fail_next("spaces.get", status=503, delay=2.0)

    assert get_space(emu) == 503
    assert naps == [0.1, 2.0]


def test_latency_is_set_through_the_control_api(raw: Any, emu: Any) -> None:
    """POST config latency_ms sets it; GET config reports it; negative is 400."""
    answer = raw("POST", "emulator/v1/config", body={"latency_ms": 5})
    refused = raw("POST", "emulator/v1/config", body={"latency_ms": -1})

    assert answer.body["latency_ms"] == 5.0
    assert refused.status == 400
    assert raw("GET", "emulator/v1/config").body["latency_ms"] == 5.0


def test_the_token_endpoint_has_no_modelled_latency() -> None:
    """Only API calls wait: a (refused) token request does not."""
    emu, naps = in_process(latency_ms=250)

    status, _, _ = emu.dispatch("POST", "/token", {}, b"grant_type=password")

    assert status == 400
    assert naps == []
