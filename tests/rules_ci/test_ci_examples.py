"""The CI examples in docs/ci: they call chatsync with options it has, and their plan steps,
run as the CI service would run them, hand a held change to the gate as exit code 4."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import DEMO_RULES, ROOT
from tests.rules_ci.conftest import NARROW_ENGINEERING, edited_rules

pytestmark = pytest.mark.rules_ci

GITHUB = ROOT / "docs" / "ci" / "github-actions-rules-review.yml"
CLOUD_BUILD = ROOT / "docs" / "ci" / "cloudbuild-rules-review.yaml"
PULL_REQUEST = {"_BASE_BRANCH": "main", "_HEAD_BRANCH": "rules-change", "_PR_NUMBER": "7"}
"""What Cloud Build substitutes for a pull-request trigger."""


def github_steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(GITHUB.read_text())
    return list(workflow["jobs"]["review"]["steps"])


def cloud_build_script(step_id: str, substitutions: dict[str, str]) -> str:
    """A Cloud Build step's bash script after Cloud Build's own substitution ($$ -> $)."""
    build = yaml.safe_load(CLOUD_BUILD.read_text())
    values = {**PULL_REQUEST, **build["substitutions"], **substitutions}
    script = next(s for s in build["steps"] if s["id"] == step_id)["args"][1]
    script = re.sub(r"\$\{(_[A-Z_]+)\}", lambda m: values[m.group(1)], script)
    return script.replace("$$", "$")


def chatsync_commands(script: str) -> list[list[str]]:
    """Every ``chatsync ...`` command line of a shell script, continuation lines joined."""
    joined = script.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        words = shlex.split(line.strip(), comments=True) if "chatsync " in line else []
        if words and words[0] == "chatsync":
            cut = next((i for i, w in enumerate(words) if w in (">", "||", "&&", ";")), None)
            found.append(words[1:cut])
    return found


def run_bash(
    script: str, cwd: Path, env: dict[str, str], *, flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", *flags, "-c", script],
        cwd=cwd,
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_examples_call_chatsync_only_with_options_it_has() -> None:
    """Each chatsync command line in both files parses with the real CLI's parser, and both
    run the check and the rules review."""
    from chatsync.tools.cli import parser

    scripts = [s.get("run", "") for s in github_steps()]
    build = yaml.safe_load(CLOUD_BUILD.read_text())
    scripts += [cloud_build_script(s["id"], {}) for s in build["steps"]]
    commands = [c for script in scripts for c in chatsync_commands(script)]

    for command in commands:
        parser().parse_args(command)
    assert {c[0] for c in commands} == {"check", "plan"}
    assert sum(1 for c in commands if c[0] == "plan" and "--snapshot" in c) >= 3


def test_the_github_workflow_runs_on_rules_changes_and_label_changes() -> None:
    """Triggered by pull requests touching the rules, again when a label is added or removed;
    the gate step fails only on exit code 4 without the approval label."""
    workflow = yaml.safe_load(GITHUB.read_text())
    trigger = workflow[True]["pull_request"]  # YAML 1.1 reads the key `on` as true
    gate = next(s for s in github_steps() if s.get("name") == "Gate on the safety limits")

    assert "functions/rules.yaml" in trigger["paths"]
    assert {"labeled", "unlabeled", "synchronize"} <= set(trigger["types"])
    assert "steps.plan.outputs.exit_code == '4'" in gate["if"]
    assert f"'{workflow['env']['APPROVAL_LABEL']}'" in gate["if"]
    assert workflow["permissions"]["pull-requests"] == "write"


@pytest.mark.parametrize("ci", ["github", "cloud_build"])
def test_the_plan_step_hands_a_held_change_to_the_gate_as_4_and_stops_on_an_error(
    ci: str, emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Run as the CI service runs it, on a snapshot: a change over a limit lets the step pass
    with exit code 4 recorded for the gate; a rules file that does not load fails the step."""
    work = tmp_path / "work"
    (work / "review").mkdir(parents=True)
    cli("snapshot", "--out", str(work / "review" / "snapshot.json"))
    (work / "review" / "base-rules.yaml").write_text(DEMO_RULES.read_text())
    held = edited_rules(tmp_path, NARROW_ENGINEERING)
    broken = tmp_path / "broken.yaml"
    broken.write_text(DEMO_RULES.read_text().replace("role: member", "role: ROLE_MEMBER", 1))

    def run(rules: str) -> tuple[int, str]:
        if ci == "github":
            step = next(s for s in github_steps() if s.get("id") == "plan")
            output = work / "github_output"
            output.write_text("")
            env = {
                "RULES": rules,
                "RUNNER_TEMP": str(work / "review"),
                "GITHUB_OUTPUT": str(output),
            }
            # How GitHub runs a `run:` step on Linux: bash --noprofile --norc -eo pipefail.
            done = run_bash(
                step["run"], work, env, flags=("--noprofile", "--norc", "-eo", "pipefail")
            )
            recorded = dict(line.split("=", 1) for line in output.read_text().split())
            return done.returncode, recorded.get("exit_code", "")
        script = cloud_build_script("plan", {"_RULES": rules})
        script = script.replace("pip install --quiet --root-user-action=ignore . || exit 1", "")
        done = run_bash(script, work, {})
        code_file = work / "review" / "exit_code"
        return done.returncode, code_file.read_text().strip() if code_file.exists() else ""

    assert run(held) == (0, "4")
    assert run(str(DEMO_RULES)) == (0, "0")
    failed, _ = run(str(broken))
    assert failed != 0
