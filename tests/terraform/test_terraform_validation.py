"""The variable validations really accept good input and refuse bad input.

``variables.tf`` needs no provider, so a copy of it alone can be planned offline wherever a
``terraform`` binary exists (skipped elsewhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import TERRAFORM

REQUIRED = {
    "project_id": "my-chatsync-123",
    "admin_subject": "admin@example.com",
    "rules_file": "rules.prod.yaml",
}

Plan = Callable[..., tuple[int, str]]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """Run ``terraform plan`` on variables.tf with some variables; return (exit code, output)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on PATH")
    workdir: Path = tmp_path_factory.mktemp("tfvars")
    shutil.copy(TERRAFORM / "variables.tf", workdir / "variables.tf")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [terraform, *args, "-no-color", "-input=false"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    init = run("init", "-backend=false")
    assert init.returncode == 0, init.stdout + init.stderr

    def plan_with(**overrides: str) -> tuple[int, str]:
        values = {**REQUIRED, **overrides}
        result = run("plan", *(f"-var={k}={v}" for k, v in values.items()))
        return result.returncode, result.stdout + result.stderr

    return plan_with


def _shares(**shares: float | None) -> str:
    """A functions map with the default instance counts and these quota shares (None: unset)."""
    instances = {"hr": 3, "group": 3, "chat": 2, "reconcile": 1, "work": 2}
    entries = ",".join(
        f"{key}={{max_instances={count}"
        + ("" if shares[key] is None else f",quota_share={shares[key]}")
        + "}"
        for key, count in instances.items()
    )
    return "{" + entries + "}"


def test_defaults_and_required_inputs_validate(plan: Plan) -> None:
    """The example's required values plus every default pass validation."""
    code, output = plan()
    assert code == 0, output


@pytest.mark.parametrize(
    "overrides",
    [
        # No share anywhere: the equal split per instance, floor(budget / 9), as before.
        {"functions": _shares(hr=None, group=None, chat=None, reconcile=None, work=None)},
        # Shares summing to exactly 1 in decimal (0.1 + 0.2 is not 0.3 in binary).
        {"functions": _shares(hr=0.2, group=0.1, chat=0.1, reconcile=0.3, work=0.3)},
        {"functions": _shares(hr=0.1, group=0.2, chat=0.3, reconcile=0.2, work=0.2)},
        # Exactly one write a minute per chat instance: 100 x 0.02 / 2, which Terraform's binary
        # numbers make 0.999... and floor() 0 unless shares are counted in millionths.
        {
            "chat_writes_per_minute_budget": "100",
            "functions": _shares(hr=0.08, group=0.3, chat=0.02, reconcile=0.3, work=0.3),
        },
    ],
)
def test_good_shares_are_accepted(plan: Plan, overrides: dict[str, str]) -> None:
    """Shares that sum to at most 1 and leave every instance a rate of 1 or more pass."""
    code, output = plan(**overrides)
    assert code == 0, output


@pytest.mark.parametrize(
    "snapshot",
    [
        "{enabled=true}",
        '{enabled=true,readers=["serviceAccount:rules-review@my-chatsync-123.iam.gserviceaccount.com",'
        '"group:rules-reviewers@example.com","user:ana@example.com",'
        '"principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/'
        'github/attribute.repository/acme/chatsync"]}',
    ],
)
def test_snapshot_readers_are_accepted(plan: Plan, snapshot: str) -> None:
    """The rules-review bucket on, with no readers or with each kind of member a CI uses."""
    code, output = plan(rules_review_snapshot=snapshot)
    assert code == 0, output


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"chat_writes_per_minute_budget": "301"}, "chat_writes_per_minute_budget must be 1-300"),
        ({"chat_reads_per_minute_budget": "3001"}, "chat_reads_per_minute_budget must be 1-3000"),
        (
            {
                "functions": "{hr={max_instances=100},group={max_instances=100},"
                "chat={max_instances=100},reconcile={max_instances=1},work={max_instances=1}}"
            },
            "exceeds chat_writes_per_minute_budget",
        ),
        ({"functions": "{hr={max_instances=1}}"}, "must have exactly the keys"),
        (
            {"functions": _shares(hr=0.3, group=0.1, chat=0.1, reconcile=0.3, work=0.3)},
            "quota_share values sum to more than 1",
        ),
        (
            {"functions": _shares(hr=0.2, group=0.1, chat=0.1, reconcile=0.3, work=0.3 + 1e-6)},
            "quota_share values sum to more than 1",
        ),
        (
            {"functions": _shares(hr=0.2, group=0, chat=0.1, reconcile=0.3, work=0.3)},
            "Each quota_share must be above 0",
        ),
        (
            {"functions": _shares(hr=0.2, group=-0.1, chat=0.1, reconcile=0.3, work=0.3)},
            "Each quota_share must be above 0",
        ),
        (
            {"functions": _shares(hr=0.2, group=None, chat=0.1, reconcile=0.3, work=0.3)},
            "Set quota_share on every function or on none",
        ),
        (
            {"functions": _shares(hr=0.005, group=0.1, chat=0.1, reconcile=0.3, work=0.3)},
            "per-instance write rate",
        ),
        (
            {
                "chat_reads_per_minute_budget": "100",
                "functions": _shares(hr=0.02, group=0.1, chat=0.1, reconcile=0.3, work=0.3),
            },
            "per-instance read rate",
        ),
        (
            {
                "functions": "{hr={max_instances=1,timeout_seconds=600},group={max_instances=1},"
                "chat={max_instances=1},reconcile={max_instances=1},work={max_instances=1}}"
            },
            "Each timeout_seconds must be 10-540",
        ),
        ({"admin_subject": "not-an-email"}, "admin_subject must be the email address"),
        ({"ingress_settings": "ALLOW_INTERNAL_AND_GCLB"}, "ingress_settings must be"),
        ({"reconcile_schedule": "every day"}, "five-field cron"),
        ({"retry_maximum_backoff": "5s"}, "not below retry_minimum_backoff"),
        ({"runtime": "python310"}, "runtime must be python312 or python313"),
        (
            {"rules_review_snapshot": '{enabled=true,readers=["allUsers"]}'},
            "rules_review_snapshot.readers must be IAM members",
        ),
        (
            {"rules_review_snapshot": '{enabled=true,readers=["allAuthenticatedUsers"]}'},
            "rules_review_snapshot.readers must be IAM members",
        ),
        (
            {"rules_review_snapshot": '{enabled=true,readers=["domain:example.com"]}'},
            "rules_review_snapshot.readers must be IAM members",
        ),
        (
            {"rules_review_snapshot": '{enabled=true,readers=["rules-review@example.com"]}'},
            "rules_review_snapshot.readers must be IAM members",
        ),
        (
            {"rules_review_snapshot": '{enabled=true,readers=["serviceAccount:rules-review"]}'},
            "rules_review_snapshot.readers must be IAM members",
        ),
        (
            {
                "rules_review_snapshot": '{enabled=true,readers=["user:ana@example.com",'
                '"user:ana@example.com"]}'
            },
            "must not repeat a member",
        ),
        (
            {"rules_review_snapshot": '{readers=["user:ana@example.com"]}'},
            "readers is set but enabled is false",
        ),
    ],
)
def test_bad_inputs_are_refused(plan: Plan, overrides: dict[str, str], message: str) -> None:
    """Each out-of-range input fails the plan with its own message."""
    code, output = plan(**overrides)
    assert code != 0
    assert message in " ".join(output.split()), output
