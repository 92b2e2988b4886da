"""Signed HR webhooks: verified as each vendor documents, fetched, mapped, announced -- or
refused with nothing published.

BambooHR: ``X-BambooHR-Signature`` = hex HMAC-SHA256 of body + ``X-BambooHR-Timestamp``.
HiBob: ``Bob-Signature`` = base64 HMAC-SHA512 of the body; freshness from ``triggeredAt``.
The vendors' APIs are emulated on 127.0.0.1 (``vendor_api``) and read over real HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.hr_sources.conftest import BAMBOO_KEY, HIBOB_KEY, Clock, VendorApi, decode
from werkzeug.test import Client

pytestmark = pytest.mark.hr_sources

ANA_BAMBOO = {
    "id": "1042",
    "workEmail": "ana.silva@example.com",
    "status": "Active",
    "employeeNumber": "E1042",
    "jobTitle": "Software Engineer",
    "department": "Platform",
    "division": "Engineering",
    "location": "Lisbon",
    "supervisorEId": "877",
    "supervisorEmail": "raj.mehta@example.com",
    "hireDate": "2026-11-02",
    "terminationDate": None,
}
ANA_HIBOB = {
    "id": "3332883854254932743",
    "email": "ana.silva@example.com",
    "work": {
        "title": "Software Engineer",
        "department": "Platform",
        "site": "Lisbon",
        "employeeIdInCompany": 1042,
        "reportsTo": {"id": "3332883804594373380", "email": "raj.mehta@example.com"},
    },
    "internal": {"lifecycleStatus": "Employed"},
}


@pytest.fixture
def webhooks(vendor_api: VendorApi, publisher: Any, bridge_store: Any, clock: Clock) -> Client:
    from chatsync import bridge_runtime as wiring
    from chatsync.app.bridges.settings import BridgeSettings
    from chatsync.app.logs import Logger

    app = wiring.webhook_app(
        BridgeSettings(store="memory", tolerance=300.0),
        bridge_store=bridge_store,
        sink=publisher,
        clock=clock,
        log=Logger(stream=io.StringIO()),
    )
    vendor_api.records["bamboo:1042"] = dict(ANA_BAMBOO)
    vendor_api.records["hibob:3332883854254932743"] = json.loads(json.dumps(ANA_HIBOB))
    return Client(app.wsgi)


def bamboo_request(
    event_type: str, employee_id: str, *, now: float, key: str = BAMBOO_KEY
) -> tuple[bytes, dict[str, str]]:
    """An event-based BambooHR delivery, signed the documented way."""
    body = json.dumps(
        {
            "type": event_type,
            "timestamp": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "data": {"companyId": "12345", "employeeId": employee_id, "changedFields": ["status"]},
        }
    ).encode()
    stamp = str(int(now))
    signature = hmac.new(key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    return body, {
        "X-BambooHR-Signature": signature,
        "X-BambooHR-Timestamp": stamp,
        "Content-Type": "application/json",
        "User-Agent": "BambooHR-WebHooks/1.0 (+https://www.bamboohr.com)",
    }


def hibob_request(
    event_type: str, employee_id: str, *, now: float, key: str = HIBOB_KEY
) -> tuple[bytes, dict[str, str]]:
    """A HiBob v2 delivery, signed the documented way."""
    body = json.dumps(
        {
            "companyId": 636192,
            "type": event_type,
            "triggeredBy": "3332883804594373380",
            "triggeredAt": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "version": "v2",
            "data": {"employeeId": employee_id},
        }
    ).encode()
    digest = hmac.new(key.encode(), body, hashlib.sha512).digest()
    return body, {
        "Bob-Signature": base64.b64encode(digest).decode(),
        "Content-Type": "application/json",
    }


def test_bamboohr_signed_event_is_fetched_mapped_and_published(
    webhooks: Client, vendor_api: VendorApi, publisher: Any, clock: Clock
) -> None:
    """employee.created: the record is read from the vendor API (Basic auth with the API key)
    and published as person.hired; the duplicate employee.updated BambooHR sends right after
    publishes nothing."""
    body, headers = bamboo_request("employee.created", "1042", now=clock())
    answer = webhooks.post("/webhooks/bamboohr", data=body, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["published"] == 1
    method, path, auth = vendor_api.calls[-1]
    assert (method, path) == ("GET", "/bamboo/v1/employees/1042/")
    assert base64.b64decode(auth.removeprefix("Basic ")) == b"bamboo-api-key:x"
    (event,) = publisher.events
    assert event["event_type"] == "person.hired"
    assert event["source"] == {"system": "bamboohr", "event_type": "employee.created"}
    person = decode(event).person
    assert (person.email, person.department, person.manager_email) == (
        "ana.silva@example.com",
        "Platform",
        "raj.mehta@example.com",
    )
    body, headers = bamboo_request("employee.updated", "1042", now=clock())
    assert webhooks.post("/webhooks/bamboohr", data=body, headers=headers).status_code == 200
    assert len(publisher.events) == 1


def test_bamboohr_status_inactive_is_a_termination(
    webhooks: Client, vendor_api: VendorApi, publisher: Any, clock: Clock
) -> None:
    """The mapping file maps status Inactive to terminated: hire, then termination."""
    body, headers = bamboo_request("employee.created", "1042", now=clock())
    webhooks.post("/webhooks/bamboohr", data=body, headers=headers)
    vendor_api.records["bamboo:1042"]["status"] = "Inactive"
    clock.advance(60)
    body, headers = bamboo_request("employee.updated", "1042", now=clock())
    assert webhooks.post("/webhooks/bamboohr", data=body, headers=headers).status_code == 200
    assert publisher.types() == ["person.hired", "person.terminated"]
    assert decode(publisher.events[-1]).meta.sequence == 2


def test_hibob_signed_event_is_fetched_mapped_and_published(
    webhooks: Client, vendor_api: VendorApi, publisher: Any, clock: Clock
) -> None:
    """HiBob v2: POST /v1/people/{id} with the field list, human-readable values mapped
    (Employed -> active, nested work.* paths), then a department change is a transfer."""
    body, headers = hibob_request("employee.created", "3332883854254932743", now=clock())
    answer = webhooks.post("/webhooks/hibob", data=body, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert vendor_api.calls[-1][:2] == ("POST", "/hibob/v1/people/3332883854254932743")
    vendor_api.records["hibob:3332883854254932743"]["work"]["department"] = "Data"
    body, headers = hibob_request("employee.updated", "3332883854254932743", now=clock())
    assert webhooks.post("/webhooks/hibob", data=body, headers=headers).status_code == 200
    assert publisher.types() == ["person.hired", "person.transferred"]
    hired = decode(publisher.events[0])
    assert hired.person.email == "ana.silva@example.com"
    assert publisher.events[0]["subject"]["employee_number"] == "1042"
    assert decode(publisher.events[1]).person.department == "Data"


@pytest.mark.parametrize("vendor", ["bamboohr", "hibob"])
def test_bad_signature_is_refused_and_nothing_published(
    webhooks: Client, vendor_api: VendorApi, publisher: Any, clock: Clock, vendor: str
) -> None:
    """Signed with the wrong key, or tampered after signing: 401 bad_signature, no vendor
    read, nothing published."""
    make = bamboo_request if vendor == "bamboohr" else hibob_request
    employee = "1042" if vendor == "bamboohr" else "3332883854254932743"
    body, headers = make("employee.created", employee, now=clock(), key="not-the-key")
    wrong_key = webhooks.post(f"/webhooks/{vendor}", data=body, headers=headers)
    body, headers = make("employee.created", employee, now=clock())
    tampered = webhooks.post(
        f"/webhooks/{vendor}",
        data=body.replace(b"employee.created", b"employee.updated"),
        headers=headers,
    )
    for answer in (wrong_key, tampered):
        assert answer.status_code == 401
        assert answer.get_json()["error"]["code"] == "bad_signature"
    missing = webhooks.post(
        f"/webhooks/{vendor}", data=body, headers={"Content-Type": "application/json"}
    )
    assert missing.status_code == 401
    assert missing.get_json()["error"]["code"] == "missing_signature"
    assert vendor_api.calls == []
    assert publisher.events == []


@pytest.mark.parametrize("vendor", ["bamboohr", "hibob"])
@pytest.mark.parametrize("skew", [-301.0, 3600.0], ids=["future", "old"])
def test_stale_timestamp_is_refused(
    webhooks: Client,
    *,
    vendor_api: VendorApi,
    publisher: Any,
    clock: Clock,
    vendor: str,
    skew: float,
) -> None:
    """A correctly signed delivery whose timestamp is outside the tolerance (300 s, either
    way) is a replay: 401 stale_timestamp, nothing published."""
    make = bamboo_request if vendor == "bamboohr" else hibob_request
    employee = "1042" if vendor == "bamboohr" else "3332883854254932743"
    body, headers = make("employee.created", employee, now=clock() - skew)
    answer = webhooks.post(f"/webhooks/{vendor}", data=body, headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "stale_timestamp"
    assert publisher.events == []
    assert vendor_api.calls == []


@pytest.mark.parametrize("vendor", ["bamboohr", "hibob"])
def test_malformed_signed_body_is_400(
    webhooks: Client, publisher: Any, clock: Clock, vendor: str
) -> None:
    """A body that verifies but is not a JSON object is 400 malformed_body, nothing published."""
    body = b"[not json"
    if vendor == "bamboohr":
        stamp = str(int(clock()))
        sig = hmac.new(BAMBOO_KEY.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
        headers = {"X-BambooHR-Signature": sig, "X-BambooHR-Timestamp": stamp}
    else:
        sig = base64.b64encode(hmac.new(HIBOB_KEY.encode(), body, hashlib.sha512).digest()).decode()
        headers = {"Bob-Signature": sig}
    answer = webhooks.post(f"/webhooks/{vendor}", data=body, headers=headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "malformed_body"
    assert publisher.events == []


def test_hibob_ping_is_accepted_without_publishing(webhooks: Client, publisher: Any) -> None:
    """Bob's connection check ("Ping test", unsigned) gets a 200 so the webhook can be saved."""
    answer = webhooks.post("/webhooks/hibob", data=b"Ping test")
    assert answer.status_code == 200
    assert answer.get_json()["event_type"] == "ping"
    assert publisher.events == []


def test_deleted_employee_is_terminated_from_the_last_snapshot(
    webhooks: Client, vendor_api: VendorApi, publisher: Any, clock: Clock
) -> None:
    """employee.deleted carries only an id and the record is gone: the last announced facts
    are announced once more as terminated."""
    body, headers = bamboo_request("employee.created", "1042", now=clock())
    webhooks.post("/webhooks/bamboohr", data=body, headers=headers)
    del vendor_api.records["bamboo:1042"]
    calls = len(vendor_api.calls)
    body, headers = bamboo_request("employee.deleted", "1042", now=clock())
    assert webhooks.post("/webhooks/bamboohr", data=body, headers=headers).status_code == 200
    assert len(vendor_api.calls) == calls
    assert publisher.types() == ["person.hired", "person.terminated"]
    assert decode(publisher.events[-1]).person.email == "ana.silva@example.com"


def test_unmapped_status_is_422_naming_the_field(
    webhooks: Client, vendor_api: VendorApi, publisher: Any, clock: Clock
) -> None:
    """A vendor value the mapping does not know is refused (not guessed), naming fact, path
    and file, so it can be added to the mapping."""
    vendor_api.records["bamboo:1042"]["status"] = "Sabbatical"
    body, headers = bamboo_request("employee.created", "1042", now=clock())
    answer = webhooks.post("/webhooks/bamboohr", data=body, headers=headers)
    assert answer.status_code == 422
    message = answer.get_json()["error"]["message"]
    assert "person.employment_status" in message and "bamboohr.yaml" in message
    assert publisher.events == []


THIRD_VENDOR = """\
vendor: acmehr
system: acmehr
signature: {header: X-Acme-Signature, algorithm: sha256, encoding: hex, prefix: "sha256=",
            message: [timestamp, ".", body], key_env: ACME_KEY}
timestamp: {header: X-Acme-Timestamp, format: unix_ms}
payload: {event_type_path: event, employee_id_paths: ["people[*].id"]}
events: {fetch: [person.changed], default: ignore}
fetch: {url: "{api}/people/{id}", api_env: ACME_API, auth: {type: basic, username_env: ACME_USER}}
person:
  work_email: contact.email
  title: role
  employment_status: {path: state, map: {working: active, gone: terminated}}
"""


def test_a_third_vendor_needs_a_mapping_file_not_code(
    tmp_path: Path,
    *,
    vendor_api: VendorApi,
    publisher: Any,
    bridge_store: Any,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mapping in CHATSYNC_WEBHOOK_VENDORS_DIR with another signature scheme (prefixed hex
    over "timestamp.body", millisecond timestamps) and other record paths just works."""
    from chatsync import bridge_runtime as wiring
    from chatsync.app.bridges.settings import BridgeSettings
    from chatsync.app.logs import Logger

    (tmp_path / "acmehr.yaml").write_text(THIRD_VENDOR, encoding="utf-8")
    monkeypatch.setenv("ACME_KEY", "acme-key")
    monkeypatch.setenv("ACME_API", f"{vendor_api.url}/acme")
    monkeypatch.setenv("ACME_USER", "acme-user")
    vendor_api.records["acme:77"] = {
        "contact": {"email": "li.wei@example.com"},
        "role": "Analyst",
        "state": "working",
    }
    app = wiring.webhook_app(
        BridgeSettings(store="memory", vendors_dir=str(tmp_path)),
        bridge_store=bridge_store,
        sink=publisher,
        clock=clock,
        log=Logger(stream=io.StringIO()),
    )
    body = json.dumps({"event": "person.changed", "people": [{"id": 77}]}).encode()
    stamp = str(int(clock() * 1000))
    signature = (
        "sha256=" + hmac.new(b"acme-key", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    answer = Client(app.wsgi).post(
        "/webhooks/acmehr",
        data=body,
        headers={"X-Acme-Signature": signature, "X-Acme-Timestamp": stamp},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (event,) = publisher.events
    assert event["source"]["system"] == "acmehr"
    assert decode(event).person.title == "Analyst"
    assert Client(app.wsgi).post("/webhooks/bamboohr", data=b"{}").status_code == 404


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("algorithm: sha256", "algorithm: md5"),
            "acmehr.yaml: signature.algorithm: 'md5' is not one of sha1, sha256, sha512",
        ),
        (
            lambda t: t.replace("  work_email: contact.email\n", ""),
            "acmehr.yaml: person.work_email: missing (every event needs it)",
        ),
        (
            lambda t: t.replace("  title: role", "  titel: role"),
            "acmehr.yaml: person.titel: unknown fact",
        ),
    ],
    ids=["algorithm", "work-email", "typo"],
)
def test_mapping_file_errors_name_the_field(tmp_path: Path, edit: Any, message: str) -> None:
    """A broken mapping fails to load with file, field and problem -- at startup, not on the
    first webhook."""
    from chatsync.adapters.bridges import vendor_files
    from chatsync.domain.bridges.vendor_specs import SpecError

    path = tmp_path / "acmehr.yaml"
    path.write_text(edit(THIRD_VENDOR), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        vendor_files.load_file(path)
    assert str(caught.value).startswith(message)


def test_shipped_mappings_load() -> None:
    """The packaged BambooHR and HiBob mapping files validate."""
    from chatsync.adapters.bridges import vendor_files

    specs = vendor_files.load_dir()
    assert sorted(specs) == ["bamboohr", "hibob"]
    assert specs["bamboohr"].signature.message == ("body", "timestamp")
    assert specs["hibob"].signature.algorithm == "sha512"
