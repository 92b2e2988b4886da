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
