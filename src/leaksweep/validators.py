"""Built-in structural validators that rules name with ``validate: NAME``.

A validator receives the secret and says whether it has the structure the format promises
(a checksum that adds up, a header that decodes). Rules stay data: no code lives in YAML.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b64decode(text: str, urlsafe: bool = False) -> bytes | None:
    padded = text + "=" * (-len(text) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def crc32_base62_suffix(secret: str, width: int = 6) -> bool:
    """Token = PREFIX_ + body + base62(crc32(body)) padded to ``width``.

    GitHub's token families (ghp_, gho_, ghu_, ghs_, ghr_) and npm's ``npm_`` tokens use this.
    """
    _, sep, rest = secret.partition("_")
    if not sep or len(rest) <= width:
        return False
    body, check = rest[:-width], rest[-width:]
    return base62(zlib.crc32(body.encode()), width) == check


def jwt(secret: str) -> bool:
    """Three dot-separated base64url parts whose header is a JSON object naming ``alg``."""
    parts = secret.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return False
    header = _b64decode(parts[0], urlsafe=True)
    payload = _b64decode(parts[1], urlsafe=True)
    if header is None or payload is None:
        return False
    try:
        import json  # only for a JWT-shaped candidate

        head = json.loads(header)
        body = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(head, dict) and "alg" in head and isinstance(body, dict)


def pem_body(secret: str) -> bool:
    """A PEM block whose body is base64 that decodes to at least 64 bytes.

    Placeholders such as ``-----BEGIN RSA PRIVATE KEY-----\\n...\\n-----END`` fail here.
    """
    lines = [ln.strip() for ln in secret.replace("\\n", "\n").splitlines()]
    body = "".join(ln for ln in lines if ln and not ln.startswith("-----") and ":" not in ln)
    if len(body) < 64:
        return False
    return _b64decode(body) is not None or _b64decode(body, urlsafe=True) is not None


BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(secret: str) -> bool:
    """Base58 with a 4-byte double-SHA-256 checksum (Bitcoin WIF keys, addresses, xprv keys)."""
    number = 0
    for char in secret:
        digit = BASE58.find(char)
        if digit < 0:
            return False
        number = number * 58 + digit
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(secret) - len(secret.lstrip("1"))) + raw
    if len(raw) < 5:
        return False
    payload, check = raw[:-4], raw[-4:]
    import hashlib  # only when a candidate is checked: OpenSSL costs the hook to load

    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == check


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "base58check": base58check,
    "github-checksum": crc32_base62_suffix,
    "jwt": jwt,
    "pem-body": pem_body,
}
