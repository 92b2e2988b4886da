"""Scopes and the audit sink's filter come from the JSON tables the code reads.

``modules/tables`` has no provider, so the ``terraform`` binary applies it offline and its outputs
are compared with what ``functions/chatsync/scopes.json`` says each auth mode needs.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import AUDIT_EVENTS_JSON, SCOPES_JSON, Module, Tables, load_json, unwrap

SCOPE_URL = "https://www.googleapis.com/auth/"
MODES = ("admin", "app")


def expected_scopes(auth_mode: str) -> tuple[list[str], list[str]]:
    """(delegated scopes, chat.app.* approval scopes) of ``auth_mode``, read from scopes.json."""
    table = load_json(SCOPES_JSON)
    used = {method[auth_mode] for method in table["methods"].values()}
    delegated: set[str] = set()
    approval: set[str] = set()
    for name in used:
        credential = table["credentials"][name]
        if credential["principal"] == "delegated":
            delegated.update(credential["scopes"])
        else:
            approval.update(s for s in credential["scopes"] if s.startswith("chat.app."))
    return (
        sorted(SCOPE_URL + s for s in delegated),
        sorted(SCOPE_URL + s for s in approval),
    )


@pytest.mark.parametrize("auth_mode", MODES)
def test_delegation_scopes_are_every_delegated_scope_the_mode_uses(
    tables: Tables, auth_mode: str
) -> None:
    """domain_wide_delegation_scopes: each scope of each delegated set a method uses, no other."""
    delegated, _ = expected_scopes(auth_mode)
    assert delegated, f"{auth_mode}: scopes.json delegates nothing (Directory reads need it)"
    assert tables.outputs(auth_mode)["domain_wide_delegation_scopes"] == delegated


@pytest.mark.parametrize("auth_mode", MODES)
def test_app_approval_scopes_are_the_chat_app_scopes_the_mode_uses(
    tables: Tables, auth_mode: str
) -> None:
    """chat_app_approval_scopes: the chat.app.* scopes of the app sets a method uses."""
    _, approval = expected_scopes(auth_mode)
    assert tables.outputs(auth_mode)["chat_app_approval_scopes"] == approval


def test_admin_mode_delegates_chat_admin_access_and_app_mode_does_not(tables: Tables) -> None:
    """Only admin mode asks the Admin console for Chat admin scopes; app mode asks for approval of
    chat.app.memberships instead (the documented difference between the modes)."""
    admin = tables.outputs("admin")
    app = tables.outputs("app")
    assert SCOPE_URL + "chat.admin.memberships" in admin["domain_wide_delegation_scopes"]
    assert not any("chat.admin." in s for s in app["domain_wide_delegation_scopes"])
    assert SCOPE_URL + "chat.app.memberships" in app["chat_app_approval_scopes"]
    assert SCOPE_URL + "chat.app.memberships" not in admin["chat_app_approval_scopes"]


def test_root_outputs_come_from_the_tables_module(module: Module) -> None:
    """The root passes the real files and auth_mode, and joins the delegation scopes with commas
    (the Admin console's format)."""
    tables = module.text["terraform/main.tf"]
    assert 'scopes_file       = "${path.module}/../functions/chatsync/scopes.json"' in tables
    assert 'audit_events_file = "${path.module}/auditlog_events.json"' in tables
    assert "auth_mode         = var.auth_mode" in tables
    dwd = module.outputs["domain_wide_delegation_scopes"]["value"]
    assert dwd == '${join(",", module.tables.domain_wide_delegation_scopes)}'
    approval = module.outputs["chat_app_approval_scopes"]["value"]
    assert unwrap(approval) == "module.tables.chat_app_approval_scopes"
    client = module.outputs["runtime_service_account_client_id"]["value"]
    assert unwrap(client) == "google_service_account.runtime.unique_id"
    root = {path: text for path, text in module.text.items() if "/modules/" not in path}
    for path, text in root.items():
        assert "googleapis.com/auth/" not in text, f"{path}: scopes belong in scopes.json only"


def test_auth_mode_defaults_to_admin_and_says_what_each_mode_can_do(module: Module) -> None:
    """admin is the default; the description names both modes' reach, and the functions get it."""
    variable = module.variables["auth_mode"]
    assert variable["default"] == "admin"
    text = " ".join(variable["description"].split())
    for needle in ("spaces the app created", "existing spaces", "admin_subject", "app:"):
        assert needle in text, needle
    assert module.locals["function_environment"]["CHATSYNC_AUTH_MODE"] == "${var.auth_mode}"


def _audit_names() -> dict[str, Any]:
    return load_json(AUDIT_EVENTS_JSON)


def test_audit_filter_admits_exactly_the_listed_methods(tables: Tables) -> None:
    """Every listed method appears in the sink filter as an exact, quoted methodName; nothing
    else does, and each service clause names its service."""

    doc = _audit_names()
    audit_filter = tables.outputs("admin")["workspace_audit_filter"]
    listed = {s["method_prefix"] + m for s in doc["services"] for m in s["methods"]}
    quoted = set(re.findall(r'"([A-Za-z0-9_.]+\.[A-Za-z]+)"', audit_filter))
    in_filter = {q for q in quoted if ".googleapis.com" not in q}
    assert in_filter == listed
    for service in doc["services"]:
        assert f'protoPayload.serviceName="{service["service"]}"' in audit_filter
    assert "=~" not in audit_filter, "no regular expression: exact names only"
    assert set(tables.outputs("admin")["workspace_audit_methods"]) == listed


def test_tables_module_is_provider_free_typed_and_described() -> None:
    """modules/tables declares no provider and no resource (so it evaluates offline), and
    follows the root's lint rules: typed, described, validated variables; described outputs."""
    from .conftest import TABLES_MODULE, blocks, load_module

    tables = load_module(TABLES_MODULE)
    assert not tables.resources and not tables.data
    settings = tables.terraform[0]
    assert settings["required_version"].startswith(">=")
    assert "required_providers" not in settings
    assert not re.search(r"^provider\s", "\n".join(tables.text.values()), flags=re.MULTILINE)
    for name, body in tables.variables.items():
        assert body.get("type") and len(body.get("description", "")) > 10, name
        assert blocks(body.get("validation")), f"variable {name} has no validation"
    for name, body in tables.outputs.items():
        assert len(body.get("description", "")) > 10, name
