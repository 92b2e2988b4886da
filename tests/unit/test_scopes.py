"""The scope table against the discovery documents bundled with google-api-python-client.

For every API method chatsync calls (the table's ``methods``, and ``preflight`` for doctor) and
each auth mode, every scope of the credential set the method uses must be one that method's
bundled discovery document accepts: a token never carries a scope its method does not take, and
a method never gets a token it would refuse (reference §15). The adapters, for their part, name
no method the table does not list (statically here, at run time in tests/integration).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import scopes

ADAPTERS = Path(__file__).resolve().parents[2] / "functions" / "chatsync" / "adapters"
DISCOVERY = {
    "chat": "chat.v1.json",
    "directory": "admin.directory_v1.json",
    "workspaceevents": "workspaceevents.v1.json",
}
"""The bundled document of each API, by the first part of the method id."""


@cache
def accepted() -> dict[str, frozenset[str]]:
    """Method id -> the short scopes its bundled discovery document lists."""
    import googleapiclient

    folder = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
    found: dict[str, frozenset[str]] = {}

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in (resource.get("methods") or {}).values():
                found[method["id"]] = frozenset(
                    s.removeprefix(scopes.SCOPE_URL) for s in method.get("scopes", ())
                )
            walk(resource.get("resources") or {})

    for name in DISCOVERY.values():
        walk(json.loads((folder / name).read_text(encoding="utf-8"))["resources"])
    return found


TABLE = scopes.load()
ROWS = [
    (f"methods.{method}", method, TABLE.set_for(method, mode).name, mode)
    for method in TABLE.methods
    for mode in scopes.MODES
] + [
    (f"preflight.{check}", entry.method, name, mode)
    for check, entry in TABLE.preflight.items()
    for mode, name in entry.sets.items()
    if name is not None
]


@pytest.mark.parametrize(("row", "method", "set_name", "mode"), ROWS)
def test_every_scope_a_method_is_sent_with_is_one_its_discovery_document_accepts(
    row: str, method: str, set_name: str, mode: str
) -> None:
    """The set's scopes are a subset of the method's scopes in the bundled document."""
    assert method.split(".", 1)[0] in DISCOVERY, f"{method}: no bundled document for its API"
    assert method in accepted(), f"{row}: {method} is not in the bundled document"
    refused = set(TABLE.sets[set_name].scopes) - accepted()[method]
    assert not refused, f"{row} [{mode}] -> {set_name}: {sorted(refused)} refused by {method}"


def test_workspace_events_get_two_tokens_and_no_admin_scope() -> None:
    """create/patch/reactivate use an approved chat.app scope; list/get/delete use chat.bot;
    no Workspace Events method is ever sent a chat.admin.* scope (none accepts one)."""
    for method in TABLE.methods:
        if not method.startswith("workspaceevents."):
            continue
        for mode in scopes.MODES:
            used = TABLE.set_for(method, mode)
            assert used.principal == "app", method
            assert not any(s.startswith("chat.admin.") for s in used.scopes), method
    assert TABLE.set_for("workspaceevents.subscriptions.list", "app").scopes == ("chat.bot",)
    assert TABLE.set_for("workspaceevents.subscriptions.create", "admin").approval


def test_admin_mode_uses_chat_admin_access_and_app_mode_never_does() -> None:
    """Admin mode manages members with the delegated chat.admin.memberships; app mode asks no
    Chat admin scope, and nothing asks chat.app.spaces except doctor's optional check."""
    assert TABLE.set_for("chat.spaces.members.patch", "admin").scopes == ("chat.admin.memberships",)
    assert TABLE.delegated_scopes("app") == (
        "admin.directory.group.readonly",
        "admin.directory.user.readonly",
    )
    assert "chat.app.spaces" not in TABLE.approval_scopes("app")
    assert TABLE.approval_scopes("app", optional=True) == ("chat.app.spaces",)
    assert TABLE.approval_scopes("admin") == ("chat.app.memberships.readonly",)


def test_adapters_name_only_methods_of_the_table() -> None:
    """Every API method id an adapter names is in the table (a call to an unlisted method would
    have no credential set; CredentialSets.for_method refuses it before anything is sent)."""
    pattern = re.compile(r'"((?:chat|directory|workspaceevents)\.[a-z][A-Za-z.]+[a-z])"')
    named = {m for path in ADAPTERS.rglob("*.py") for m in pattern.findall(path.read_text("utf-8"))}
    named -= {"chat.googleapis.com"}
    listed = set(TABLE.methods)
    assert named, "the scan found no method id: the pattern no longer matches the adapters"
    assert named <= listed, sorted(named - listed)


def test_an_unlisted_method_gets_no_credentials() -> None:
    """Asking the credentials of a method the table does not list fails, naming the method."""
    from chatsync.adapters.credentials import CredentialSets
    from chatsync.app.settings import Settings

    sets = CredentialSets(Settings.from_env({"CHATSYNC_ACCESS_TOKEN": "app"}))
    with pytest.raises(KeyError, match=r"chat\.spaces\.delete"):
        sets.for_method("chat.spaces.delete")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda t: t["credentials"]["chat_bot"].update(principal="robot"), "chat_bot.principal"),
        (lambda t: t["credentials"]["chat_bot"].update(scopes=[]), "chat_bot.scopes"),
        (lambda t: t["methods"]["chat.spaces.get"].update(app="nope"), "chat.spaces.get.app"),
        (lambda t: t["methods"]["chat.spaces.get"].pop("admin"), "methods.chat.spaces.get"),
        (
            lambda t: t["methods"]["chat.spaces.get"].update(app="chat_app_spaces"),
            "is optional",
        ),
        (
            lambda t: t["preflight"]["app_created"].update(method="chat.spaces.delete"),
            "preflight.app_created.method",
        ),
    ],
)
def test_a_bad_table_names_the_field(mutate: Any, field: str) -> None:
    """The table loader refuses a malformed entry and says which one."""
    data = json.loads(Path(TABLE.source).read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(scopes.ScopeTableError, match=re.escape(field)):
        scopes.parse(data, source="scopes.json")
