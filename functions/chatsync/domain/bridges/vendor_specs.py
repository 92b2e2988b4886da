"""Vendor mapping files (``adapters/bridges/vendors/<vendor>.yaml``) as typed, validated specs.

A mapping file says everything the webhook bridge needs to know about one HR vendor, so a
third vendor is a new file, not new code:

    vendor: bamboohr                 # the URL segment: POST /webhooks/bamboohr
    system: bamboohr                 # source.system of the events
    signature: {header, algorithm (sha1|sha256|sha512), encoding (hex|base64), prefix,
                message: [body | timestamp | "<literal>"...], key_env}
    timestamp: {header | body_path, format (unix|unix_ms|rfc3339), assume_utc}
    payload:   {event_type_path, untyped_event, employee_id_paths: [...], ping_bodies: [...]}
    events:    {fetch: [...], terminate: [...], ignore: [...], default: fetch|ignore|reject}
    fetch:     {method, url ("{api}" and "{id}" placeholders), api_env, api_default,
                auth {type: basic|bearer|none, username_env, password, password_env, token_env},
                headers {...}, body (JSON; "{id}" substituted), record_path}
    person:    {<dirsync.hr.v1 fact>: <path> | {path, map {vendor value: ours}, default}}

Paths are dotted (``data.employeeId``, ``work.reportsTo.email``); ``[*]`` walks a list
(``employees[*].id``). Map keys compare case-insensitively. Every problem names the file and the
field (``bamboohr.yaml: signature.algorithm: 'md5' is not one of sha1, sha256, sha512``).

Why it is long: every section of the mapping format is validated field by field so that each
error names its field; it is one grammar, read in one place.

Pure: stdlib only; reading the YAML is ``vendor_files``' job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
TIMESTAMP_FORMATS = ("unix", "unix_ms", "rfc3339")
AUTH_TYPES = ("basic", "bearer", "none")
DEFAULT_ACTIONS = ("fetch", "ignore", "reject")
FACTS = (
    "person_id",
    "work_email",
    "employment_status",
    "employee_number",
    "title",
    "job_level",
    "department",
    "division",
    "cost_center",
    "location",
    "org_unit_path",
    "start_date",
    "end_date",
    "is_people_manager",
    "manager_person_id",
    "manager_email",
)
"""What a ``person`` block may map; ``custom.<key>`` entries are allowed too."""


class SpecError(ValueError):
    """A mapping file that does not validate: ``file: field: problem``."""

    def __init__(self, origin: str, path: str, problem: str) -> None:
        super().__init__(f"{origin}: {path}: {problem}")
        self.origin = origin
        self.path = path
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SignatureSpec:
    header: str
    algorithm: str
    encoding: str
    message: tuple[str, ...]
    key_env: str
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class TimestampSpec:
    format: str
    header: str | None = None
    body_path: str | None = None
    assume_utc: bool = True


@dataclass(frozen=True, slots=True)
class FieldSpec:
    path: str
    mapping: Mapping[str, Any] = field(default_factory=dict)
    default: Any = None


@dataclass(frozen=True, slots=True)
class FetchSpec:
    url: str
    method: str = "GET"
    api_env: str | None = None
    api_default: str | None = None
    auth_type: str = "none"
    username_env: str | None = None
    password: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    record_path: str = ""


@dataclass(frozen=True, slots=True)
class VendorSpec:
    vendor: str
    system: str
    origin: str
    signature: SignatureSpec
    timestamp: TimestampSpec
    event_type_path: str | None
    untyped_event: str
    employee_id_paths: tuple[str, ...]
    fetch_events: frozenset[str]
    terminate_events: frozenset[str]
    ignore_events: frozenset[str]
    default_action: str
    fetch: FetchSpec
    person: Mapping[str, FieldSpec]
    ping_bodies: tuple[bytes, ...] = ()
    occurred_at_path: str | None = None
    docs: tuple[str, ...] = ()

    def action(self, event_type: str) -> str:
        """``fetch``, ``terminate``, ``ignore`` or ``reject`` for a vendor event type."""
        if event_type in self.terminate_events:
            return "terminate"
        if event_type in self.fetch_events:
            return "fetch"
        if event_type in self.ignore_events:
            return "ignore"
        return self.default_action


# -- reading paths --------------------------------------------------------------------------------
def values_at(doc: object, path: str) -> list[Any]:
    """Every value at *path* (``a.b``, ``list[*].c``); empty when any step is missing."""
    current: list[Any] = [doc]
    for step in path.split(".") if path else []:
        walk = step.endswith("[*]")
        name = step[:-3] if walk else step
        following: list[Any] = []
        for item in current:
            if not isinstance(item, Mapping) or name not in item:
                continue
            value = item[name]
            if walk:
                following.extend(value if isinstance(value, list) else [])
            else:
                following.append(value)
        current = following
    return [v for v in current if v is not None]


def value_at(doc: object, path: str) -> Any:
    found = values_at(doc, path)
    return found[0] if found else None


# -- parsing --------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, path: str, problem: str) -> SpecError:
        return SpecError(self.origin, path, problem)

    def mapping(
        self, doc: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> Mapping[str, Any]:
        value = doc.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(_join(path, key), "missing" if value is None else "expected a mapping")
        return value

    def text(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        value = doc.get(key, default)
        if value is None:
            if required:
                raise self.fail(_join(path, key), "missing")
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.fail(_join(path, key), f"expected text, got {type(value).__name__}")
        return str(value)

    def choice(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        choices: Sequence[str],
        *,
        default: str | None = None,
    ) -> str:
        value = self.text(doc, key, path, required=default is None, default=default)
        if value not in choices:
            raise self.fail(_join(path, key), f"{value!r} is not one of {', '.join(choices)}")
        return str(value)

    def texts(self, doc: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = doc.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(_join(path, key), "expected a list of text")
        return tuple(value)

    def known(self, doc: Mapping[str, Any], path: str, keys: Sequence[str]) -> None:
        for key in doc:
            if key not in keys:
                raise self.fail(_join(path, str(key)), f"unknown key (known: {', '.join(keys)})")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse(doc: object, *, origin: str) -> VendorSpec:
    """A ``VendorSpec`` from a parsed mapping file, or ``SpecError`` naming the field."""
    r = _Reader(origin)
    if not isinstance(doc, Mapping):
        raise r.fail("(top)", "expected a mapping")
    r.known(
        doc,
        "",
        (
            "vendor",
            "system",
            "docs",
            "signature",
            "timestamp",
            "payload",
            "events",
            "fetch",
            "person",
        ),
    )
    vendor = r.text(doc, "vendor", "")
    assert vendor is not None
    if not vendor.replace("-", "").replace("_", "").isalnum():
        raise r.fail("vendor", f"{vendor!r} must be letters, digits, - or _ (it is a URL segment)")

    sig = r.mapping(doc, "signature", "")
    r.known(sig, "signature", ("header", "algorithm", "encoding", "message", "key_env", "prefix"))
    message = r.texts(sig, "message", "signature") or ("body",)
    signature = SignatureSpec(
        header=str(r.text(sig, "header", "signature")),
        algorithm=r.choice(sig, "algorithm", "signature", ALGORITHMS),
        encoding=r.choice(sig, "encoding", "signature", ENCODINGS),
        message=message,
        key_env=str(r.text(sig, "key_env", "signature")),
        prefix=str(r.text(sig, "prefix", "signature", required=False, default="")),
    )

    ts = r.mapping(doc, "timestamp", "")
    r.known(ts, "timestamp", ("header", "body_path", "format", "assume_utc"))
    timestamp = TimestampSpec(
        format=r.choice(ts, "format", "timestamp", TIMESTAMP_FORMATS),
        header=r.text(ts, "header", "timestamp", required=False),
        body_path=r.text(ts, "body_path", "timestamp", required=False),
        assume_utc=bool(ts.get("assume_utc", True)),
    )
    if (timestamp.header is None) == (timestamp.body_path is None):
        raise r.fail("timestamp", "give exactly one of header and body_path")
    if "timestamp" in message and timestamp.header is None:
        raise r.fail("signature.message", "signs the timestamp, but timestamp has no header")

    payload = r.mapping(doc, "payload", "")
    r.known(
        payload,
        "payload",
        (
            "event_type_path",
            "untyped_event",
            "employee_id_paths",
            "ping_bodies",
            "occurred_at_path",
        ),
    )
    ids = r.texts(payload, "employee_id_paths", "payload")
    if not ids:
        raise r.fail("payload.employee_id_paths", "missing (where the employee ids are)")

    events = r.mapping(doc, "events", "")
    r.known(events, "events", ("fetch", "terminate", "ignore", "default"))

    fetch_doc = r.mapping(doc, "fetch", "")
    r.known(
        fetch_doc,
        "fetch",
        ("url", "method", "api_env", "api_default", "auth", "headers", "body", "record_path"),
    )
    auth = r.mapping(fetch_doc, "auth", "fetch", required=False)
    r.known(auth, "fetch.auth", ("type", "username_env", "password", "password_env", "token_env"))
    headers = r.mapping(fetch_doc, "headers", "fetch", required=False)
    fetch = FetchSpec(
        url=str(r.text(fetch_doc, "url", "fetch")),
        method=r.choice(fetch_doc, "method", "fetch", ("GET", "POST"), default="GET"),
        api_env=r.text(fetch_doc, "api_env", "fetch", required=False),
        api_default=r.text(fetch_doc, "api_default", "fetch", required=False),
        auth_type=r.choice(auth, "type", "fetch.auth", AUTH_TYPES, default="none"),
        username_env=r.text(auth, "username_env", "fetch.auth", required=False),
        password=r.text(auth, "password", "fetch.auth", required=False),
        password_env=r.text(auth, "password_env", "fetch.auth", required=False),
        token_env=r.text(auth, "token_env", "fetch.auth", required=False),
        headers={str(k): str(v) for k, v in headers.items()},
        body=fetch_doc.get("body"),
        record_path=str(r.text(fetch_doc, "record_path", "fetch", required=False, default="")),
    )
    if "{api}" in fetch.url and fetch.api_env is None and fetch.api_default is None:
        raise r.fail(
            "fetch.url", "uses {api} but neither fetch.api_env nor fetch.api_default is set"
        )
    if fetch.auth_type == "basic" and fetch.username_env is None:
        raise r.fail("fetch.auth.username_env", "missing (basic auth needs a username)")
    if fetch.auth_type == "bearer" and fetch.token_env is None:
        raise r.fail("fetch.auth.token_env", "missing (bearer auth needs a token)")

    person = _person(r, r.mapping(doc, "person", ""))
    for needed in ("work_email", "employment_status"):
        if needed not in person:
            raise r.fail(f"person.{needed}", "missing (every event needs it)")

    return VendorSpec(
        vendor=vendor,
        system=str(r.text(doc, "system", "", required=False, default=vendor)),
        origin=origin,
        signature=signature,
        timestamp=timestamp,
        event_type_path=r.text(payload, "event_type_path", "payload", required=False),
        untyped_event=str(
            r.text(payload, "untyped_event", "payload", required=False, default="untyped")
        ),
        employee_id_paths=ids,
        fetch_events=frozenset(r.texts(events, "fetch", "events")),
        terminate_events=frozenset(r.texts(events, "terminate", "events")),
        ignore_events=frozenset(r.texts(events, "ignore", "events")),
        default_action=r.choice(events, "default", "events", DEFAULT_ACTIONS, default="reject"),
        fetch=fetch,
        person=person,
        ping_bodies=tuple(b.encode() for b in r.texts(payload, "ping_bodies", "payload")),
        occurred_at_path=r.text(payload, "occurred_at_path", "payload", required=False),
        docs=r.texts(doc, "docs", ""),
    )


def _person(r: _Reader, doc: Mapping[str, Any]) -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for name, raw in doc.items():
        path = f"person.{name}"
        if name not in FACTS and not str(name).startswith("custom."):
            raise r.fail(path, f"unknown fact (known: {', '.join(FACTS)}, custom.<key>)")
        if isinstance(raw, str):
            out[name] = FieldSpec(raw)
            continue
        if not isinstance(raw, Mapping):
            raise r.fail(path, "expected a path or {path, map, default}")
        r.known(raw, path, ("path", "map", "default"))
        mapping = raw.get("map") or {}
        if not isinstance(mapping, Mapping):
            raise r.fail(f"{path}.map", "expected a mapping of vendor value: our value")
        out[name] = FieldSpec(
            path=str(r.text(raw, "path", path)),
            mapping={str(k).casefold(): v for k, v in mapping.items()},
            default=raw.get("default"),
        )
    return out


# -- applying -------------------------------------------------------------------------------------
class MappingProblem(ValueError):
    """A vendor record the mapping cannot turn into a person; names the fact and the path."""


def fact_values(spec: VendorSpec, record: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(fact, value) for every mapped fact the record has, values mapped and defaulted."""
    for name, field_spec in spec.person.items():
        value = value_at(record, field_spec.path)
        if isinstance(value, Mapping) and "value" in value and len(value) <= 2:
            value = value["value"]  # {"value": x} wrappers some APIs use for display fields
        if value is not None and field_spec.mapping:
            key = str(value).casefold()
            if key not in field_spec.mapping:
                if field_spec.default is None:
                    raise MappingProblem(
                        f"person.{name}: {value!r} at {field_spec.path} is not in the map "
                        f"({', '.join(sorted(field_spec.mapping))}); add it to {spec.origin}"
                    )
                value = field_spec.default
            else:
                value = field_spec.mapping[key]
        if value is None or value == "":
            value = field_spec.default
        if value is not None:
            yield name, value
