"""What gets deployed: the manifest matches pyproject, and the emulator is left out."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_manifest_covers_the_runtime_dependencies():
    """Every [project].dependencies name is in functions/requirements.txt (Cloud Build installs
    from it); tests/terraform/test_deploy_pins.py checks that each is pinned within its range."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    manifest = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (ROOT / "functions" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    wanted = {
        re.split(r"[<>=!~;\[ ]", dep, maxsplit=1)[0].lower().replace("_", "-")
        for dep in project["dependencies"]
    }
    assert wanted <= manifest


def test_gcloudignore_keeps_the_emulator_out_of_the_deployed_source():
    """The emulator is for tests and the demo; it is never deployed."""
    ignored = (ROOT / "functions" / ".gcloudignore").read_text().splitlines()
    assert "workspace_emulator/" in ignored


def test_the_cli_extra_holds_rich_and_the_function_never_imports_it():
    """rich is the CLI's (the `cli` extra): not a runtime dependency, not loaded by main.py."""
    import subprocess
    import sys

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("rich") for d in project["optional-dependencies"]["cli"])
    assert not any(d.startswith("rich") for d in project["dependencies"])
    probe = "import sys, main; print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "functions",
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_make_demo_does_not_install_checkov(tmp_path):
    """checkov (minutes to install) is set up for the tests only, never for the demo."""
    import subprocess

    def dry_run(target: str) -> str:
        return subprocess.run(
            ["make", "-n", target, f"VENV={tmp_path / 'venv'}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert "checkov" not in dry_run("demo")
    assert "scripts/checkov.sh --setup" in dry_run("pytest")


def test_every_relative_link_in_the_readme_and_docs_resolves():
    """Links point at files in the repository (the reference notes are not part of it)."""
    import re

    broken = []
    for page in [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        ROOT / "terraform" / "README.md",
    ]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
        for named in re.findall(r"[\w./-]*reference/[\w-]+\.md", page.read_text()):
            broken.append(f"{page.relative_to(ROOT)}: {named} (not in the repository)")
    assert broken == []
