"""The organization sink admits exactly the audit methods the parser decodes, and vice versa.

``terraform/auditlog_events.json`` is the list; ``chatsync/domain/events/auditlog.py`` is the
parser. The sink's filter, built from the list by ``modules/tables``, is evaluated against
audit LogEntries of every method.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatsync.domain.events import auditlog

from .conftest import AUDIT_EVENTS_JSON, Tables, load_json, until_landed
from .logging_query import matches

LISTED = load_json(AUDIT_EVENTS_JSON)
PARSER = {
    auditlog.ADMIN: (auditlog.ADMIN_METHOD, {*auditlog.GROUP_METHODS, *auditlog.USER_METHODS}),
    auditlog.CLOUD_IDENTITY: (auditlog.MEMBERSHIPS_METHOD, set(auditlog.MEMBERSHIP_METHODS)),
}


def _listed() -> dict[str, tuple[str, set[str]]]:
    return {s["service"]: (s["method_prefix"], set(s["methods"])) for s in LISTED["services"]}


def _entry(service: str, method: str) -> dict[str, Any]:
    """An audit LogEntry as the organization sink sees it (event-sources.md, section 2a)."""
    return {
        "logName": "organizations/123456789/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "audited_resource", "labels": {"service": service}},
        "protoPayload": {"serviceName": service, "methodName": method},
    }


def test_the_list_and_the_parser_name_the_same_services_and_prefixes() -> None:
    """Admin audit and Enterprise Groups audit, with the parser's method prefixes."""
    listed = _listed()
    assert set(listed) == set(PARSER)
    for service, (prefix, _) in PARSER.items():
        assert listed[service][0] == prefix, service


@pytest.mark.parametrize(
    "method", sorted(m for _, ms in PARSER.values() for m in ms), ids=lambda m: m
)
def test_every_method_the_parser_decodes_is_listed(method: str) -> None:
    """A method the parser handles but the sink drops would never arrive."""
    listed = {m for _, ms in _listed().values() for m in ms}
    assert method in listed


@pytest.mark.parametrize(
    "method",
    [
        until_landed(m, present=any(m in ms for _, ms in PARSER.values()))
        for m in sorted(m for _, ms in _listed().values() for m in ms)
    ],
)
def test_every_listed_method_is_decoded_by_the_parser(method: str) -> None:
    """A method the sink admits but the parser refuses would be dropped as unsupported."""
    assert any(method in ms for _, ms in PARSER.values())


@pytest.mark.parametrize(
    "method", ["archiveUser", "unarchiveUser", "changeUserCustomField", "changeUserRelation"]
)
def test_user_lifecycle_and_relation_changes_are_listed(method: str) -> None:
    """Archiving, custom schema fields and manager (relation) changes all reach chatsync."""
    assert method in _listed()[auditlog.ADMIN][1]


def test_the_sink_filter_admits_each_listed_method_and_refuses_others(tables: Tables) -> None:
    """Evaluated as Cloud Logging would: each listed method of its service passes; the same
    method under the other service, a neighbouring Admin event and a Data Access entry do not."""
    audit_filter = tables.outputs("admin")["workspace_audit_filter"]
    for service, (prefix, methods) in _listed().items():
        for method in methods:
            assert matches(audit_filter, _entry(service, prefix + method)), method
            other = next(s for s in PARSER if s != service)
            assert not matches(audit_filter, _entry(other, prefix + method)), method
    refused = [
        _entry(auditlog.ADMIN, auditlog.ADMIN_METHOD + "changePassword"),
        _entry(auditlog.ADMIN, auditlog.ADMIN_METHOD + "addGroupMemberX"),
        _entry(auditlog.CLOUD_IDENTITY, auditlog.MEMBERSHIPS_METHOD + "ListMemberships"),
    ]
    for entry in refused:
        assert not matches(audit_filter, entry), entry["protoPayload"]["methodName"]
    data_access = _entry(auditlog.ADMIN, auditlog.ADMIN_METHOD + "addGroupMember")
    data_access["logName"] = "organizations/1/logs/cloudaudit.googleapis.com%2Fdata_access"
    assert not matches(audit_filter, data_access)
