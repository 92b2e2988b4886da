"""What gets deployed: the manifest matches pyproject, and the emulator is left out."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_manifest_lists_exactly_the_runtime_dependencies():
    """functions/requirements.txt == [project].dependencies (Cloud Build installs from it)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    manifest = [
        line.strip()
        for line in (ROOT / "functions" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert manifest == project["dependencies"]


def test_gcloudignore_keeps_the_emulator_out_of_the_deployed_source():
    """The emulator is for tests and the demo; it is never deployed."""
    ignored = (ROOT / "functions" / ".gcloudignore").read_text().splitlines()
    assert "workspace_emulator/" in ignored
