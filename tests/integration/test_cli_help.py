"""Help a person can read, quickly: no reStructuredText, no issue numbers, every option
explained, and ``chatsync --help`` loads none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.integration.running import chatsync

from chatsync.tools import cli


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_every_help_text_reads_as_plain_text(command: str) -> None:
    """No rST literals (double backquotes), no roles, no "issue N"; every option has help."""
    result = chatsync(command, "--help")

    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "``" not in text and ":mod:" not in text
    assert "issue " not in text.lower()
    options = text.split("options:", 1)[1]
    for line in options.splitlines():
        flag = line.strip()
        if flag.startswith("-") and "  " not in flag:
            # a flag alone on its line: its help must follow on the next line
            following = options.split(line, 1)[1].splitlines()[1].strip()
            assert following and not following.startswith("-"), f"{command} {flag}: no help"


def test_emulator_host_says_what_it_is() -> None:
    """`chatsync emulator --help` explains --host (loopback by default, not to expose)."""
    result = chatsync("emulator", "--help")

    assert "--host HOST" in result.stdout and "loopback" in result.stdout


def test_top_level_help_loads_no_google_library_yaml_or_rich() -> None:
    """Commands import what they need when they run, so --help stays quick. (The namespace
    package ``google`` itself is imported at start-up by a .pth file of functions-framework.)"""
    probe = (
        "import sys\n"
        "from chatsync.tools import cli\n"
        "cli.parser().format_help()\n"
        "heavy = ('google.auth', 'google.api_core', 'google.protobuf', 'googleapiclient',\n"
        "         'yaml', 'rich', 'functions_framework', 'flask', 'httplib2')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
