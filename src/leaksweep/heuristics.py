"""Named false-positive heuristics that rules opt into with ``filters: [NAME, ...]``.

Generic rules (a secret-looking value assigned to a secret-looking name) see far more
placeholders, references, hashes and ciphertext than real secrets. Each heuristic gets the
candidate secret, the whole regex match and the line, and returns why it is *not* a secret, or
None. They are code, not YAML, so they can be tested and listed (``docs/rules.md``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from leaksweep.lazyre import lazy

_PLACEHOLDER_WORDS = (
    "your_",
    "your-",
    "yourapi",
    "yourkey",
    "yoursecret",
    "yourtoken",
    "yourpass",
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "redacted",
    "replace_me",
    "replaceme",
    "replace-me",
    "insert_",
    "insert-",
    "fixme",
    "todo",
    "fake",
    "not_a_real",
    "notareal",
    "notreal",
    "secret_here",
    "key_here",
    "token_here",
    "password_here",
    "here_",
    "xxxxx",
    "*****",
    "...",
    "<",
    ">",
    "{{",
    "}}",
    "${",
    "#{",
    "%(",
    "lorem",
    "ipsum",
    "foobar",
    "s3cr3t",
    "p@ssw0rd",
    "passw0rd",
    "password123",
    "123456",
    "abcdef",
    "qwerty",
    "letmein",
    "hunter2",
)
_TEMPLATE = lazy(
    r"^(?:\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|\{[A-Za-z0-9_.]*\}|<[^>]*>|%\([^)]*\)[sd]|%[sd]|\$[A-Za-z_]\w*"
    r"|@[A-Za-z_][\w.]*@|__[A-Z0-9_]+__|\[[A-Za-z_ ]+\])$"
)
_REFERENCE = lazy(
    r"^(?:os\.|process\.env|env\.|ENV\[|getenv|System\.getenv|secrets\.|vars\.|var\.|local\.|module\.|data\."
    r"|self\.|this\.|config\.|settings\.|params\.|props\.|args\.|opts\.|options\.|request\.|req\.|ctx\."
    r"|context\.|os\.environ|Environment\.|Deno\.env|import\.meta)"
)
_DOTTED_IDENTIFIER = lazy(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?$")
_CALL = lazy(r"^[A-Za-z_$][\w$.]*\(.*\)?$")
_NUMBER = lazy(r"^[-+]?\d+(?:\.\d+)?$")
_CONSTANT = lazy(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_HEX = lazy(
    r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{56}$|^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{96}$"
    r"|^[0-9a-fA-F]{128}$"
)
_HASH_CONTEXT = lazy(
    r"(?i)sha(?:1|224|256|384|512)?\b|md5|checksum|digest|integrity|hash|etag|commit|revision|\brev\b"
    r"|fingerprint|\bsum\b|signature_of|content[_-]?id|nonce_hash|h1:"
)
_PASSWORD_HASH = lazy(r"^\$(?:2[abxy]?|argon2(?:id|i|d)|[1356]|apr1|pbkdf2[\w-]*|scrypt)\$")
_HASH_NAME = lazy(r"(?i)(?:hash|digest|checksum|sha\d*|md5|fingerprint|integrity|etag)\w{0,10}$")
_FIXTURE = lazy(r"([xX0*.#-])\1{7,}|EXAMPLE|0123456789|123456789|abcdefghij|ABCDEFGHIJ")
_INTEGRITY = lazy(r"^(?:sha(?:1|256|384|512)-[A-Za-z0-9+/]{20,}={0,2}|h1:[A-Za-z0-9+/]{20,}={0,2})$")
_UUID = lazy(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ENCRYPTED = lazy(
    r"ENC\[(?:AES256_GCM|PKCS7|GPG|KMS)|\$ANSIBLE_VAULT;|!vault\b|^vault:v\d+:|^AQICAH|^enc:|^ENC\(|"
    r"^\{cipher\}|^encrypted:|^-----BEGIN PGP MESSAGE"
)
_PUBLIC = lazy(
    r"^(?:pk_(?:live|test)_|pk\.eyJ|phc_|ssh-(?:rsa|ed25519|dss) |ecdsa-sha2-"
    r"|AAAAB3NzaC1|AAAAC3NzaC1|AAAAE2VjZHNh)"
    r"|-----BEGIN (?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE|OPENSSH PUBLIC KEY|PGP PUBLIC KEY)"
)
_PUBLIC_KEYNAME = lazy(
    r"(?i)(?:public|publishable|pub)[_-]?(?:key|token)|client[_-]?id|app[_-]?id|search[_-]?only|site[_-]?key"
    r"|project[_-]?api[_-]?key|anon(?:ymous)?[_-]?key|measurement[_-]?id|publishable|public"
)
_TIMESTAMP = lazy(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_WORDS = lazy(r"^[a-z]+(?:[-_.][a-z]+)+$|^(?:[A-Z][a-z]+){3,}$|^[a-z]+(?:[A-Z][a-z]+){2,}$")
_PATHLIKE = lazy(
    r"^(?:\.{0,2}/|~/|[A-Za-z]:\\|arn:|https?://|file:)|^[\w.-]+(?:/[\w.-]+){2,}/?$|/$|\.(?:json|"
    r"ya?ml|txt|pem|key|crt|cer|p12|pfx|jks|env|ini|cfg|conf|xml|properties|py|js|ts)$"
)
_HOST_PORT = lazy(r"^[A-Za-z0-9.-]{1,253}:\d{1,5}$")
_WORD_PATH = lazy(r"^[A-Za-z][\w.-]*(?:/[A-Za-z][\w.-]*)+$")
_IDENTIFIER = lazy(r"^[a-z_][a-z0-9_]*$|^[a-z]+(?:[A-Z][a-z0-9]+)+$|^[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+$")
_NAMES_A_SECRET = ("secret", "password", "passwd", "token", "apikey", "api_key", "api-key", "credential")
_NAME = lazy(r"([\w.-]+)[\"'\]]?\s{0,5}(?::=|=>|=|:|\?=)?\s{0,5}[\"'`]?$")
_NOT_SECRET_NAME = lazy(
    r"(?i)(?:^|[_.-])(?:next|page|continuation|csrf|xsrf|sync|cancel|cancellation|idempotency|client_?request|"
    r"client|pagination|resume|refresh_?interval)[_.-]?token|"
    r"token[_.-]?(?:type|url|uri|endpoint|expir\w*|lifetime|ttl|name|file|path|length|count|kind|id|header|prefix|"
    r"regex|pattern|index|pos|position|list|stream)$|"
    r"secret[_.-]?(?:name|arn|id|ref|file|path|version|length|store|manager|provider|backend|type)$|"
    r"password[_.-]?(?:hint|field|policy|length|file|path|reset|prompt|label|placeholder|regex|pattern|min|max|"
    r"validator|strength|mode|type|input|confirm\w*)$|"
    r"auth[_.-]?(?:type|method|mode|url|uri|endpoint|provider|scheme|header|scope|strategy|config|domain|"
    r"server|host|realm|flow|plugin|source)$|"
    r"credentials?[_.-]?(?:provider|type|file|path|source|id|name|arn|helper|process|store|manager)$|"
    r"(?:api|access)[_.-]?key[_.-]?(?:id|name|arn|alias|path|file|header|param|env|var)$|"
    r"(?:public|publishable)[_.-]?\w*$|client[_.-]?id$|^key[_.-]?id$"
)


def _name_before(secret: str, match: str, line: str) -> str:
    """The text just before the secret on its line: where the variable or key name stands."""
    at = line.find(secret)
    if at == -1:
        return match.split(secret, 1)[0]
    return line[max(0, at - 60) : at]


def placeholder(secret: str, match: str, line: str) -> str | None:
    if _TEMPLATE.match(secret):
        return "template or variable placeholder"
    lowered = secret.lower()
    for word in _PLACEHOLDER_WORDS:
        if word in lowered:
            return f"placeholder word {word!r}"
    if len(set(secret.lower())) <= 3:
        return "too few distinct characters"
    for word in _NAMES_A_SECRET:
        if word in lowered:
            return f"the value names a secret ({word!r}) rather than being one"
    return None


def reference(secret: str, match: str, line: str) -> str | None:
    if _REFERENCE.match(secret):
        return "reference to another value (environment, config, object)"
    if _DOTTED_IDENTIFIER.match(secret) or _CALL.match(secret):
        return "code expression, not a literal"
    if _CONSTANT.match(secret):
        return "constant name, not a value"
    if _NUMBER.match(secret):
        return "a number, not a secret"
    if not _quoted(secret, line) and (_IDENTIFIER.match(secret) or secret.isalpha()):
        return "unquoted identifier, not a literal"
    after = _after(secret, line)
    if after[:1] in ("(", "[", ".") and not _quoted(secret, line):
        return "code expression, not a literal"
    if secret.startswith("eyJ") and "." not in secret:
        return "base64-encoded JSON (a pagination or state token)"
    return None


def _quoted(secret: str, line: str) -> bool:
    at = line.find(secret)
    return at > 0 and line[at - 1] in "\"'`"


def _after(secret: str, line: str) -> str:
    at = line.find(secret)
    return "" if at == -1 else line[at + len(secret) : at + len(secret) + 2]


def secret_name(secret: str, match: str, line: str) -> str | None:
    """The name the value is assigned to says it is not a secret (next_token, password_hint...)."""
    m = _NAME.search(_name_before(secret, match, line))
    if m and _NOT_SECRET_NAME.search(m.group(1)):
        return f"{m.group(1)!r} names something that is not a secret"
    return None


def needs_digit(secret: str, match: str, line: str) -> str | None:
    if not any(c.isdigit() for c in secret):
        return "no digits: a word or identifier rather than a random token"
    return None


def hashes(secret: str, match: str, line: str) -> str | None:
    if _INTEGRITY.match(secret):
        return "integrity checksum"
    if _TIMESTAMP.match(secret):
        return "a date or timestamp"
    if _PASSWORD_HASH.match(secret):
        return "a password hash (bcrypt, argon2, crypt), not the password"
    before = _name_before(secret, match, line)
    assigned = _NAME.search(before)
    if assigned and _HASH_NAME.search(assigned.group(1).strip("\"'")):
        return f"value of {assigned.group(1)!r}, a hash or checksum field"
    if _UUID.match(secret) and not re.search(r"(?i)secret|password|api[_-]?key", before):
        return "UUID"
    if _HEX.match(secret) and _HASH_CONTEXT.search(line):
        return "hash or checksum (hex digest with hash context)"
    return None


def encrypted(secret: str, match: str, line: str) -> str | None:
    if _ENCRYPTED.search(secret) or _ENCRYPTED.search(line):
        return "encrypted value (SOPS, ansible-vault, KMS, Jasypt)"
    return None


def public(secret: str, match: str, line: str) -> str | None:
    if _PUBLIC.search(secret):
        return "public or publishable key"
    if _PUBLIC_KEYNAME.search(_name_before(secret, match, line)):
        return "value of a public or identifier field"
    return None


def natural_language(secret: str, match: str, line: str) -> str | None:
    if _WORDS.match(secret):
        return "words, not a random secret"
    decoded = base64_text(secret)
    if decoded is not None and (
        any(c in decoded for c in " \n:{=")
        or (decoded.isalpha() and len(decoded) <= 12)
        or _WORDS.match(decoded)
    ):
        return "base64 of plain text or a word, not of a secret"
    return None


def base64_text(secret: str) -> str | None:
    """The text a base64 value decodes to, when it is printable text (None otherwise)."""
    if len(secret) < 8 or len(secret.rstrip("=")) % 4 == 1:
        return None
    body = secret + "=" * (-len(secret) % 4)
    try:
        raw = (
            base64.b64decode(body, validate=True)
            if not set("-_") & set(secret)
            else (base64.urlsafe_b64decode(body))
        )
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return text if text and all(c.isprintable() or c in "\n\t\r" for c in text) else None


def fixture(secret: str, match: str, line: str) -> str | None:
    """Applied to every rule: runs of x, 0 or *, EXAMPLE, and counting sequences do not occur in
    real random tokens (a run of 8 equal characters is about a 62**-7 event), but fill test
    fixtures and documentation."""
    if "\n" in secret:
        return None  # key blocks legitimately hold runs such as AAAAAAAA
    m = _FIXTURE.search(secret)
    if m:
        return f"fixture or placeholder pattern {m.group(0)[:12]!r}"
    return None


def path_like(secret: str, match: str, line: str) -> str | None:
    if _PATHLIKE.search(secret) or _HOST_PORT.match(secret):
        return "a path, file name, URL or host:port"
    if "/" in secret and _WORD_PATH.match(secret) and not any(c.isdigit() for c in secret):
        return "a path of words"
    return None


Heuristic = Callable[[str, str, str], "str | None"]

HEURISTICS: dict[str, Heuristic] = {
    "placeholder": placeholder,
    "reference": reference,
    "hash": hashes,
    "encrypted": encrypted,
    "public": public,
    "natural-language": natural_language,
    "path": path_like,
    "name": secret_name,
    "needs-digit": needs_digit,
    "fixture": fixture,
}
