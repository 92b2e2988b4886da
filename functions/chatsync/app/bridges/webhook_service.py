"""The webhook use case: verify, parse, fetch, map, announce -- or refuse, publishing nothing.

    step                                   refused with
    unknown vendor                         404 unknown_vendor
    ping (HiBob's connection check)        200, nothing published, no signature needed
    no signing key configured              503 not_configured    (our side: fix and let it retry)
    signature header missing               401 missing_signature
    signature does not verify              401 bad_signature
    body not a JSON object                 400 malformed_body   (checked after the signature)
    timestamp missing or unreadable        400 bad_timestamp
    timestamp outside the tolerance        401 stale_timestamp  (replays; either direction)
    event type the mapping rejects         422 unsupported_event
    no employee id in the payload          400 malformed_body
    vendor API failed                      502 vendor_unavailable (the vendor retries)
    record the mapping cannot read         422 unmappable_record (names the fact and path)

Everything is checked before anything is published; a request that fails half way through
several employees publishes only whole announcements, and the retry publishes the rest (see
``announcing``). A deleted employee is terminated from the last announced facts: the vendor can
no longer tell who it was.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatsync.app.bridges.announcing import Announcer
from chatsync.app.bridges.ports import Clock, RecordFetcher, SecretLookup, VendorUnavailable
from chatsync.domain.bridges import signatures
from chatsync.domain.bridges.hr_messages import Provenance
from chatsync.domain.bridges.snapshots import PersonFacts
from chatsync.domain.bridges.vendor_specs import (
    MappingProblem,
    VendorSpec,
    fact_values,
    value_at,
    values_at,
)


class WebhookRefused(Exception):
    """A request answered with an error status; nothing was published for it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Outcome:
    vendor: str
    event_type: str
    employees: tuple[str, ...]
    published: tuple[dict[str, Any], ...]


class WebhookService:
    def __init__(
        self,
        *,
        specs: Mapping[str, VendorSpec],
        secrets: SecretLookup,
        fetcher: RecordFetcher,
        announcer: Announcer,
        clock: Clock,
        tolerance: float = 300.0,
    ) -> None:
        self._specs = dict(specs)
        self._secrets = secrets
        self._fetcher = fetcher
        self._announcer = announcer
        self._clock = clock
        self._tolerance = tolerance

    @property
    def vendors(self) -> list[str]:
        return sorted(self._specs)

    def handle(self, vendor: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        spec = self._specs.get(vendor)
        if spec is None:
            raise WebhookRefused(
                404,
                "unknown_vendor",
                f"no mapping for {vendor!r} (known: {', '.join(self.vendors)})",
            )
        if body.strip() in spec.ping_bodies:
            return Outcome(vendor, "ping", (), ())
        header = _header(headers, spec.signature.header)
        if not header:
            raise WebhookRefused(401, "missing_signature", f"{spec.signature.header}: missing")
        key = self._secrets(spec.signature.key_env)
        if not key:
            raise WebhookRefused(
                503,
                "not_configured",
                f"{spec.signature.key_env} is not set: cannot verify {vendor}",
            )
        stamp_text = _header(headers, spec.timestamp.header) if spec.timestamp.header else None
        if not signatures.verify(
            spec.signature, key.encode(), header_value=header, body=body, timestamp=stamp_text
        ):
            raise WebhookRefused(401, "bad_signature", f"{spec.signature.header}: does not verify")
        payload = _parse(body)
        self._check_fresh(
            spec,
            stamp_text
            if spec.timestamp.header
            else value_at(payload, spec.timestamp.body_path or ""),
        )
        event_type = (
            str(value_at(payload, spec.event_type_path) or "") if spec.event_type_path else ""
        ) or spec.untyped_event
        action = spec.action(event_type)
        if action == "reject":
            raise WebhookRefused(
                422, "unsupported_event", f"{vendor} event {event_type!r} is not in {spec.origin}"
            )
        ids = _employee_ids(spec, payload)
        if action == "ignore":
            return Outcome(vendor, event_type, ids, ())
        if not ids:
            raise WebhookRefused(
                400, "malformed_body", f"no employee id at {', '.join(spec.employee_id_paths)}"
            )
        provenance = Provenance(
            system=spec.system,
            source_event_type=event_type,
            actor=f"{vendor}-webhook",
            occurred_at=self._occurred_at(spec, payload),
        )
        published: list[dict[str, Any]] = []
        facts_list = [
            self._facts(spec, employee_id, terminate=action == "terminate") for employee_id in ids
        ]
        for facts in facts_list:
            if facts is not None:
                published.extend(self._announcer.person(facts, provenance))
        return Outcome(vendor, event_type, ids, tuple(published))

    def _check_fresh(self, spec: VendorSpec, text: object) -> None:
        if text is None or text == "":
            raise WebhookRefused(400, "bad_timestamp", f"{_where(spec)}: missing")
        try:
            stamp = signatures.parse_timestamp(spec.timestamp, text)
        except ValueError as exc:
            raise WebhookRefused(400, "bad_timestamp", f"{_where(spec)}: {exc}") from None
        skew = abs(self._clock() - stamp)
        if skew > self._tolerance:
            raise WebhookRefused(
                401,
                "stale_timestamp",
                f"{_where(spec)}: {skew:.0f}s away from now (tolerance {self._tolerance:.0f}s)",
            )

    def _occurred_at(self, spec: VendorSpec, payload: Mapping[str, Any]) -> float | None:
        if not spec.occurred_at_path:
            return None
        text = value_at(payload, spec.occurred_at_path)
        fmt = type(spec.timestamp)(format="rfc3339", body_path=spec.occurred_at_path)
        try:
            return signatures.parse_timestamp(fmt, text) if text else None
        except ValueError:
            return None

    def _facts(self, spec: VendorSpec, employee_id: str, *, terminate: bool) -> PersonFacts | None:
        if terminate:
            last = self._announcer.last_facts(spec.system, employee_id)
            return last.with_status("terminated") if last is not None else None
        try:
            record = self._fetcher.fetch(spec.vendor, employee_id)
        except VendorUnavailable as exc:
            raise WebhookRefused(502, "vendor_unavailable", str(exc)) from None
        if record is None:
            # Gone at the vendor: the same as a delete.
            last = self._announcer.last_facts(spec.system, employee_id)
            return last.with_status("terminated") if last is not None else None
        try:
            values = dict(fact_values(spec, record))
            for needed in ("work_email", "employment_status"):
                if needed not in values:
                    raise MappingProblem(
                        f"person.{needed}: nothing at {spec.person[needed].path} in the record"
                    )
            values.setdefault("person_id", employee_id)
            values["person_id"] = str(values["person_id"])
            custom = {
                k.removeprefix("custom."): str(v)
                for k, v in values.items()
                if k.startswith("custom.")
            }
            known = {k: _fact(k, v) for k, v in values.items() if not k.startswith("custom.")}
            return PersonFacts(**known, custom=custom)
        except (MappingProblem, ValueError, TypeError) as exc:
            raise WebhookRefused(
                422, "unmappable_record", f"{spec.vendor} employee {employee_id}: {exc}"
            ) from None


def _fact(name: str, value: Any) -> Any:
    if name == "is_people_manager":
        if isinstance(value, str):
            return value.strip().casefold() in ("true", "yes", "1")
        return bool(value)
    return str(value)


def _where(spec: VendorSpec) -> str:
    return spec.timestamp.header or f"body {spec.timestamp.body_path}"


def _header(headers: Mapping[str, str], name: str | None) -> str | None:
    if name is None:
        return None
    wanted = name.casefold()
    for key, value in headers.items():
        if key.casefold() == wanted:
            return value
    return None


def _parse(body: bytes) -> Mapping[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRefused(400, "malformed_body", f"body: not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise WebhookRefused(400, "malformed_body", "body: expected a JSON object")
    return payload


def _employee_ids(spec: VendorSpec, payload: Mapping[str, Any]) -> tuple[str, ...]:
    ids: list[str] = []
    for path in spec.employee_id_paths:
        for value in values_at(payload, path):
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                ids.append(str(value))
    return tuple(dict.fromkeys(ids))
