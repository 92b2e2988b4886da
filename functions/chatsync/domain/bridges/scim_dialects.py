"""Rewrite what Okta and Microsoft Entra actually send into what RFC 7644 says, before validation.

scim2-models already reads PATCH ``op`` case-insensitively ("Replace", "Add": Entra), accepts
attribute paths as keys of a path-less value, and its policy (``scim_schema.POLICY``) covers
Entra's ``remove`` with a ``value``. What is left is rewritten here, one documented habit per
function:

- **manager as a bare string.** Entra sends the enterprise ``manager`` as the manager's id
  string (``"value": "2c2f6fb8-..."``) instead of ``{"value": ...}``; RFC 7643 §4.3 makes it
  complex. Seen in MicrosoftDocs/azure-docs#69234, Captain-P-Goldfish/SCIM-SDK#686,
  apache/directory-scimple#1242. An empty string clears the manager.
- **manager without ``$ref``.** Neither IdP sends ``$ref``, which RFC 7643 §8.7.1 lists as
  required; it is filled in from the id.
- **booleans as strings.** Entra sends ``"active": "False"`` (the "Known issues and resolutions
  with SCIM 2.0 protocol compliance" page, fixed only behind the ``aadOptscim062020`` flag).
  Only the exact words true/false (any case) are accepted; anything else stays a string and
  fails validation naming ``active``.
- **read-only id in a path-less replace.** Okta renames a group with
  ``{"op": "replace", "value": {"id": "<id>", "displayName": "..."}}`` (developer.okta.com,
  SCIM 2.0 protocol reference); the id is dropped when it is the resource's own id.

Pure: stdlib and scim2-models exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scim2_models import InvalidSyntaxException, MutabilityException

from chatsync.domain.bridges.scim_schema import ENTERPRISE

_MANAGER_PATH = f"{ENTERPRISE}:manager".casefold()
_BOOLEANS = {"true": True, "false": False}


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidSyntaxException(detail=f"{what}: expected a JSON object")
    return dict(value)


def boolean(value: object) -> object:
    """``"False"`` -> False, ``"TRUE"`` -> True; everything else unchanged."""
    if isinstance(value, str) and value.strip().casefold() in _BOOLEANS:
        return _BOOLEANS[value.strip().casefold()]
    return value


def manager(value: object, *, users_url: str) -> object:
    """The enterprise manager as RFC 7643 wants it, or None to clear it."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = {"value": value}
    if isinstance(value, dict):
        fixed = dict(value)
        if fixed.get("value") in (None, ""):
            return None
        if not fixed.get("$ref"):
            fixed["$ref"] = f"{users_url}/{fixed['value']}"
        return fixed
    return value


def _enterprise_part(part: object, *, users_url: str) -> object:
    if not isinstance(part, dict):
        return part
    fixed = dict(part)
    for key in list(fixed):
        if key.casefold() == "manager":
            fixed[key] = manager(fixed[key], users_url=users_url)
            if fixed[key] is None:
                del fixed[key]
    return fixed


def _attributes(doc: Mapping[str, Any], *, users_url: str, resource_id: str) -> dict[str, Any]:
    fixed = dict(doc)
    for key in list(fixed):
        folded = key.casefold()
        if folded == "active":
            fixed[key] = boolean(fixed[key])
        elif folded == ENTERPRISE.casefold():
            fixed[key] = _enterprise_part(fixed[key], users_url=users_url)
        elif folded == _MANAGER_PATH:
            fixed[key] = manager(fixed[key], users_url=users_url)
        elif folded == "id" and resource_id:
            if fixed[key] != resource_id:
                raise MutabilityException(detail="id: read-only, cannot be changed")
            del fixed[key]
    return fixed


def resource_body(body: object, *, users_url: str) -> dict[str, Any]:
    """A POST or PUT body with the IdP habits above rewritten."""
    return _attributes(_object(body, "request body"), users_url=users_url, resource_id="")


def patch_body(body: object, *, resource_id: str, users_url: str) -> dict[str, Any]:
    """A PatchOp body with the IdP habits above rewritten, operation by operation."""
    doc = _object(body, "request body")
    key = next((k for k in doc if k.casefold() == "operations"), None)
    if key is None:
        return doc
    operations = doc[key]
    if not isinstance(operations, list):
        raise InvalidSyntaxException(detail="Operations: expected a list of operations")
    doc[key] = [
        _operation(_object(op, f"Operations[{i}]"), resource_id=resource_id, users_url=users_url)
        for i, op in enumerate(operations)
    ]
    return doc


def _operation(op: dict[str, Any], *, resource_id: str, users_url: str) -> dict[str, Any]:
    path = op.get("path")
    if "value" not in op:
        return op
    value = op["value"]
    if path is None or path == "":
        op.pop("path", None)
        if isinstance(value, dict):
            op["value"] = _attributes(value, users_url=users_url, resource_id=resource_id)
        return op
    if not isinstance(path, str):
        return op
    folded = path.casefold()
    if folded == "active":
        op["value"] = boolean(value)
    elif folded == _MANAGER_PATH:
        fixed = manager(value, users_url=users_url)
        if fixed is None:
            # Clearing the manager: a remove says it without a value.
            return {"op": "remove", "path": path}
        op["value"] = fixed
    elif folded == ENTERPRISE.casefold() and isinstance(value, dict):
        op["value"] = _enterprise_part(value, users_url=users_url)
    return op
