"""What a deployment refuses to start with: the demo's rules.

``functions/rules.yaml`` drives the demo org and ships beside ``main.py``. Deployed as is, it
would manage spaces that exist only in the emulator's demo seed, and the real tenant would be
left unmanaged without a word (issue 12, point 7). So a rules file naming any space of the demo
seed is refused when the pipeline is built (cold start: the message is redelivered, never acked)
unless CHATSYNC_ALLOW_DEMO_SPACES is set, or the Chat endpoint is a loopback emulator, the only
place those spaces exist. The demo and the tests set the variable anyway, to say so.
"""

from __future__ import annotations

from chatsync.app.settings import Settings
from chatsync.domain.errors import ConfigError
from chatsync.domain.rules import Ruleset

DEMO_SPACES = frozenset(
    {
        "spaces/AAAAengineering",
        "spaces/AAAAplatform",
        "spaces/AAAAdata",
        "spaces/AAAAmanagers",
        "spaces/AAAAsales",
        "spaces/AAAAlisbon",
        "spaces/AAAAannounce",
        "spaces/AAAAsocial",
        "spaces/AAAAchatsyncadmins",
        "spaces/GGGGlunch",
        "spaces/DDDDceo-comms",
    }
)
"""Every space of ``chatsync/samples/demo/seed.yaml`` (a test keeps the two equal; the samples
are not deployed, so the list lives here)."""

LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def is_loopback(url: str) -> bool:
    """``http://127.0.0.1:8089/``, ``http://localhost/``...: a local emulator, not Google."""
    rest = url.split("://", 1)[-1]
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    host = host.split("]", 1)[0] + "]" if host.startswith("[") else host.split(":", 1)[0]
    return host.lower() in LOOPBACK


def refuse_demo_spaces(ruleset: Ruleset, settings: Settings) -> None:
    """``ConfigError`` naming the rules file and the demo spaces it names, unless allowed."""
    if settings.allow_demo_spaces or is_loopback(settings.chat_endpoint):
        return
    named = sorted({s.name for s in ruleset.spaces} & DEMO_SPACES)
    if named:
        raise ConfigError(
            f"{settings.rules_file}: names the demo's spaces ({', '.join(named)}): these are the "
            "demo rules, not yours. Write your own rules file and set CHATSYNC_RULES_FILE "
            "(Terraform variable rules_file); set CHATSYNC_ALLOW_DEMO_SPACES=true only to run "
            "the demo against a real API on purpose"
        )
