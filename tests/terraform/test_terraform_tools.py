"""External checkers that run offline: ``terraform fmt`` and checkov.

checkov lives in its own virtualenv (``.venv-checkov``, made by ``scripts/checkov.sh`` on first
use, about 30 s here), because its fork of python-hcl2 overwrites the real one's package.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any

import pytest

from .conftest import REPO, TERRAFORM, tf_files

CHECKOV = REPO / "scripts" / "checkov.sh"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def _missing(reason: str) -> None:
    """Skip on a developer machine; fail in CI, where every check must really run."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_terraform_fmt_is_clean() -> None:
    """``terraform fmt -check -recursive`` passes (needs no provider or network)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on PATH (fmt is checked where one exists)")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _checkov(*extra: str) -> dict[str, Any]:
    """checkov's JSON report on terraform/, run offline (--skip-download)."""
    if shutil.which("bash") is None:
        _missing("bash is needed to run scripts/checkov.sh")
    setup = subprocess.run(
        ["bash", str(CHECKOV), "--setup"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if setup.returncode != 0:
        _missing(f"could not install checkov into .venv-checkov:\n{setup.stderr[-2000:]}")
    result = subprocess.run(
        ["bash", str(CHECKOV), "-d", "terraform", "--framework", "terraform", "-o", "json", *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    try:
        report: Any = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON (exit {result.returncode}):\n{result.stderr[-2000:]}")
    if isinstance(report, list):  # one entry per framework; we ask for terraform only
        (report,) = report
    assert isinstance(report, dict)
    return report


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    """checkov on the defaults."""
    return _checkov()


def test_checkov_passes_with_the_hr_bridges_exposed(tmp_path: Any) -> None:
    """With expose_hr_bridges = true (public ingress and invoker on the two bridges) checkov
    still reports nothing failed: the one inherent finding is skipped with its reason."""
    var_file = tmp_path / "exposed.tfvars"
    var_file.write_text("expose_hr_bridges = true\n", encoding="utf-8")
    report = _checkov("--var-file", str(var_file))
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in report["results"].get("failed_checks", [])
    ]
    assert report["summary"]["failed"] == 0, "\n".join(failed)
    skipped = {(c["check_id"], c["resource"]) for c in report["results"]["skipped_checks"]}
    assert ("CKV_GCP_124", "google_cloudfunctions2_function.hr_bridge") in skipped


def test_checkov_passes_with_the_snapshot_bucket(tmp_path: Any) -> None:
    """With rules_review_snapshot on (the bucket of people's emails and HR facts, its two grants)
    checkov reports nothing failed: uniform access, public access prevention and versioning pass
    on the bucket, and only access logs are skipped, with their reason."""
    var_file = tmp_path / "snapshot.tfvars"
    var_file.write_text(
        "rules_review_snapshot = {\n"
        "  enabled = true\n"
        '  readers = ["serviceAccount:rules-review@my-chatsync-project.iam.gserviceaccount.com"]\n'
        "}\n",
        encoding="utf-8",
    )
    report = _checkov("--var-file", str(var_file))
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in report["results"].get("failed_checks", [])
    ]
    assert report["summary"]["failed"] == 0, "\n".join(failed)
    bucket = "google_storage_bucket.snapshots[0]"
    passed = {(c["check_id"], c["resource"]) for c in report["results"]["passed_checks"]}
    for check in ("CKV_GCP_29", "CKV_GCP_78", "CKV_GCP_114"):
        assert (check, bucket) in passed, check
    skipped = {
        c["check_id"] for c in report["results"]["skipped_checks"] if c["resource"] == bucket
    }
    assert skipped == {"CKV_GCP_62"}


def test_checkov_reports_no_failed_check(checkov_report: dict[str, Any]) -> None:
    """Zero failed checks and zero parse errors, on a real set of resources."""
    summary = checkov_report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in checkov_report["results"].get("failed_checks", [])
    ]
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 10
    assert summary["resource_count"] > 30


def test_checkov_skips_carry_reasons(checkov_report: dict[str, Any]) -> None:
    """Every check checkov skipped was suppressed in the .tf with a written reason."""
    for check in checkov_report["results"].get("skipped_checks", []):
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.split()) >= 5, f"{check['check_id']} on {check['resource']}: {reason!r}"


def test_every_skip_comment_has_a_reason() -> None:
    """``#checkov:skip=CKV_...:reason`` comments all name a check and explain themselves."""
    found = 0
    for path in tf_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = SKIP_COMMENT.search(line)
            if match:
                found += 1
                check, reason = match.group(1), (match.group(2) or "").strip()
                assert check.startswith(("CKV_", "CKV2_")), f"{path.name}: {line.strip()}"
                assert len(reason.split()) >= 5, f"{path.name}: {check} has no written reason"
    assert found, "no skip comments found: the scan for them is broken"
