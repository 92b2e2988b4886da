"""Webhook signatures and timestamps, exactly as each vendor documents them.

A ``SignatureSpec`` says which header holds the signature, the HMAC algorithm, how the digest
is written (hex or base64, with an optional prefix such as ``sha256=``) and what is signed: a
list of parts concatenated with no separator, ``body`` being the raw request bytes and
``timestamp`` the timestamp header's text. The two shipped vendors:

    BambooHR  X-BambooHR-Signature = hex(HMAC-SHA256(private key, body + X-BambooHR-Timestamp))
              (documentation.bamboohr.com/docs/webhooks, "Security": the PHP sample hashes the
              raw body followed by the timestamp; same in Nango's and Botpress' verifiers)
    HiBob     Bob-Signature = base64(HMAC-SHA512(secret, body))
              (apidocs.hibob.com/docs/working-with-webhooks, "Step 3: Authenticate your events")

Comparison is ``hmac.compare_digest`` on the decoded digest, so hex case and base64 padding
variants of the same bytes are equal, and nothing leaks through timing.

Pure: stdlib only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chatsync.domain.bridges.vendor_specs import SignatureSpec, TimestampSpec

_DIGESTS: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


def signed_message(spec: SignatureSpec, *, body: bytes, timestamp: str | None) -> bytes:
    parts = []
    for part in spec.message:
        if part == "body":
            parts.append(body)
        elif part == "timestamp":
            parts.append((timestamp or "").encode())
        else:
            parts.append(part.encode())
    return b"".join(parts)


def digest(spec: SignatureSpec, key: bytes, *, body: bytes, timestamp: str | None) -> bytes:
    message = signed_message(spec, body=body, timestamp=timestamp)
    return hmac.new(key, message, _DIGESTS[spec.algorithm]).digest()


def sign(spec: SignatureSpec, key: bytes, *, body: bytes, timestamp: str | None = None) -> str:
    """The header value the vendor would send (tests and the emulated vendors use it)."""
    raw = digest(spec, key, body=body, timestamp=timestamp)
    text = raw.hex() if spec.encoding == "hex" else base64.b64encode(raw).decode("ascii")
    return spec.prefix + text


def _decode(spec: SignatureSpec, value: str) -> bytes | None:
    text = value.strip()
    if spec.prefix:
        if not text.startswith(spec.prefix):
            return None
        text = text[len(spec.prefix) :]
    try:
        if spec.encoding == "hex":
            return bytes.fromhex(text)
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return None


def verify(
    spec: SignatureSpec, key: bytes, *, header_value: str, body: bytes, timestamp: str | None
) -> bool:
    given = _decode(spec, header_value)
    if given is None:
        return False
    return hmac.compare_digest(given, digest(spec, key, body=body, timestamp=timestamp))


def parse_timestamp(spec: TimestampSpec, text: object) -> float:
    """Seconds since the epoch; ``ValueError`` naming the expected format otherwise.

    ``rfc3339`` also takes ``+0000`` offsets (BambooHR's ``2026-01-31T18:42:00+0000``) and,
    with ``assume_utc``, no offset at all (HiBob's ``triggeredAt``, ``2025-01-08T13:06:26.9159``
    -- UNCONFIRMED that it is UTC; HiBob's examples show no zone, the strict reading is UTC).
    """
    if spec.format in ("unix", "unix_ms"):
        try:
            number = float(str(text).strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a {spec.format} timestamp") from None
        return number / 1000.0 if spec.format == "unix_ms" else number
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    cleaned = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        if not spec.assume_utc:
            raise ValueError(f"{text!r} has no UTC offset")
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
