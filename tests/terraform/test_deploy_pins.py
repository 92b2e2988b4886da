"""The deploy manifest pins every runtime dependency exactly, within pyproject's ranges.

Cloud Build installs ``functions/requirements.txt``; a range there would let each build pick
different versions from what was tested. scripts/pin_requirements.py writes it.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .conftest import FUNCTIONS, REPO

MANIFEST = FUNCTIONS / "requirements.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.!+_-]*)$")
RUNTIME = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": "linux"}


def pins() -> dict[str, Version]:
    """Canonical name -> pinned version; fails on any line that is not ``name==version``."""
    found: dict[str, Version] = {}
    for number, raw in enumerate(MANIFEST.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"requirements.txt:{number}: {line!r} is not pinned with == (name==version)"
        name = canonicalize_name(match.group(1))
        assert name not in found, f"requirements.txt:{number}: {name} pinned twice"
        found[name] = Version(match.group(2))
    return found


def runtime_dependencies() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"]]


def test_every_requirement_is_pinned_exactly() -> None:
    """Each line is name==version: no ranges, extras, markers, URLs or unpinned names."""
    assert len(pins()) >= len(runtime_dependencies())


@pytest.mark.parametrize("requirement", runtime_dependencies(), ids=lambda r: r.name)
def test_each_runtime_dependency_is_pinned_within_its_pyproject_range(
    requirement: Requirement,
) -> None:
    """pyproject's range admits the pinned version, so the pins are a choice within it."""
    pinned = pins().get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement.name} is a runtime dependency but is not pinned"
    assert requirement.specifier.contains(pinned, prereleases=True), (
        f"{requirement.name}=={pinned} is outside pyproject's {requirement.specifier}"
    )


def test_pins_include_what_the_pinned_packages_need() -> None:
    """For each pinned package installed here at that version, every dependency it declares for
    the runtime (Linux, Python 3.12, the extras asked of it) is pinned and in its range."""
    pinned = pins()
    checked = 0
    for name, version in pinned.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if Version(dist.version) != version:
            continue  # installed at another version: its metadata says nothing about this pin
        checked += 1
        for text in dist.requires or []:
            need = Requirement(text)
            if need.marker is not None and not need.marker.evaluate({**RUNTIME, "extra": ""}):
                continue
            got = pinned.get(canonicalize_name(need.name))
            assert got is not None, f"{name}=={version} needs {need}, which is not pinned"
            assert need.specifier.contains(got, prereleases=True), (
                f"{name}=={version} needs {need}; pinned {got}"
            )
    assert checked, "no pinned package is installed at its pinned version: nothing was checked"
