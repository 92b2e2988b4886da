"""Quotas (reference §10) with the time-scale knob, and injected faults."""

from __future__ import annotations

import time
from typing import Any

import pytest


class FakeTime:
    """A wall clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frozen(emu: Any) -> None:
    """Slow quota time down so much that nothing refills during a test."""
    emu.set_time_scale(1e-6)


def test_sixteenth_read_in_a_second_on_one_space_is_429(emu: Any, raw: Any) -> None:
    """Per-space reads are 15/s: the 16th is 429 RESOURCE_EXHAUSTED with RetryInfo."""
    frozen(emu)
    answers = [raw("GET", "v1/spaces/AAAAeng/members") for _ in range(16)]

    assert [a.status for a in answers[:15]] == [200] * 15
    last = answers[15]
    assert (last.status, last.body["error"]["status"]) == (429, "RESOURCE_EXHAUSTED")
    [retry] = [
        d for d in last.body["error"]["details"] if d["@type"].endswith("google.rpc.RetryInfo")
    ]
    assert retry["retryDelay"].endswith("s")
    assert float(last.headers["Retry-After"]) > 0


def test_per_space_read_limit_does_not_touch_other_spaces(emu: Any, raw: Any) -> None:
    """Exhausting one space's read bucket leaves other spaces readable."""
    frozen(emu)
    for _ in range(16):
        raw("GET", "v1/spaces/AAAAeng/members")

    assert raw("GET", "v1/spaces/AAAAuser/members").status == 200


def test_membership_writes_are_300_a_minute_per_project(emu: Any, chat: Any, refused: Any) -> None:
    """The 301st membership write within a minute is 429, patch counting as a write."""
    frozen(emu)
    members = chat().spaces().members()
    li = {"member": {"name": "users/100000000003"}}
    for i in range(150):
        members.patch(
            name="spaces/AAAAeng/members/100000000001",
            updateMask="role",
            body={"role": "ROLE_MEMBER" if i % 2 else "ROLE_ASSISTANT_MANAGER"},
        ).execute()
    for _ in range(75):
        members.create(parent="spaces/AAAAeng", body=li).execute()
        members.delete(name="spaces/AAAAeng/members/100000000003").execute()

    refusal = refused(members.create(parent="spaces/AAAAeng", body=li))

    assert (refusal.http_status, refusal.status) == (429, "RESOURCE_EXHAUSTED")


def test_time_scale_refills_quota_faster(emu: Any, raw: Any) -> None:
    """Speeding quota time up refills an exhausted bucket within real milliseconds."""
    frozen(emu)
    for _ in range(15):
        raw("GET", "v1/spaces/AAAAeng/members")
    assert raw("GET", "v1/spaces/AAAAeng/members").status == 429

    emu.set_time_scale(1000.0)
    time.sleep(0.05)

    assert raw("GET", "v1/spaces/AAAAeng/members").status == 200


def test_retry_delay_is_reported_in_scaled_real_seconds() -> None:
    """With time_scale 60 an empty 300/min bucket asks for 1/300 s, not 0.2 s."""
    from workspace_emulator import errors, quotas

    fake = FakeTime()
    limiter = quotas.Quotas(quotas.ScaledClock(60.0, real=fake))
    for _ in range(300):
        limiter.charge("spaces.members.delete", "spaces/X")

    with pytest.raises(errors.ApiError) as info:
        limiter.charge("spaces.members.create", "spaces/X")

    [retry] = [d for d in info.value.details if "RetryInfo" in d["@type"]]
    assert retry["retryDelay"] == "0.003s"
    fake.now += 1 / 300
    limiter.charge("spaces.members.create", "spaces/X")


def test_space_creation_is_60_a_minute() -> None:
    """spaces.create drains the 60/min space-writes bucket; membership reads do not."""
    from workspace_emulator import errors, quotas

    limiter = quotas.Quotas(quotas.ScaledClock(1.0, real=FakeTime()))
    for _ in range(60):
        limiter.charge("spaces.create", None)
    limiter.charge("spaces.members.list", "spaces/X")

    with pytest.raises(errors.ApiError):
        limiter.charge("spaces.create", None)


def test_quotas_can_be_switched_off(emu: Any, raw: Any) -> None:
    """With quotas off, reads beyond 15/s succeed."""
    emu.set_quotas(False)
    try:
        statuses = {raw("GET", "v1/spaces/AAAAeng/members").status for _ in range(20)}
    finally:
        emu.set_quotas(True)

    assert statuses == {200}


def test_scripted_fault_fails_the_next_calls_then_clears(emu: Any, chat: Any, refused: Any) -> None:
    """fail_next(method, 2) fails exactly the next two calls of that method."""
    emu.fail_next("spaces.members.list", 2, status=503)
    request = chat().spaces().members().list(parent="spaces/AAAAeng")

    assert refused(request).http_status == 503
    assert refused(request).status == "UNAVAILABLE"
    assert request.execute()["memberships"]


def test_faulted_write_changes_nothing_and_is_logged(emu: Any, chat: Any, refused: Any) -> None:
    """A faulted create leaves the space unchanged and is logged with fault: true."""
    emu.fail_next("spaces.members.create", status=500)
    refusal = refused(
        chat()
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body={"member": {"name": "users/li.wei@example.com"}})
    )
    [space] = [s for s in emu.state()["spaces"] if s["name"] == "spaces/AAAAeng"]
    [call] = emu.calls()

    assert refusal.http_status == 500
    assert "li.wei@example.com" not in {m.get("email") for m in space["memberships"]}
    assert call | {"time": 0} == {
        "method": "spaces.members.create",
        "http_method": "POST",
        "path": "/v1/spaces/AAAAeng/members",
        "status": 500,
        "caller": "",
        "time": 0,
        "fault": True,
    }


def test_fault_with_retry_after_sets_the_header(emu: Any, raw: Any) -> None:
    """A scripted 429 with retry_after carries Retry-After and RetryInfo."""
    emu.fail_next("*", status=429, retry_after=2)
    answer = raw("GET", "v1/spaces/AAAAeng/members")

    assert (answer.status, answer.headers["Retry-After"]) == (429, "2")
    assert any(d.get("retryDelay") == "2.000s" for d in answer.body["error"]["details"])


def test_delay_only_fault_slows_but_succeeds(emu: Any, raw: Any) -> None:
    """status 0 delays the call, which then runs normally."""
    emu.fail_next("spaces.members.get", status=0, delay=0.2)
    started = time.monotonic()
    answer = raw("GET", "v1/spaces/AAAAeng/members/100000000001")

    assert answer.status == 200
    assert time.monotonic() - started >= 0.2


def test_random_faults_at_rate_one_fail_every_call(emu: Any, raw: Any) -> None:
    """set_random_faults(1.0) fails every matching call with one of the statuses."""
    emu.set_random_faults(1.0, statuses=(500,), methods=("spaces.members.list",), seed=7)

    assert raw("GET", "v1/spaces/AAAAeng/members").status == 500
    assert raw("GET", "v1/spaces/AAAAeng/members/100000000001").status == 200
    emu.clear_faults()
    assert raw("GET", "v1/spaces/AAAAeng/members").status == 200


def test_faults_are_set_through_the_control_endpoint(raw: Any) -> None:
    """POST /emulator/v1/faults scripts faults; {"clear": true} removes them."""
    raw("POST", "emulator/v1/faults", body={"method": "spaces.get", "n": 3, "status": 502})
    assert raw("GET", "v1/spaces/AAAAeng").status == 502

    raw("POST", "emulator/v1/faults", body={"clear": True})

    assert raw("GET", "v1/spaces/AAAAeng").status == 200
