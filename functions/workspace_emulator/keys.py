"""Signing keys the emulator holds for service accounts, and RS256 JWTs made and checked with them.

One RSA key per account, made on first use with the ``cryptography`` package google-auth
already depends on, kept for the emulator's lifetime (a reset does not rotate keys, so a key
file handed out earlier keeps working). The same key signs ``signBlob``/``signJwt`` answers and
is the private key of the key file :meth:`KeyRing.key_file` hands out; the token endpoint checks
assertions against it. Real Google keeps several keys per account (system-managed for IAM
signing, user-managed for key files) and accepts any of them; one key is enough to be strict
about signatures.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_BITS = 2048


class BadJwt(ValueError):
    """A JWT that is not three base64url parts of JSON, JSON, signature."""


@dataclass(frozen=True, slots=True)
class Jwt:
    """A decoded, not yet verified JWT."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signed: bytes  # the ``header.payload`` bytes the signature covers
    signature: bytes


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs write it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Inverse of :func:`b64url` (padding optional)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode(token: str) -> Jwt:
    """Split and parse a compact JWT, or raise :class:`BadJwt`."""
    parts = token.split(".")
    if len(parts) != 3:
        msg = "a JWT has three dot-separated parts"
        raise BadJwt(msg)
    try:
        header = json.loads(unb64url(parts[0]))
        claims = json.loads(unb64url(parts[1]))
        signature = unb64url(parts[2])
    except ValueError as exc:
        raise BadJwt(f"not base64url JSON: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        msg = "header and claims must be JSON objects"
        raise BadJwt(msg)
    return Jwt(header, claims, f"{parts[0]}.{parts[1]}".encode(), signature)


class KeyRing:
    """One RSA key per service account email, made on demand; thread-safe."""

    def __init__(self) -> None:
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self._lock = threading.Lock()

    def _key(self, email: str) -> rsa.RSAPrivateKey:
        with self._lock:
            key = self._keys.get(email.lower())
            if key is None:
                key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
                self._keys[email.lower()] = key
            return key

    def key_id(self, email: str) -> str:
        """The key's id (``kid``, ``private_key_id``): a hash of its public key."""
        public = (
            self._key(email)
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return hashlib.sha1(public).hexdigest()

    def sign(self, email: str, data: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256 (RS256), as IAM signBlob signs."""
        return self._key(email).sign(data, padding.PKCS1v15(), hashes.SHA256())

    def verify(self, email: str, data: bytes, signature: bytes) -> bool:
        """Whether *signature* over *data* was made with *email*'s key."""
        try:
            self._key(email).public_key().verify(
                signature, data, padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return False
        return True

    def sign_jwt(self, email: str, claims: dict[str, Any]) -> str:
        """A compact RS256 JWT of *claims* with ``kid``, as IAM signJwt answers."""
        header = {"alg": "RS256", "typ": "JWT", "kid": self.key_id(email)}
        signed = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        return f"{signed}.{b64url(self.sign(email, signed.encode()))}"

    def private_pem(self, email: str) -> str:
        """The private key as PKCS#8 PEM (what a downloaded key file carries)."""
        return (
            self._key(email)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
