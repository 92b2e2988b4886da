"""The README's setup steps list exactly the scopes of ``chatsync/scopes.json``.

An admin copies the scopes from the README's "Deploying" section into the Admin console; the code
asks for the table's. A scope the README forgets fails every token (delegation refuses the whole
request), one it adds is a grant nothing uses. So the two are compared, row by row.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatsync.domain import scopes

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE = scopes.load()


def deploying() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Deploying\n")
    return text[start : text.index("\n## ", start + 1)]


def rows(heading: str) -> dict[str, tuple[str, ...]]:
    """The README table under ``heading``: first cell (mode) -> the scope URLs in the second."""
    section = deploying()
    start = section.index(heading)
    found: dict[str, tuple[str, ...]] = {}
    for line in section[start:].splitlines()[2:]:
        if not line.startswith("|"):
            if found:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if set(cells[0]) <= {"-"}:
            continue
        urls = re.findall(r"https://www\.googleapis\.com/auth/([a-z.]+[a-z])", cells[1])
        found[cells[0].replace("`", "")] = tuple(urls)
    return found


@pytest.mark.parametrize("mode", scopes.MODES)
def test_delegation_row_is_the_tables_delegated_scopes(mode: str) -> None:
    """Step 5 lists, per mode, exactly the delegated sets' scopes the mode uses."""
    listed = rows("| auth mode | OAuth scopes to allow for the client id |")
    assert listed[mode] == TABLE.delegated_scopes(mode)


@pytest.mark.parametrize("mode", scopes.MODES)
def test_approval_row_is_the_tables_chat_app_scopes(mode: str) -> None:
    """Step 7 lists, per mode, exactly the chat.app.* scopes the mode's app sets use."""
    listed = rows("| auth mode | scopes the admin approves for the Chat app |")
    assert listed[mode] == TABLE.approval_scopes(mode)


def test_the_optional_approval_is_doctors_only() -> None:
    """The optional row names the scopes only doctor's checks use, and says so."""
    listed = rows("| auth mode | scopes the admin approves for the Chat app |")
    assert listed["app, optional"] == TABLE.approval_scopes("app", optional=True)
    assert TABLE.approval_scopes("admin", optional=True) == ()


def test_the_section_names_no_scope_outside_the_table() -> None:
    """Every scope URL anywhere in "Deploying" is a scope of the table."""
    named = set(re.findall(r"https://www\.googleapis\.com/auth/([a-z.]+[a-z])", deploying()))
    known = {s for c in TABLE.sets.values() for s in c.scopes}
    assert named and named <= known, sorted(named - known)
