"""The organisation's signing key pair (Ed25519) that seals workbooks.

The private key is a PEM (PKCS #8) file readable by its owner only (0600), in the user's
data directory unless `--key FILE` or `XLBILLING_KEY_FILE` names another place; it is
never written into a workbook. Recipients get the public key (`xlbilling keys
export-public`) and can verify a sealed workbook with it alone. A key is known by its id:
the first 16 hex digits of the SHA-256 of its raw 32-byte public key.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from billing.atomic import publish_new
from billing.config import key_path
from billing.errors import BadFile


class SigningKey(NamedTuple):
    """The private key, its id and its file."""

    private: Ed25519PrivateKey
    key_id: str
    path: Path

    @property
    def public(self) -> Ed25519PublicKey:
        """The public key recipients verify with."""
        return self.private.public_key()


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), what `keys export-public` writes."""
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def init_key(path: str | os.PathLike | None = None) -> tuple[SigningKey, bool]:
    """The key pair at `path`, created (0600) if there is none yet; (key, created)."""
    target = key_path(path)
    if target.exists():
        return load_key(target), False
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        # the temporary file is 0600 from its first byte; never replaces a key another
        # process made meanwhile
        publish_new(target, lambda tmp: tmp.write_bytes(pem), mode=0o600)
    except FileExistsError:
        return load_key(target), False
    return SigningKey(private, key_id(private.public_key()), target), True


def load_key(path: str | os.PathLike | None = None) -> SigningKey:
    """The private key at `path`; BadFile if it is missing, unreadable, too open or not Ed25519."""
    target = key_path(path)
    try:
        mode = target.stat().st_mode
        data = target.read_bytes()
    except FileNotFoundError:
        raise BadFile(f"no signing key at {target}: create the organisation's key pair with "
                      f"`xlbilling keys init`") from None
    except OSError as exc:
        raise BadFile(f"cannot read the signing key {target}: {exc.strerror or exc}") from None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise BadFile(f"the signing key {target} is readable by others (mode {stat.S_IMODE(mode):o}); "
                      f"run: chmod 600 {target}")
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise BadFile(f"{target} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise BadFile(f"{target} is not an Ed25519 key")
    return SigningKey(private, key_id(private.public_key()), target)


def load_public(path: str | os.PathLike) -> Ed25519PublicKey:
    """A public key from a PEM file (`xlbilling keys export-public`); BadFile if unusable."""
    target = Path(path)
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise BadFile(f"cannot read the public key {target}: {exc.strerror or exc}") from None
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise BadFile(f"{target} is not a PEM public key ({' '.join(str(exc).split())[:120]})") from None
    if not isinstance(public, Ed25519PublicKey):
        raise BadFile(f"{target} is not an Ed25519 public key")
    return public


def trusted_keys(public_files: Sequence[str | os.PathLike] = (),
                 key: str | os.PathLike | None = None) -> tuple[Ed25519PublicKey, ...]:
    """The public keys seals are verified with: those of `public_files` (PEM, `keys
    export-public`), else the public key of the local signing key (`key`, else the default
    place); `BadFile` when a file is unusable or there is no signing key."""
    if public_files:
        return tuple(load_public(path) for path in public_files)
    return (load_key(key).public,)


def key_for(keys: Ed25519PublicKey | Sequence[Ed25519PublicKey], wanted: str) -> Ed25519PublicKey:
    """The key to check a record signed with key id `wanted` against: `keys` itself when it is
    one key; of several trusted keys the one with that id, else the first (whose id then
    differs from the record's, which is what verifying reports)."""
    if isinstance(keys, Ed25519PublicKey):
        return keys
    return next((k for k in keys if key_id(k) == wanted), keys[0])


def is_valid_signature(public: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is the Ed25519 signature of `data` by `public`'s private key."""
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
