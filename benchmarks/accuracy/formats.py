"""Synthetic, format-valid credential generators: one per secret TYPE.

Every value is random (seeded) and made up here from the public description of its format:
prefix, length, alphabet and, where the format has one, the checksum (GitHub/npm CRC32-base62,
Bitcoin WIF double-SHA256, OpenPGP CRC24). Nothing is copied from the rule packs' examples, and
nothing here is a real credential.

A type's ``make(rng, percent)`` returns ``(secret, value)``: ``secret`` is what a scanner should
report, ``value`` what is written after the variable name (a URI around a password, a JSON
document around a key id ...). With ``percent=True`` (only for types with ``percent_ok``) the
secret contains URL-reserved characters and ``value`` carries it percent-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
UHEX = "0123456789ABCDEF"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
BASE62 = DIGITS + UPPER + LOWER
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

Maker = Callable[[random.Random, bool], tuple[str, str]]


def rs(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` random characters of ``alphabet``, with at least one letter and one digit where the
    alphabet has both (so no generated token is accidentally all-letters or all-digits)."""
    while True:
        out = "".join(rng.choice(alphabet) for _ in range(n))
        has_alpha = any(c.isalpha() for c in alphabet)
        has_digit = any(c.isdigit() for c in alphabet)
        if n < 8 or (
            (not has_alpha or any(c.isalpha() for c in out))
            and (not has_digit or any(c.isdigit() for c in out))
        ):
            return out


def rbytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def ruuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def crc32_token(rng: random.Random, prefix: str, body_len: int = 30) -> str:
    """GitHub-style token: prefix + base62 body + base62(CRC32(body)) in 6 characters."""
    body = rs(rng, ALNUM, body_len)
    return prefix + body + base62(zlib.crc32(body.encode()), 6)


def base58check(payload: bytes) -> str:
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    data = payload + check
    num = int.from_bytes(data, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = BASE58[rem] + out
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + out


# --- DER / PEM -------------------------------------------------------------------------------


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_len(len(body)) + body


def der_int(x: int) -> bytes:
    return der(0x02, x.to_bytes(x.bit_length() // 8 + 1, "big"))


def der_seq(*parts: bytes) -> bytes:
    return der(0x30, b"".join(parts))


def der_oid(dotted: str) -> bytes:
    nums = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        out.extend(reversed(chunk))
    return der(0x06, bytes(out))


def der_octets(data: bytes) -> bytes:
    return der(0x04, data)


NULL = b"\x05\x00"


def rand_int(rng: random.Random, bits: int) -> int:
    return rng.getrandbits(bits) | (1 << (bits - 1)) | 1


def pem(label: str, data: bytes, width: int = 64, headers: str = "") -> str:
    text = b64(data)
    lines = [text[i : i + width] for i in range(0, len(text), width)]
    head = headers + "\n" if headers else ""
    return f"-----BEGIN {label}-----\n{head}" + "\n".join(lines) + f"\n-----END {label}-----"


def rsa_pkcs1(rng: random.Random, bits: int = 2048) -> bytes:
    half = bits // 2
    return der_seq(
        der_int(0),
        der_int(rand_int(rng, bits)),
        der_int(65537),
        der_int(rand_int(rng, bits)),
        *(der_int(rand_int(rng, half)) for _ in range(5)),
    )


def ec_sec1(rng: random.Random) -> bytes:
    return der_seq(
        der_int(1),
        der_octets(rbytes(rng, 32)),
        der(0xA0, der_oid("1.2.840.10045.3.1.7")),
        der(0xA1, der(0x03, b"\x00\x04" + rbytes(rng, 64))),
    )


def gen_rsa_key(rng: random.Random) -> str:
    return pem("RSA PRIVATE KEY", rsa_pkcs1(rng, rng.choice([1024, 2048])))


def gen_ec_key(rng: random.Random) -> str:
    return pem("EC PRIVATE KEY", ec_sec1(rng))


def gen_dsa_key(rng: random.Random) -> str:
    body = der_seq(
        der_int(0),
        der_int(rand_int(rng, 2048)),
        der_int(rand_int(rng, 256)),
        der_int(rand_int(rng, 2047)),
        der_int(rand_int(rng, 2047)),
        der_int(rand_int(rng, 255)),
    )
    return pem("DSA PRIVATE KEY", body)


def gen_pkcs8_key(rng: random.Random) -> str:
    if rng.random() < 0.5:
        alg = der_seq(der_oid("1.2.840.113549.1.1.1"), NULL)
        inner = rsa_pkcs1(rng, 2048)
    else:
        alg = der_seq(der_oid("1.2.840.10045.2.1"), der_oid("1.2.840.10045.3.1.7"))
        inner = ec_sec1(rng)
    return pem("PRIVATE KEY", der_seq(der_int(0), alg, der_octets(inner)))


def gen_encrypted_key(rng: random.Random) -> str:
    pbkdf2 = der_seq(
        der_oid("1.2.840.113549.1.5.12"),
        der_seq(der_octets(rbytes(rng, 8)), der_int(2048), der_seq(der_oid("1.2.840.113549.2.9"), NULL)),
    )
    cipher = der_seq(der_oid("2.16.840.1.101.3.4.1.42"), der_octets(rbytes(rng, 16)))
    alg = der_seq(der_oid("1.2.840.113549.1.5.13"), der_seq(pbkdf2, cipher))
    return pem("ENCRYPTED PRIVATE KEY", der_seq(alg, der_octets(rbytes(rng, 1232))))


def _ssh_str(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def gen_openssh_key(rng: random.Random) -> str:
    pub = rbytes(rng, 32)
    seed = rbytes(rng, 32)
    pub_blob = _ssh_str(b"ssh-ed25519") + _ssh_str(pub)
    check = rbytes(rng, 4)
    comment = (
        f"{rng.choice(['deploy', 'ci', 'backup', 'jenkins'])}@{rng.choice(['build-01', 'bastion', 'laptop'])}"
    )
    priv = check + check + _ssh_str(b"ssh-ed25519") + _ssh_str(pub) + _ssh_str(seed + pub)
    priv += _ssh_str(comment.encode())
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = b"openssh-key-v1\x00" + _ssh_str(b"none") + _ssh_str(b"none") + _ssh_str(b"")
    blob += (1).to_bytes(4, "big") + _ssh_str(pub_blob) + _ssh_str(priv)
    return pem("OPENSSH PRIVATE KEY", blob, width=70)


def crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def gen_pgp_key(rng: random.Random) -> str:
    # A v4 secret-key packet (new-format tag 5, two-octet length): version, creation time,
    # algorithm (RSA), then random key material.
    body = b"\x04" + rng.getrandbits(32).to_bytes(4, "big") + b"\x01" + rbytes(rng, 900)
    n = len(body) - 192
    packet = b"\xc5" + bytes([(n >> 8) + 192, n & 0xFF]) + body
    text = b64(packet)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    check = b64(crc24(packet).to_bytes(3, "big"))
    return (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
        + "\n".join(lines)
        + f"\n={check}\n-----END PGP PRIVATE KEY BLOCK-----"
    )


# --- other structured values -----------------------------------------------------------------


def gen_jwt(rng: random.Random) -> str:
    alg = rng.choice(["HS256", "RS256", "ES256"])
    header = {"alg": alg, "typ": "JWT"}
    if alg != "HS256":
        header["kid"] = rs(rng, URLSAFE, 16)
    now = 1_700_000_000 + rng.randrange(50_000_000)
    payload = {
        "sub": ruuid(rng),
        "iss": rng.choice(["https://auth.example-corp.internal", "api-gateway", "https://login.acme.test"]),
        "aud": rng.choice(["orders-api", "billing", "internal"]),
        "iat": now,
        "exp": now + rng.choice([3600, 86400, 31536000]),
        "scope": rng.choice(["read write", "admin", "orders:read orders:write"]),
    }
    sig_len = {"HS256": 32, "RS256": 256, "ES256": 64}[alg]
    return ".".join(
        [
            b64url(json.dumps(header, separators=(",", ":")).encode()),
            b64url(json.dumps(payload, separators=(",", ":")).encode()),
            b64url(rbytes(rng, sig_len)),
        ]
    )


def gen_wif(rng: random.Random) -> str:
    return base58check(b"\x80" + rbytes(rng, 32) + b"\x01")


def bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def bech32_encode(hrp: str, data: bytes) -> str:
    acc = bits = 0
    five: list[int] = []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = bech32_polymod([*expanded, *five, 0, 0, 0, 0, 0, 0]) ^ 1
    check = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in five + check)


def gen_age(rng: random.Random) -> str:
    """An age X25519 identity: Bech32 (with its checksum) of 32 bytes, upper case."""
    return bech32_encode("age-secret-key-", rbytes(rng, 32)).upper()


def gen_discord_bot(rng: random.Random) -> str:
    ident = str(rng.randrange(10**17, 10**18 * 2))
    return b64url(ident.encode()) + "." + rs(rng, URLSAFE, 6) + "." + rs(rng, URLSAFE, 38)


def gen_password(rng: random.Random, percent: bool, length: int | None = None) -> str:
    """A strong random password: unreserved URI characters only, unless ``percent``."""
    n = length or rng.randint(16, 24)
    extra = "@:/?#&=+$!%" if percent else "-_.~"
    while True:
        out = "".join(rng.choice(ALNUM + extra * 2) for _ in range(n))
        if percent and not any(c in "@:/?#&=+$%" for c in out):
            continue
        if any(c.isdigit() for c in out) and any(c.isalpha() for c in out):
            return out


def gen_gcp_sa(rng: random.Random) -> tuple[str, str]:
    project = (
        rng.choice(["orders", "billing", "analytics", "ml-pipeline"]) + f"-{rng.randrange(100000, 999999)}"
    )
    key_id = rs(rng, HEX, 40)
    account = rng.choice(["deployer", "ci-runner", "exporter", "backup"])
    doc = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": key_id,
        "private_key": gen_pkcs8_key(rng) + "\n",
        "client_email": f"{account}@{project}.iam.gserviceaccount.com",
        "client_id": str(rng.randrange(10**20, 10**21)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{account}%40{project}"
        ".iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }
    return key_id, json.dumps(doc, indent=2)


HOSTS = [
    "db.internal",
    "10.0.12.7",
    "prod-db-1.c9x2k1.eu-west-1.rds.amazonaws.com",
    "pg.payments.svc.cluster.local",
    "mysql-primary",
    "cluster0.a1b2c.mongodb.net",
]
USERS = ["app", "svc_orders", "admin", "reporting", "deploy", "etl_user", "billing_rw"]


def _uri(scheme: str, port: int, path: str) -> Callable[[random.Random, bool], tuple[str, str]]:
    def make(rng: random.Random, percent: bool) -> tuple[str, str]:
        pw = gen_password(rng, percent)
        written = quote(pw, safe="") if percent else pw
        host = rng.choice(HOSTS)
        hp = host if scheme.endswith("+srv") else f"{host}:{port}"
        return pw, f"{scheme}://{rng.choice(USERS)}:{written}@{hp}{path}"

    return make


def _tok(fn: Callable[[random.Random], str]) -> Maker:
    def make(rng: random.Random, percent: bool) -> tuple[str, str]:
        s = fn(rng)
        return s, s

    return make


@dataclass(frozen=True)
class SecretType:
    name: str
    make: Maker
    names: tuple[str, ...]  # realistic variable names, UPPER_SNAKE
    family: str = ""
    shape: str = "token"  # token | uri | pem | json-doc
    percent_ok: bool = False
    contexts: tuple[str, ...] = field(default=())  # restrict where it is planted (empty: anywhere)


def T(
    name: str,
    gen: Callable[[random.Random], str],
    *names: str,
    family: str = "",
    contexts: tuple[str, ...] = (),
) -> SecretType:
    return SecretType(name, _tok(gen), tuple(names), family, contexts=contexts)


def _pem(name: str, gen: Callable[[random.Random], str], *names: str) -> SecretType:
    return SecretType(name, _tok(gen), tuple(names), "private-key", shape="pem")


def _pct_token(fn: Callable[[random.Random, bool], str]) -> Maker:
    def make(rng: random.Random, percent: bool) -> tuple[str, str]:
        s = fn(rng, percent)
        return s, (quote(s, safe="") if percent else s)

    return make


def _jdbc(rng: random.Random, percent: bool) -> tuple[str, str]:
    pw = gen_password(rng, False)
    kind = rng.choice(["postgresql", "mysql", "sqlserver"])
    host = rng.choice(HOSTS)
    # (key=value pairs joined at run time, so this template is not itself a connection string)
    user = rng.choice(USERS)
    if kind == "sqlserver":
        return pw, f"jdbc:sqlserver://{host}:1433;" + ";".join(
            ["databaseName=orders", f"user={user}", "password=" + pw]
        )
    port = 5432 if kind == "postgresql" else 3306
    return pw, f"jdbc:{kind}://{host}:{port}/orders?" + "&".join(
        [f"user={user}", "password=" + pw, "ssl=true"]
    )


def _adonet(rng: random.Random, percent: bool) -> tuple[str, str]:
    pw = gen_password(rng, False)
    host = rng.choice(["tcp:sql-prod.database.windows.net,1433", "SQLPROD01\\MSSQL", "10.1.4.20"])
    parts = [f"Server={host}", "Database=Orders", f"User Id={rng.choice(USERS)}", "Password=" + pw]
    return pw, ";".join(parts) + ";Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;"


def _basic_url(rng: random.Random, percent: bool) -> tuple[str, str]:
    pw = gen_password(rng, percent)
    written = quote(pw, safe="") if percent else pw
    host = rng.choice(
        [
            "git.example-corp.com/platform/infra.git",
            "nexus.internal/repository/pypi/simple",
            "registry.example-corp.com/v2/",
            "ci.example-corp.com/job/deploy/",
        ]
    )
    return pw, f"https://{rng.choice(USERS)}:{written}@{host}"


def _smtp(rng: random.Random, percent: bool) -> tuple[str, str]:
    pw = gen_password(rng, percent)
    written = quote(pw, safe="") if percent else pw
    return pw, f"smtp://{rng.choice(['mailer', 'noreply', 'alerts'])}:{written}@smtp.example-corp.com:587"


def _ftp(rng: random.Random, percent: bool) -> tuple[str, str]:
    pw = gen_password(rng, percent)
    written = quote(pw, safe="") if percent else pw
    return pw, f"ftp://{rng.choice(['upload', 'backup', 'partner'])}:{written}@ftp.example-corp.com/incoming"


def _azure_storage(rng: random.Random, percent: bool) -> tuple[str, str]:
    key = b64(rbytes(rng, 64))
    account = rng.choice(["prodassets", "backupsweu", "logsarchive"]) + str(rng.randrange(10, 99))
    return key, (
        f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};EndpointSuffix=core.windows.net"
    )


def _azure_sb(rng: random.Random, percent: bool) -> tuple[str, str]:
    key = b64(rbytes(rng, 32))
    ns = rng.choice(["orders-bus", "events-prod", "telemetry"])
    return key, (
        f"Endpoint=sb://{ns}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={key}"
    )


def _docker_config(rng: random.Random, percent: bool) -> tuple[str, str]:
    """A Docker client config.json; the secret is the ``auth`` value, base64 of user:password."""
    user = rng.choice(["ci-bot", "deploy", "robot-pusher"])
    auth = b64(f"{user}:{gen_password(rng, False)}".encode())
    registry = rng.choice(["registry.example-corp.com", "https://index.docker.io/v1/", "ghcr.io"])
    return auth, json.dumps({"auths": {registry: {"auth": auth}}}, indent=2)


def _gcp_sa(rng: random.Random, percent: bool) -> tuple[str, str]:
    return gen_gcp_sa(rng)


def _teams(rng: random.Random) -> str:
    tenant, group = ruuid(rng), ruuid(rng)
    return (
        f"https://{rng.choice(['contoso', 'examplecorp', 'acme'])}.webhook.office.com"
        f"/webhookb2/{group}@{tenant}"
        f"/IncomingWebhook/{rs(rng, HEX, 32)}/{ruuid(rng)}"
    )


def _grafana_cloud(rng: random.Random) -> str:
    doc = {
        "o": str(rng.randrange(100000, 999999)),
        "n": f"stack-{rng.randrange(100000, 999999)}-hm-read",
        "k": rs(rng, ALNUM, 24),
        "m": {"r": rng.choice(["us", "eu", "prod-eu-west-0"])},
    }
    return "glc_" + b64(json.dumps(doc, separators=(",", ":")).encode()).rstrip("=")


def _sentry_org(rng: random.Random) -> str:
    doc = {
        "iat": 1700000000 + rng.randrange(10**7),
        "url": "https://sentry.io",
        "region_url": "https://us.sentry.io",
        "org": rng.choice(["acme", "example-corp", "shopfront"]),
    }
    return (
        "sntrys_" + b64(json.dumps(doc, separators=(",", ":")).encode()).rstrip("=") + "_" + rs(rng, B64, 43)
    )


def _mapbox_secret(rng: random.Random) -> str:
    doc = {"u": rng.choice(["acme-maps", "example-corp", "fleet-ui"]), "a": rs(rng, LOWER + DIGITS, 25)}
    return "sk." + b64url(json.dumps(doc, separators=(",", ":")).encode()) + "." + rs(rng, URLSAFE, 22)


def _twitter_bearer(rng: random.Random) -> str:
    return "A" * 22 + rs(rng, ALNUM, 20) + "%2B" + rs(rng, ALNUM, 20) + "%3D" + rs(rng, ALNUM, 50)


def _mailchimp(rng: random.Random) -> str:
    return rs(rng, HEX, 32) + f"-us{rng.randrange(1, 21)}"


def _wireguard(rng: random.Random) -> str:
    raw = bytearray(rbytes(rng, 32))
    raw[0] &= 248
    raw[31] = (raw[31] & 127) | 64
    return b64(bytes(raw))


def _django(rng: random.Random) -> str:
    return "django-insecure-" + "".join(rng.choice(LOWER + DIGITS + "!@#$%^&*(-_=+)") for _ in range(50))


def _telegram(rng: random.Random) -> str:
    return f"{rng.randrange(10**8, 10**10)}:AA" + rs(rng, URLSAFE, 33)


def _slack_webhook(rng: random.Random) -> str:
    return (
        f"https://hooks.slack.com/services/T{rs(rng, UPPER + DIGITS, 10)}/B{rs(rng, UPPER + DIGITS, 10)}/"
        + rs(rng, ALNUM, 24)
    )


def _discord_webhook(rng: random.Random) -> str:
    return f"https://discord.com/api/webhooks/{rng.randrange(10**17, 10**19)}/{rs(rng, URLSAFE, 68)}"


def _password(rng: random.Random, percent: bool) -> str:
    return gen_password(rng, percent, rng.randint(16, 28))


def _client_secret(rng: random.Random, percent: bool) -> str:
    if percent:
        return rs(rng, ALNUM, 24) + rng.choice("+/=") + rs(rng, ALNUM, 12) + rng.choice("+/")
    return rs(rng, ALNUM + "_-", rng.choice([32, 40, 48]))


def _aws_secret(rng: random.Random, percent: bool) -> str:
    while True:
        s = rs(rng, B64, 40)
        if not percent or any(c in "+/" for c in s):
            return s


def _slack_user(rng: random.Random) -> str:
    return (
        f"xoxp-{rng.randrange(10**10, 10**12)}-{rng.randrange(10**10, 10**12)}-"
        f"{rng.randrange(10**11, 10**13)}-{rs(rng, HEX, 32)}"
    )


TYPES: list[SecretType] = [
    # --- version control ---
    T("github-pat", lambda r: crc32_token(r, "ghp_"), "GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT", family="vcs"),
    T("github-oauth-token", lambda r: crc32_token(r, "gho_"), "GITHUB_OAUTH_TOKEN", "GH_OAUTH", family="vcs"),
    T("github-user-to-server", lambda r: crc32_token(r, "ghu_"), "GITHUB_USER_TOKEN", family="vcs"),
    T(
        "github-server-to-server",
        lambda r: crc32_token(r, "ghs_"),
        "GITHUB_APP_INSTALLATION_TOKEN",
        family="vcs",
    ),
    T("github-refresh-token", lambda r: crc32_token(r, "ghr_"), "GITHUB_REFRESH_TOKEN", family="vcs"),
    T(
        "github-fine-grained-pat",
        lambda r: f"github_pat_{rs(r, ALNUM, 22)}_{rs(r, ALNUM, 59)}",
        "GITHUB_TOKEN",
        "RELEASE_TOKEN",
        family="vcs",
    ),
    T("gitlab-pat", lambda r: "glpat-" + rs(r, URLSAFE, 20), "GITLAB_TOKEN", "CI_API_TOKEN", family="vcs"),
    T(
        "gitlab-runner-token",
        lambda r: "glrt-" + rs(r, URLSAFE, 20),
        "RUNNER_TOKEN",
        "CI_RUNNER_TOKEN",
        family="vcs",
    ),
    T("gitlab-deploy-token", lambda r: "gldt-" + rs(r, URLSAFE, 20), "GITLAB_DEPLOY_TOKEN", family="vcs"),
    T("gitlab-pipeline-trigger-token", lambda r: "glptt-" + rs(r, HEX, 40), "TRIGGER_TOKEN", family="vcs"),
    T("gitlab-feed-token", lambda r: "glft-" + rs(r, URLSAFE, 20), "GITLAB_FEED_TOKEN", family="vcs"),
    T("gitlab-oauth-app-secret", lambda r: "gloas-" + rs(r, HEX, 64), "GITLAB_OAUTH_SECRET", family="vcs"),
    T("gitlab-scim-token", lambda r: "glsoat-" + rs(r, URLSAFE, 20), "GITLAB_SCIM_TOKEN", family="vcs"),
    T(
        "bitbucket-app-password",
        lambda r: "ATBB" + rs(r, ALNUM, 28) + rs(r, UHEX, 8),
        "BITBUCKET_APP_PASSWORD",
        family="vcs",
    ),
    # --- cloud ---
    T(
        "aws-access-key-id",
        lambda r: "AKIA" + rs(r, UPPER + "234567", 16),
        "AWS_ACCESS_KEY_ID",
        family="cloud",
    ),
    SecretType(
        "aws-secret-access-key",
        _pct_token(_aws_secret),
        ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
        "cloud",
        percent_ok=True,
    ),
    T(
        "aws-session-token",
        lambda r: "IQoJb3JpZ2luX2VjE" + rs(r, B64, 380) + "==",
        "AWS_SESSION_TOKEN",
        family="cloud",
    ),
    T(
        "gcp-api-key",
        lambda r: "AIza" + rs(r, URLSAFE, 35),
        "GOOGLE_API_KEY",
        "GCP_API_KEY",
        "MAPS_SERVER_KEY",
        family="cloud",
    ),
    SecretType(
        "gcp-service-account-key-id",
        _gcp_sa,
        ("GOOGLE_APPLICATION_CREDENTIALS_JSON",),
        "cloud",
        shape="json-doc",
        contexts=("json", "k8s", "env"),
    ),
    T(
        "gcp-oauth-client-secret",
        lambda r: "GOCSPX-" + rs(r, URLSAFE, 28),
        "GOOGLE_CLIENT_SECRET",
        family="cloud",
    ),
    T(
        "google-oauth-access-token",
        lambda r: "ya29." + rs(r, URLSAFE, 150),
        "GOOGLE_ACCESS_TOKEN",
        family="cloud",
    ),
    T(
        "google-oauth-refresh-token",
        lambda r: "1//0" + rs(r, ALNUM, 2) + rs(r, URLSAFE, 97),
        "GOOGLE_REFRESH_TOKEN",
        family="cloud",
    ),
    T(
        "firebase-fcm-server-key",
        lambda r: "AAAA" + rs(r, URLSAFE, 7) + ":APA91b" + rs(r, URLSAFE, 134),
        "FCM_SERVER_KEY",
        "FIREBASE_SERVER_KEY",
        family="cloud",
    ),
    SecretType(
        "azure-storage-account-key",
        _azure_storage,
        ("AZURE_STORAGE_CONNECTION_STRING",),
        "cloud",
        shape="uri",
    ),
    T(
        "azure-ad-client-secret",
        lambda r: rs(r, ALNUM, 3) + r.choice(DIGITS) + "Q~" + rs(r, ALNUM + "_~.-", 34),
        "AZURE_CLIENT_SECRET",
        "ARM_CLIENT_SECRET",
        family="cloud",
    ),
    T(
        "azure-devops-pat",
        lambda r: rs(r, LOWER + "234567", 52),
        "AZURE_DEVOPS_PAT",
        "ADO_PAT",
        "AZURE_DEVOPS_EXT_PAT",
        family="cloud",
    ),
    SecretType(
        "azure-servicebus-sas-key", _azure_sb, ("SERVICEBUS_CONNECTION_STRING",), "cloud", shape="uri"
    ),
    T(
        "digitalocean-pat",
        lambda r: "dop_v1_" + rs(r, HEX, 64),
        "DIGITALOCEAN_TOKEN",
        "DO_TOKEN",
        family="cloud",
    ),
    T("digitalocean-oauth-token", lambda r: "doo_v1_" + rs(r, HEX, 64), "DO_OAUTH_TOKEN", family="cloud"),
    T("digitalocean-refresh-token", lambda r: "dor_v1_" + rs(r, HEX, 64), "DO_REFRESH_TOKEN", family="cloud"),
    T(
        "alibaba-access-key-id",
        lambda r: "LTAI" + rs(r, ALNUM, 20),
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        family="cloud",
    ),
    T(
        "alibaba-access-key-secret",
        lambda r: rs(r, ALNUM, 30),
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        family="cloud",
    ),
    T("heroku-api-key", ruuid, "HEROKU_API_KEY", family="cloud"),
    T(
        "cloudflare-api-token",
        lambda r: rs(r, URLSAFE, 40),
        "CLOUDFLARE_API_TOKEN",
        "CF_API_TOKEN",
        family="cloud",
    ),
    T(
        "cloudflare-global-api-key",
        lambda r: rs(r, HEX, 37),
        "CLOUDFLARE_API_KEY",
        "CF_API_KEY",
        family="cloud",
    ),
    T(
        "cloudflare-origin-ca-key",
        lambda r: "v1.0-" + rs(r, HEX, 24) + "-" + rs(r, HEX, 146),
        "CF_ORIGIN_CA_KEY",
        family="cloud",
    ),
    T("flyio-token", lambda r: "fo1_" + rs(r, URLSAFE, 43), "FLY_API_TOKEN", family="cloud"),
    T("databricks-token", lambda r: "dapi" + rs(r, HEX, 32), "DATABRICKS_TOKEN", family="cloud"),
    T(
        "terraform-cloud-token",
        lambda r: rs(r, ALNUM, 14) + ".atlasv1." + rs(r, ALNUM, 67),
        "TFE_TOKEN",
        "TF_TOKEN_app_terraform_io",
        family="cloud",
    ),
    T("vault-service-token", lambda r: "hvs.CAESI" + rs(r, URLSAFE, 86), "VAULT_TOKEN", family="cloud"),
    T("vault-batch-token", lambda r: "hvb.AAAAAQ" + rs(r, URLSAFE, 132), "VAULT_TOKEN", family="cloud"),
    T("doppler-token", lambda r: "dp.pt." + rs(r, ALNUM, 43), "DOPPLER_TOKEN", family="cloud"),
    T("pulumi-token", lambda r: "pul-" + rs(r, HEX, 40), "PULUMI_ACCESS_TOKEN", family="cloud"),
    T("grafana-cloud-token", _grafana_cloud, "GRAFANA_CLOUD_TOKEN", family="observability"),
    T(
        "grafana-service-account-token",
        lambda r: "glsa_" + rs(r, ALNUM, 32) + "_" + rs(r, HEX, 8),
        "GRAFANA_TOKEN",
        family="observability",
    ),
    T(
        "newrelic-user-key",
        lambda r: "NRAK-" + rs(r, UPPER + DIGITS, 27),
        "NEW_RELIC_API_KEY",
        family="observability",
    ),
    T(
        "newrelic-insert-key",
        lambda r: "NRII-" + rs(r, URLSAFE, 32),
        "NEW_RELIC_INSERT_KEY",
        family="observability",
    ),
    T("datadog-api-key", lambda r: rs(r, HEX, 32), "DD_API_KEY", "DATADOG_API_KEY", family="observability"),
    T("datadog-app-key", lambda r: rs(r, HEX, 40), "DD_APP_KEY", "DATADOG_APP_KEY", family="observability"),
    T("sentry-user-token", lambda r: "sntryu_" + rs(r, HEX, 64), "SENTRY_AUTH_TOKEN", family="observability"),
    T("sentry-org-token", _sentry_org, "SENTRY_AUTH_TOKEN", family="observability"),
    T(
        "dynatrace-token",
        lambda r: "dt0c01." + rs(r, UPPER + DIGITS, 24) + "." + rs(r, UPPER + DIGITS, 64),
        "DT_API_TOKEN",
        family="observability",
    ),
    # --- AI ---
    T(
        "openai-api-key",
        lambda r: "sk-" + rs(r, ALNUM, 20) + "T3BlbkFJ" + rs(r, ALNUM, 20),
        "OPENAI_API_KEY",
        family="ai",
    ),
    T(
        "openai-project-key",
        lambda r: "sk-proj-" + rs(r, URLSAFE, 74) + "T3BlbkFJ" + rs(r, URLSAFE, 74),
        "OPENAI_API_KEY",
        family="ai",
    ),
    T(
        "anthropic-api-key",
        lambda r: "sk-ant-api03-" + rs(r, URLSAFE, 93) + "AA",
        "ANTHROPIC_API_KEY",
        family="ai",
    ),
    T(
        "anthropic-admin-key",
        lambda r: "sk-ant-admin01-" + rs(r, URLSAFE, 93) + "AA",
        "ANTHROPIC_ADMIN_KEY",
        family="ai",
    ),
    T(
        "huggingface-token",
        lambda r: "hf_" + rs(r, string.ascii_letters, 34),
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        family="ai",
    ),
    T("replicate-token", lambda r: "r8_" + rs(r, ALNUM, 37), "REPLICATE_API_TOKEN", family="ai"),
    T("groq-api-key", lambda r: "gsk_" + rs(r, ALNUM, 52), "GROQ_API_KEY", family="ai"),
    T("perplexity-api-key", lambda r: "pplx-" + rs(r, ALNUM, 48), "PERPLEXITY_API_KEY", family="ai"),
    T("xai-api-key", lambda r: "xai-" + rs(r, ALNUM, 80), "XAI_API_KEY", family="ai"),
    T("openrouter-api-key", lambda r: "sk-or-v1-" + rs(r, HEX, 64), "OPENROUTER_API_KEY", family="ai"),
    T(
        "langsmith-api-key",
        lambda r: "lsv2_pt_" + rs(r, HEX, 32) + "_" + rs(r, HEX, 10),
        "LANGSMITH_API_KEY",
        "LANGCHAIN_API_KEY",
        family="ai",
    ),
    T(
        "pinecone-api-key",
        lambda r: "pcsk_" + rs(r, ALNUM, 5) + "_" + rs(r, ALNUM, 64),
        "PINECONE_API_KEY",
        family="ai",
    ),
    T("cohere-api-key", lambda r: rs(r, ALNUM, 40), "COHERE_API_KEY", family="ai"),
    T("mistral-api-key", lambda r: rs(r, ALNUM, 32), "MISTRAL_API_KEY", family="ai"),
    T("wandb-api-key", lambda r: rs(r, HEX, 40), "WANDB_API_KEY", family="ai"),
    T("elevenlabs-api-key", lambda r: "sk_" + rs(r, HEX, 48), "ELEVENLABS_API_KEY", family="ai"),
    # --- chat ---
    T(
        "slack-bot-token",
        lambda r: f"xoxb-{r.randrange(10**10, 10**12)}-{r.randrange(10**11, 10**13)}-" + rs(r, ALNUM, 24),
        "SLACK_BOT_TOKEN",
        "SLACK_TOKEN",
        family="chat",
    ),
    T("slack-user-token", _slack_user, "SLACK_USER_TOKEN", family="chat"),
    T(
        "slack-app-token",
        lambda r: f"xapp-1-A{rs(r, UPPER + DIGITS, 10)}-{r.randrange(10**12, 10**13)}-" + rs(r, HEX, 64),
        "SLACK_APP_TOKEN",
        family="chat",
    ),
    T("slack-webhook-url", _slack_webhook, "SLACK_WEBHOOK_URL", "ALERT_WEBHOOK", family="chat"),
    T("discord-webhook-url", _discord_webhook, "DISCORD_WEBHOOK_URL", family="chat"),
    T("discord-bot-token", gen_discord_bot, "DISCORD_BOT_TOKEN", "DISCORD_TOKEN", family="chat"),
    T("telegram-bot-token", _telegram, "TELEGRAM_BOT_TOKEN", "TG_BOT_TOKEN", family="chat"),
    T("teams-webhook-url", _teams, "TEAMS_WEBHOOK_URL", family="chat"),
    T(
        "mattermost-webhook-url",
        lambda r: "https://chat.example-corp.com/hooks/" + rs(r, LOWER + DIGITS, 26),
        "MATTERMOST_WEBHOOK_URL",
        family="chat",
    ),
    T(
        "zapier-webhook-url",
        lambda r: (
            f"https://hooks.zapier.com/hooks/catch/{r.randrange(10**6, 10**8)}/{rs(r, LOWER + DIGITS, 7)}/"
        ),
        "ZAPIER_HOOK_URL",
        family="chat",
    ),
    # --- payments / commerce ---
    T(
        "stripe-live-secret-key",
        lambda r: "sk_live_" + rs(r, ALNUM, r.choice([24, 99])),
        "STRIPE_SECRET_KEY",
        "STRIPE_API_KEY",
        family="payments",
    ),
    T(
        "stripe-test-secret-key",
        lambda r: "sk_test_" + rs(r, ALNUM, r.choice([24, 99])),
        "STRIPE_SECRET_KEY",
        family="payments",
    ),
    T(
        "stripe-restricted-key",
        lambda r: "rk_live_" + rs(r, ALNUM, r.choice([24, 99])),
        "STRIPE_RESTRICTED_KEY",
        family="payments",
    ),
    T(
        "stripe-webhook-secret",
        lambda r: "whsec_" + rs(r, ALNUM, 32),
        "STRIPE_WEBHOOK_SECRET",
        family="payments",
    ),
    T("square-access-token", lambda r: "EAAA" + rs(r, URLSAFE, 60), "SQUARE_ACCESS_TOKEN", family="payments"),
    T(
        "square-oauth-secret",
        lambda r: "sq0csp-" + rs(r, URLSAFE, 43),
        "SQUARE_APPLICATION_SECRET",
        family="payments",
    ),
    T(
        "braintree-access-token",
        lambda r: f"access_token$production${rs(r, LOWER + DIGITS, 16)}$" + rs(r, HEX, 32),
        "BRAINTREE_ACCESS_TOKEN",
        family="payments",
    ),
    T("flutterwave-secret-key", lambda r: f"FLWSECK-{rs(r, HEX, 32)}-X", "FLW_SECRET_KEY", family="payments"),
    T("paystack-secret-key", lambda r: "sk_live_" + rs(r, HEX, 40), "PAYSTACK_SECRET_KEY", family="payments"),
    T("plaid-secret", lambda r: rs(r, HEX, 30), "PLAID_SECRET", family="payments"),
    T("shopify-access-token", lambda r: "shpat_" + rs(r, HEX, 32), "SHOPIFY_ACCESS_TOKEN", family="payments"),
    T("shopify-shared-secret", lambda r: "shpss_" + rs(r, HEX, 32), "SHOPIFY_API_SECRET", family="payments"),
    T(
        "shopify-custom-app-token",
        lambda r: "shpca_" + rs(r, HEX, 32),
        "SHOPIFY_APP_TOKEN",
        family="payments",
    ),
    T(
        "woocommerce-consumer-secret",
        lambda r: "cs_" + rs(r, HEX, 40),
        "WOOCOMMERCE_CONSUMER_SECRET",
        "WC_CONSUMER_SECRET",
        family="payments",
    ),
    T("bitcoin-wif-private-key", gen_wif, "BTC_WALLET_WIF", "HOT_WALLET_PRIVATE_KEY", family="crypto"),
    T(
        "ethereum-private-key",
        lambda r: "0x" + rs(r, HEX, 64),
        "DEPLOYER_PRIVATE_KEY",
        "ETH_PRIVATE_KEY",
        family="crypto",
    ),
    # --- package registries / CI ---
    T(
        "npm-access-token",
        lambda r: crc32_token(r, "npm_"),
        "NPM_TOKEN",
        "NODE_AUTH_TOKEN",
        family="registry",
    ),
    T(
        "pypi-api-token",
        lambda r: "pypi-AgEIcHlwaS5vcmc" + rs(r, URLSAFE, r.randrange(70, 160)),
        "PYPI_TOKEN",
        "TWINE_PASSWORD",
        family="registry",
    ),
    T("rubygems-api-key", lambda r: "rubygems_" + rs(r, HEX, 48), "GEM_HOST_API_KEY", family="registry"),
    T("nuget-api-key", lambda r: "oy2" + rs(r, LOWER + DIGITS, 43), "NUGET_API_KEY", family="registry"),
    T(
        "dockerhub-pat",
        lambda r: "dckr_pat_" + rs(r, URLSAFE, 27),
        "DOCKERHUB_TOKEN",
        "DOCKER_PASSWORD",
        family="registry",
    ),
    T("artifactory-api-key", lambda r: "AKCp" + rs(r, ALNUM, 69), "ARTIFACTORY_API_KEY", family="registry"),
    T(
        "jfrog-identity-token",
        lambda r: "cmVmdGtuOjAxOjE3" + rs(r, B64, 48),
        "JFROG_ACCESS_TOKEN",
        family="registry",
    ),
    T("crates-io-token", lambda r: "cio" + rs(r, ALNUM, 32), "CARGO_REGISTRY_TOKEN", family="registry"),
    T(
        "clojars-token",
        lambda r: "CLOJARS_" + rs(r, LOWER + DIGITS, 60),
        "CLOJARS_DEPLOY_TOKEN",
        family="registry",
    ),
    T(
        "sonarqube-token",
        lambda r: r.choice(["squ_", "sqp_", "sqa_"]) + rs(r, HEX, 40),
        "SONAR_TOKEN",
        family="ci",
    ),
    T(
        "circleci-pat",
        lambda r: "CCIPAT_" + rs(r, ALNUM, 22) + "_" + rs(r, HEX, 40),
        "CIRCLECI_TOKEN",
        family="ci",
    ),
    T("buildkite-token", lambda r: "bkua_" + rs(r, HEX, 40), "BUILDKITE_API_TOKEN", family="ci"),
    T("octopus-deploy-api-key", lambda r: "API-" + rs(r, UPPER + DIGITS, 26), "OCTOPUS_API_KEY", family="ci"),
    T(
        "harness-pat",
        lambda r: f"pat.{rs(r, URLSAFE, 22)}.{rs(r, ALNUM, 24)}.{rs(r, ALNUM, 20)}",
        "HARNESS_API_KEY",
        family="ci",
    ),
    SecretType(
        "docker-config-auth",
        _docker_config,
        ("DOCKER_AUTH_CONFIG",),
        "registry",
        shape="json-doc",
        contexts=("json", "k8s", "env"),
    ),
    # --- SaaS ---
    T(
        "sendgrid-api-key",
        lambda r: f"SG.{rs(r, URLSAFE, 22)}.{rs(r, URLSAFE, 43)}",
        "SENDGRID_API_KEY",
        family="saas",
    ),
    T("twilio-api-key", lambda r: "SK" + rs(r, HEX, 32), "TWILIO_API_KEY", family="saas"),
    T("twilio-auth-token", lambda r: rs(r, HEX, 32), "TWILIO_AUTH_TOKEN", family="saas"),
    T("mailgun-api-key", lambda r: "key-" + rs(r, HEX, 32), "MAILGUN_API_KEY", family="saas"),
    T("mailchimp-api-key", _mailchimp, "MAILCHIMP_API_KEY", family="saas"),
    T(
        "brevo-api-key",
        lambda r: f"xkeysib-{rs(r, HEX, 64)}-{rs(r, ALNUM, 16)}",
        "BREVO_API_KEY",
        "SENDINBLUE_API_KEY",
        family="saas",
    ),
    T("mailersend-api-key", lambda r: "mlsn." + rs(r, HEX, 64), "MAILERSEND_API_KEY", family="saas"),
    T(
        "resend-api-key",
        lambda r: f"re_{rs(r, ALNUM, 8)}_{rs(r, ALNUM, 24)}",
        "RESEND_API_KEY",
        family="saas",
    ),
    T("hubspot-private-app-token", lambda r: "pat-na1-" + ruuid(r), "HUBSPOT_ACCESS_TOKEN", family="saas"),
    T(
        "atlassian-api-token",
        lambda r: "ATATT3xFfGF0" + rs(r, URLSAFE, 170) + "=" + rs(r, UHEX, 8),
        "JIRA_API_TOKEN",
        "CONFLUENCE_TOKEN",
        family="saas",
    ),
    T("linear-api-key", lambda r: "lin_api_" + rs(r, ALNUM, 40), "LINEAR_API_KEY", family="saas"),
    T("notion-integration-token", lambda r: "secret_" + rs(r, ALNUM, 43), "NOTION_TOKEN", family="saas"),
    T(
        "asana-pat",
        lambda r: f"1/{r.randrange(10**15, 10**16)}:{rs(r, HEX, 32)}",
        "ASANA_ACCESS_TOKEN",
        family="saas",
    ),
    T("airtable-pat", lambda r: f"pat{rs(r, ALNUM, 14)}.{rs(r, HEX, 64)}", "AIRTABLE_API_KEY", family="saas"),
    T("figma-pat", lambda r: "figd_" + rs(r, URLSAFE, 40), "FIGMA_TOKEN", family="saas"),
    T(
        "postman-api-key",
        lambda r: f"PMAK-{rs(r, HEX, 24)}-{rs(r, HEX, 34)}",
        "POSTMAN_API_KEY",
        family="saas",
    ),
    T(
        "okta-api-token",
        lambda r: "00" + rs(r, URLSAFE, 40),
        "OKTA_API_TOKEN",
        "OKTA_CLIENT_TOKEN",
        family="saas",
    ),
    T("dropbox-access-token", lambda r: "sl." + rs(r, URLSAFE, 135), "DROPBOX_ACCESS_TOKEN", family="saas"),
    T(
        "typeform-token",
        lambda r: "tfp_" + rs(r, URLSAFE, 44) + "_" + rs(r, ALNUM, 14),
        "TYPEFORM_TOKEN",
        family="saas",
    ),
    T("shippo-live-token", lambda r: "shippo_live_" + rs(r, HEX, 40), "SHIPPO_API_TOKEN", family="saas"),
    T("easypost-api-key", lambda r: "EZAK" + rs(r, ALNUM, 54), "EASYPOST_API_KEY", family="saas"),
    T(
        "planetscale-token",
        lambda r: "pscale_tkn_" + rs(r, URLSAFE, 43),
        "PLANETSCALE_SERVICE_TOKEN",
        family="saas",
    ),
    T(
        "planetscale-password",
        lambda r: "pscale_pw_" + rs(r, URLSAFE, 43),
        "DATABASE_PASSWORD",
        family="saas",
    ),
    T("supabase-access-token", lambda r: "sbp_" + rs(r, HEX, 40), "SUPABASE_ACCESS_TOKEN", family="saas"),
    T("prefect-api-key", lambda r: "pnu_" + rs(r, ALNUM, 36), "PREFECT_API_KEY", family="saas"),
    T("readme-api-key", lambda r: "rdme_" + rs(r, LOWER + DIGITS, 70), "README_API_KEY", family="saas"),
    T(
        "duffel-live-token",
        lambda r: "duffel_live_" + rs(r, URLSAFE, 43),
        "DUFFEL_ACCESS_TOKEN",
        family="saas",
    ),
    T("frameio-token", lambda r: "fio-u-" + rs(r, URLSAFE, 64), "FRAMEIO_TOKEN", family="saas"),
    T(
        "zoho-oauth-token",
        lambda r: f"1000.{rs(r, HEX, 32)}.{rs(r, HEX, 32)}",
        "ZOHO_ACCESS_TOKEN",
        family="saas",
    ),
    T("adafruit-io-key", lambda r: "aio_" + rs(r, ALNUM, 28), "ADAFRUIT_IO_KEY", family="saas"),
    T(
        "posthog-personal-api-key",
        lambda r: "phx_" + rs(r, ALNUM, 43),
        "POSTHOG_PERSONAL_API_KEY",
        family="saas",
    ),
    T("mapbox-secret-token", _mapbox_secret, "MAPBOX_SECRET_TOKEN", "MAPBOX_DOWNLOADS_TOKEN", family="saas"),
    T("algolia-admin-key", lambda r: rs(r, HEX, 32), "ALGOLIA_ADMIN_API_KEY", family="saas"),
    T("fastly-api-token", lambda r: rs(r, URLSAFE, 32), "FASTLY_API_TOKEN", family="saas"),
    T(
        "ngrok-authtoken",
        lambda r: "2" + rs(r, ALNUM, 26) + "_" + rs(r, ALNUM, 21),
        "NGROK_AUTHTOKEN",
        family="saas",
    ),
    T(
        "tailscale-auth-key",
        lambda r: f"tskey-auth-{rs(r, ALNUM, 16)}-{rs(r, ALNUM, 32)}",
        "TS_AUTHKEY",
        family="saas",
    ),
    T("render-api-key", lambda r: "rnd_" + rs(r, ALNUM, 32), "RENDER_API_KEY", family="saas"),
    T("infracost-api-key", lambda r: "ico-" + rs(r, ALNUM, 32), "INFRACOST_API_KEY", family="saas"),
    T("launchdarkly-api-key", lambda r: "api-" + ruuid(r), "LAUNCHDARKLY_ACCESS_TOKEN", family="saas"),
    T("twitter-bearer-token", _twitter_bearer, "TWITTER_BEARER_TOKEN", family="saas"),
    T("facebook-access-token", lambda r: "EAAG" + rs(r, ALNUM, 160), "FB_ACCESS_TOKEN", family="saas"),
    T("scalingo-api-token", lambda r: "tk-us-" + rs(r, URLSAFE, 48), "SCALINGO_API_TOKEN", family="saas"),
    # --- databases and URLs with passwords ---
    SecretType(
        "postgres-uri-password",
        _uri("postgresql", 5432, "/orders?sslmode=require"),
        ("DATABASE_URL", "POSTGRES_DSN"),
        "database",
        shape="uri",
        percent_ok=True,
    ),
    SecretType(
        "mysql-uri-password",
        _uri("mysql", 3306, "/shop"),
        ("MYSQL_URL", "DATABASE_URL"),
        "database",
        shape="uri",
        percent_ok=True,
    ),
    SecretType(
        "mongodb-uri-password",
        _uri("mongodb+srv", 27017, "/app?retryWrites=true&w=majority"),
        ("MONGODB_URI", "MONGO_URL"),
        "database",
        shape="uri",
        percent_ok=True,
    ),
    SecretType(
        "redis-uri-password",
        _uri("rediss", 6380, "/0"),
        ("REDIS_URL", "CACHE_URL"),
        "database",
        shape="uri",
        percent_ok=True,
    ),
    SecretType(
        "amqp-uri-password",
        _uri("amqps", 5671, "/vhost"),
        ("RABBITMQ_URL", "BROKER_URL"),
        "database",
        shape="uri",
        percent_ok=True,
    ),
    SecretType("jdbc-password", _jdbc, ("JDBC_URL", "SPRING_DATASOURCE_URL"), "database", shape="uri"),
    SecretType(
        "adonet-password", _adonet, ("CONNECTION_STRING", "SQL_CONNECTION_STRING"), "database", shape="uri"
    ),
    SecretType(
        "https-basic-auth-password",
        _basic_url,
        ("REPO_URL", "PIP_INDEX_URL", "REGISTRY_URL"),
        "url",
        shape="uri",
        percent_ok=True,
    ),
    SecretType("smtp-uri-password", _smtp, ("SMTP_URL", "EMAIL_URL"), "url", shape="uri", percent_ok=True),
    SecretType("ftp-uri-password", _ftp, ("FTP_URL",), "url", shape="uri", percent_ok=True),
    # --- generic, keyword-anchored ---
    SecretType(
        "generic-password",
        _pct_token(_password),
        ("DB_PASSWORD", "ADMIN_PASSWORD", "SMTP_PASSWORD", "LDAP_BIND_PASSWORD", "KEYSTORE_PASSWORD"),
        "generic",
        percent_ok=True,
    ),
    SecretType(
        "generic-client-secret",
        _pct_token(_client_secret),
        ("CLIENT_SECRET", "OAUTH_CLIENT_SECRET", "AUTH0_CLIENT_SECRET", "KEYCLOAK_CLIENT_SECRET"),
        "generic",
        percent_ok=True,
    ),
    T(
        "generic-signing-secret",
        lambda r: rs(r, HEX, 64),
        "JWT_SECRET",
        "SESSION_SECRET",
        "SECRET_KEY_BASE",
        "HMAC_SECRET",
        family="generic",
    ),
    T("django-secret-key", _django, "SECRET_KEY", "DJANGO_SECRET_KEY", family="generic"),
    T("jwt", gen_jwt, "AUTH_TOKEN", "SERVICE_JWT", "BEARER_TOKEN", "ACCESS_TOKEN", family="tokens"),
    T("age-secret-key", gen_age, "SOPS_AGE_KEY", family="crypto"),
    T("wireguard-private-key", _wireguard, "WG_PRIVATE_KEY", family="crypto"),
    # --- private keys (multi-line) ---
    _pem("rsa-private-key", gen_rsa_key, "TLS_KEY", "SSH_PRIVATE_KEY", "JWT_SIGNING_KEY"),
    _pem("ec-private-key", gen_ec_key, "TLS_PRIVATE_KEY", "APNS_KEY"),
    _pem("dsa-private-key", gen_dsa_key, "LEGACY_SSH_KEY"),
    _pem("openssh-private-key", gen_openssh_key, "DEPLOY_KEY", "SSH_PRIVATE_KEY"),
    _pem("pkcs8-private-key", gen_pkcs8_key, "PRIVATE_KEY", "SIGNING_KEY"),
    _pem("encrypted-private-key", gen_encrypted_key, "ENCRYPTED_KEY"),
    _pem("pgp-private-key", gen_pgp_key, "GPG_PRIVATE_KEY", "SIGNING_GPG_KEY"),
]


def by_name() -> dict[str, SecretType]:
    return {t.name: t for t in TYPES}
