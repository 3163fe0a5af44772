"""Hard negatives: values that look like secrets, sit where secrets sit, and are not secrets.

Kinds (as named in the benchmark issue): placeholder, doc-example, hash, public-key, encrypted,
publishable, natural-language, variable-reference, fake-fixture, base64-text, bad-checksum.
Each generator takes the file's context, so an expression (``os.environ["X"]``,
``process.env.X``, ``var.x``) only appears where that language would have it.
"""

from __future__ import annotations

import base64
import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from contexts import BLOCK_OK, Slot
from formats import (
    ALNUM,
    B64,
    HEX,
    URLSAFE,
    b64,
    b64url,
    base62,
    bech32_encode,
    der,
    der_int,
    der_oid,
    der_seq,
    gen_wif,
    pem,
    rand_int,
    rbytes,
    rs,
    ruuid,
)

KINDS = [
    "placeholder",
    "doc-example",
    "hash",
    "public-key",
    "encrypted",
    "publishable",
    "natural-language",
    "variable-reference",
    "fake-fixture",
    "base64-text",
    "bad-checksum",
]

CODE = {"python", "js", "ts", "go", "terraform"}

# Secret-ish names: a hard negative sits under the same names real secrets use.
SECRET_NAMES = [
    "DB_PASSWORD", "API_KEY", "API_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "STRIPE_SECRET_KEY",
    "CLIENT_SECRET", "AUTH_TOKEN", "SECRET_KEY", "SLACK_TOKEN", "ACCESS_TOKEN", "PRIVATE_KEY", "NPM_TOKEN",
    "ADMIN_PASSWORD", "SMTP_PASSWORD", "OPENAI_API_KEY", "SENDGRID_API_KEY", "JWT_SECRET", "PASSWORD",
    "REDIS_PASSWORD", "DATADOG_API_KEY", "TWILIO_AUTH_TOKEN",
]  # fmt: skip


@dataclass(frozen=True)
class Neg:
    kind: str
    slot: Slot
    value: str  # what a scanner might report


Gen = Callable[[random.Random, str], list[Neg] | None]


def _name(rng: random.Random) -> str:
    return rng.choice(SECRET_NAMES)


def _ml(ctx: str) -> str:
    return "block" if ctx in BLOCK_OK else "escaped"


def _one(kind: str, name: str, value: str, raw: bool = False, ml: str = "block") -> list[Neg]:
    return [Neg(kind, Slot(name, value, raw=raw, ml=ml), value)]


# --- placeholder ------------------------------------------------------------------------------


def placeholder(rng: random.Random, ctx: str) -> list[Neg] | None:
    name = _name(rng)
    expr = {
        "python": f'os.environ["{name}"]',
        "js": f"process.env.{name}",
        "ts": f"process.env.{name}",
        "go": f'os.Getenv("{name}")',
    }
    if ctx in expr and rng.random() < 0.5:
        return _one("placeholder", name, expr[ctx], raw=True)
    if ctx in ("yaml", "k8s") and rng.random() < 0.4:
        return _one("placeholder", name, f"{{{{ .Values.{name.lower().replace('_', '.')} }}}}")
    choices = [
        "changeme", "CHANGEME", "<token>", f"<{name.lower().replace('_', '-')}>", f"${{{name}}}", "xxxx",
        "x" * rng.choice([16, 32, 40]), "your_api_key", "your-secret-here", "REPLACE_ME", "TODO",
        "********", f"<YOUR_{name}>", "insert-token-here", f"{name.lower()}_goes_here", "PLACEHOLDER",
        "dummy", "<redacted>", "sk_live_" + "x" * 24, "ghp_" + "X" * 36,
    ]  # fmt: skip
    return _one("placeholder", name, rng.choice(choices))


# --- doc-example ------------------------------------------------------------------------------

# Well-known documentation values, assembled from pieces so this source file itself never
# contains them whole (the project scans its own tree).
AWS_EXAMPLE_ID = "AKIA" + "IOSFODNN7" + "EXAMPLE"
AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCY" + "EXAMPLEKEY"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" + "K1SZFPTOtr/KBHBeksoGMGw=="


def _jwt_io_example() -> str:
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(
        json.dumps(
            {"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, separators=(",", ":")
        ).encode()
    )
    return f"{head}.{body}." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


def doc_example(rng: random.Random, ctx: str) -> list[Neg] | None:
    pick = rng.randrange(6)
    if pick <= 1:
        return [
            Neg("doc-example", Slot("AWS_ACCESS_KEY_ID", AWS_EXAMPLE_ID), AWS_EXAMPLE_ID),
            Neg("doc-example", Slot("AWS_SECRET_ACCESS_KEY", AWS_EXAMPLE_SECRET), AWS_EXAMPLE_SECRET),
        ]
    if pick == 2:
        return _one("doc-example", "DATABASE_URL", rng.choice([
            "postgres://user:password@localhost:5432/mydb",
            "postgresql://username:password@localhost/dbname",
            "mysql://root:password@127.0.0.1:3306/test",
            "mongodb://username:password@localhost:27017/admin",
        ]))  # fmt: skip
    if pick == 3:
        return _one(
            "doc-example",
            "AZURE_STORAGE_CONNECTION_STRING",
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
            + AZURITE_KEY
            + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        )
    if pick == 4:
        return _one("doc-example", "EXAMPLE_JWT", _jwt_io_example())
    return _one("doc-example", "REPO_URL", rng.choice([
        "https://user:pass@example.com/repo.git",
        "https://username:password@example.com/",
        "ftp://anonymous:guest@ftp.example.org/pub",
    ]))  # fmt: skip


# --- hash / checksum ----------------------------------------------------------------------------


def _bcrypt(rng: random.Random) -> str:
    alphabet = "./" + ALNUM
    return f"$2b${rng.choice(['10', '12'])}$" + "".join(rng.choice(alphabet) for _ in range(53))


def hash_value(rng: random.Random, ctx: str) -> list[Neg] | None:
    pick = rng.randrange(9)
    if pick == 0:
        return _one("hash", "INTEGRITY", "sha512-" + b64(rbytes(rng, 64)))
    if pick == 1:
        return _one("hash", "GO_SUM", "h1:" + b64(rbytes(rng, 32)))
    if pick == 2:
        return _one(
            "hash",
            rng.choice(["COMMIT_SHA", "GIT_REVISION", "PINNED_REF", "SOURCE_VERSION"]),
            rs(rng, HEX, 40),
        )
    if pick == 3:
        return _one(
            "hash", rng.choice(["TENANT_ID", "REQUEST_ID", "SUBSCRIPTION_ID", "CLIENT_ID"]), ruuid(rng)
        )
    if pick == 4:
        return _one(
            "hash",
            rng.choice(["CHECKSUM", "ARCHIVE_SHA256", "API_KEY_SHA256", "TOKEN_DIGEST"]),
            rs(rng, HEX, 64),
        )
    if pick == 5:
        return _one(
            "hash",
            rng.choice(["IMAGE", "BASE_IMAGE"]),
            f"registry.example-corp.com/base@sha256:{rs(rng, HEX, 64)}",
        )
    if pick == 6:
        return _one("hash", rng.choice(["PASSWORD_HASH", "ADMIN_PASSWORD_BCRYPT"]), _bcrypt(rng))
    if pick == 7:
        return _one("hash", rng.choice(["ETAG", "CONTENT_MD5", "SECRET_FINGERPRINT"]), rs(rng, HEX, 32))
    return _one("hash", "SOURCE_CODE_HASH", b64(rbytes(rng, 32)))


# --- public keys and certificates -----------------------------------------------------------------


def _ssh_str(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def ssh_rsa_pub(rng: random.Random) -> str:
    n = rand_int(rng, 2048).to_bytes(257, "big")
    blob = _ssh_str(b"ssh-rsa") + _ssh_str(b"\x01\x00\x01") + _ssh_str(n)
    return f"ssh-rsa {b64(blob)} {rng.choice(['deploy', 'ci', 'ops'])}@example-corp.com"


def ssh_ed25519_pub(rng: random.Random) -> str:
    blob = _ssh_str(b"ssh-ed25519") + _ssh_str(rbytes(rng, 32))
    return f"ssh-ed25519 {b64(blob)} {rng.choice(['alice', 'bob', 'build'])}@example-corp.com"


def spki_pem(rng: random.Random) -> str:
    rsa = der_seq(der_int(rand_int(rng, 2048)), der_int(65537))
    alg = der_seq(der_oid("1.2.840.113549.1.1.1"), b"\x05\x00")
    return pem("PUBLIC KEY", der_seq(alg, der(0x03, b"\x00" + rsa)))


def cert_pem(rng: random.Random) -> str:
    sha256_rsa = der_seq(der_oid("1.2.840.113549.1.1.11"), b"\x05\x00")
    tbs = der_seq(
        der(0xA0, der_int(2)),
        der_int(rand_int(rng, 64)),
        sha256_rsa,
        der(0x30, rbytes(rng, 700)),  # issuer, validity, subject, key: opaque here
    )
    return pem("CERTIFICATE", der_seq(tbs, sha256_rsa, der(0x03, b"\x00" + rbytes(rng, 256))))


def public_key(rng: random.Random, ctx: str) -> list[Neg] | None:
    pick = rng.randrange(7)
    if pick == 0:
        return _one("public-key", "SSH_PUBLIC_KEY", ssh_rsa_pub(rng))
    if pick == 1:
        return _one("public-key", "AUTHORIZED_KEY", ssh_ed25519_pub(rng))
    if pick == 2:
        return _one("public-key", rng.choice(["PUBLIC_KEY", "JWT_PUBLIC_KEY"]), spki_pem(rng), ml=_ml(ctx))
    if pick == 3:
        return _one(
            "public-key",
            rng.choice(["TLS_CERT", "CA_CERT", "CLIENT_CERTIFICATE"]),
            cert_pem(rng),
            ml=_ml(ctx),
        )
    if pick == 4:
        return _one("public-key", "AGE_RECIPIENT", bech32_encode("age", rbytes(rng, 32)))
    if pick == 5:
        return _one("public-key", "WG_PEER_PUBLIC_KEY", b64(rbytes(rng, 32)))
    body = b64(b"\xc6\x8d\x04" + rbytes(rng, 400))
    block = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return _one(
        "public-key",
        "GPG_PUBLIC_KEY",
        f"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{block}\n=AbCd\n-----END PGP PUBLIC KEY BLOCK-----",
        ml=_ml(ctx),
    )


# --- encrypted ---------------------------------------------------------------------------------


def sops_value(rng: random.Random) -> str:
    return (
        f"ENC[AES256_GCM,data:{b64(rbytes(rng, rng.randint(12, 48)))},iv:{b64(rbytes(rng, 32))},"
        f"tag:{b64(rbytes(rng, 16))},type:str]"
    )


def ansible_vault(rng: random.Random) -> str:
    body = rs(rng, HEX, 80 * rng.randint(4, 8))
    return "$ANSIBLE_VAULT;1.1;AES256\n" + "\n".join(body[i : i + 80] for i in range(0, len(body), 80))


def encrypted(rng: random.Random, ctx: str) -> list[Neg] | None:
    name = _name(rng)
    pick = rng.randrange(6)
    if pick <= 1:
        return _one("encrypted", name, sops_value(rng))
    if pick == 2:
        if ctx not in ("yaml", "k8s", "markdown", "shell", "python", "ini"):
            return _one("encrypted", name, sops_value(rng))
        return _one("encrypted", name, ansible_vault(rng), ml=_ml(ctx))
    if pick == 3:
        return _one("encrypted", name, f"vault:v1:{b64(rbytes(rng, 48))}")
    if pick == 4:
        return _one("encrypted", name, "AgB" + rs(rng, B64, 300) + "==")
    return _one("encrypted", name, f"ENC({b64(rbytes(rng, 32))})")


# --- publishable -------------------------------------------------------------------------------


def publishable(rng: random.Random, ctx: str) -> list[Neg] | None:
    pick = rng.randrange(7)
    if pick <= 1:
        return _one(
            "publishable",
            "STRIPE_PUBLISHABLE_KEY",
            rng.choice(["pk_live_", "pk_test_"]) + rs(rng, ALNUM, rng.choice([24, 99])),
        )
    if pick == 2:
        doc = {
            "u": rng.choice(["acme-maps", "fleet-ui"]),
            "a": rs(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 25),
        }
        return _one(
            "publishable",
            "MAPBOX_ACCESS_TOKEN",
            "pk." + b64url(json.dumps(doc, separators=(",", ":")).encode()) + "." + rs(rng, URLSAFE, 22),
        )
    if pick == 3:
        return _one("publishable", "POSTHOG_PROJECT_API_KEY", "phc_" + rs(rng, ALNUM, 43))
    if pick == 4:
        return _one(
            "publishable",
            "SENTRY_DSN",
            f"https://{rs(rng, HEX, 32)}@o{rng.randrange(10**5, 10**7)}.ingest.sentry.io/"
            f"{rng.randrange(10**5, 10**7)}",
        )
    if pick == 5:
        return _one("publishable", "RECAPTCHA_SITE_KEY", "6L" + rs(rng, URLSAFE, 38))
    return _one("publishable", "ALGOLIA_SEARCH_ONLY_API_KEY", rs(rng, HEX, 32))


# --- natural language ------------------------------------------------------------------------


def natural_language(rng: random.Random, ctx: str) -> list[Neg] | None:
    pairs = [
        ("PASSWORD_HINT", "use the one from the vault"),
        ("SECRET_QUESTION", "What was the name of your first pet?"),
        ("API_KEY_HELP", "Create a key under Settings > API and paste it here"),
        ("TOKEN_DESCRIPTION", "Personal access token for the release bot"),
        ("PASSWORD_POLICY", "at least twelve characters including a digit"),
        ("PASSWORD_RESET_MESSAGE", "Your password has been changed successfully"),
        ("SECRET_NAME", "prod/payments/stripe-webhook-signing"),
        ("TOKEN_URL", "https://oauth2.googleapis.com/token"),
        ("API_KEY_HEADER", "X-Api-Key"),
        ("PASSWORD_FIELD_LABEL", "Enter_your_account_password"),
        ("CLIENT_SECRET_LOCATION", "stored-in-aws-secrets-manager"),
        ("AUTH_TOKEN_TTL", "fifteen-minutes-then-refresh"),
        ("SECRET_ROTATION", "rotated automatically every ninety days"),
        ("PRIVATE_KEY_PATH", "/etc/ssl/private/server.key"),
        ("ACCESS_TOKEN_COOKIE_NAME", "__Host-access-token"),
        ("PASSWORD_MIN_LENGTH_MESSAGE", "PasswordTooShortPleaseTryAgain"),
    ]
    name, value = rng.choice(pairs)
    return _one("natural-language", name, value)


# --- variable references -------------------------------------------------------------------------


def variable_reference(rng: random.Random, ctx: str) -> list[Neg] | None:
    name = _name(rng)
    low = name.lower()
    by_ctx: dict[str, list[str]] = {
        "python": [
            f'config.get("{low}")',
            f"settings.{name}",
            f'get_secret("{low.replace("_", "-")}")',
            f"self._{low}",
            f'vault_client.read("secret/data/app")["data"]["{low}"]',
        ],
        "js": [
            f"config.get('{low.replace('_', '.')}')",
            f"this.options.{low}",
            f"await secrets.get('{low}')",
        ],
        "ts": [f"config.get<string>('{low.replace('_', '.')}')", f"this.options.{low}!"],
        "go": [f"cfg.{''.join(p.capitalize() for p in low.split('_'))}", f'viper.GetString("{low}")'],
        "terraform": [
            f"var.{low}",
            "random_password.db.result",
            "data.aws_secretsmanager_secret_version.db.secret_string",
        ],
    }
    if ctx in by_ctx:
        return _one("variable-reference", name, rng.choice(by_ctx[ctx]), raw=True)
    literal = [
        f"${name}",
        f"${{{name}}}",
        f"$({low.upper()})",
        f"/run/secrets/{low}",
        f"$(cat /run/secrets/{low})",
        f"${{env.{name}}}",
        f"%({low})s",
        f"${{vault.{low.replace('_', '.')}}}",
    ]
    if ctx in ("yaml",):
        literal += [f"${{{{ secrets.{name} }}}}", f"{{{{ vault_{low} }}}}"]
    return _one("variable-reference", name, rng.choice(literal))


# --- obviously fake test fixtures -----------------------------------------------------------------


def fake_fixture(rng: random.Random, ctx: str) -> list[Neg] | None:
    name = "TEST_" + _name(rng)
    choices = [
        "sk_test_" + "x" * 24,
        "sk_test_" + "X" * 24,
        "ghp_" + "0" * 36,
        "ghp_" + "x" * 36,
        "AKIA" + "X" * 16,
        "AKIA" + "0" * 16,
        "xoxb-" + "0" * 12 + "-" + "0" * 13 + "-" + "x" * 24,
        "npm_" + "a" * 36,
        "glpat-" + "x" * 20,
        "sk-" + "x" * 48,
        "AIza" + "0" * 35,
        "password123",
        "hunter2hunter2",
        "P@ssw0rd",
        "test-secret-do-not-use",
        "fake_token_for_tests_only",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n<redacted>\n-----END PRIVATE KEY-----",
        "0123456789abcdef0123456789abcdef",
        "abcdefghijklmnopqrstuvwxyz123456",
    ]
    value = rng.choice(choices)
    return _one("fake-fixture", name, value, ml=_ml(ctx))


# --- base64 of non-secret text ------------------------------------------------------------------


def base64_text(rng: random.Random, ctx: str) -> list[Neg] | None:
    texts = [
        "Welcome to the staging cluster. Please be gentle.",
        "hello world, this is not a secret",
        "log_level: info\nretries: 3\nregion: eu-west-1\n",
        '{"feature_flags": {"new_checkout": true, "dark_mode": false}}',
        "admin",
        "readonly-service-user",
        "The quick brown fox jumps over the lazy dog",
        "#!/bin/sh\necho starting\nexec /app/server --port 8080\n",
    ]
    text = rng.choice(texts)
    name = rng.choice(["SECRET_BANNER_B64", "CONFIG_B64", "USERNAME", "BOOTSTRAP_SCRIPT", "API_TOKEN_NOTE"])
    value = base64.b64encode(text.encode()).decode()
    return [Neg("base64-text", Slot(name, value, b64=(ctx == "k8s")), value)]


# --- tokens that fail their checksum ------------------------------------------------------------


def bad_checksum(rng: random.Random, ctx: str) -> list[Neg] | None:
    pick = rng.randrange(5)
    if pick <= 2:
        prefix = rng.choice(["ghp_", "gho_", "ghs_", "npm_"])
        body = rs(rng, ALNUM, 30)
        good = base62(zlib.crc32(body.encode()), 6)
        bad = good
        while bad == good:
            bad = rs(rng, ALNUM, 6)
        name = "NPM_TOKEN" if prefix == "npm_" else "GITHUB_TOKEN"
        return _one("bad-checksum", name, prefix + body + bad)
    if pick == 3:
        wif = gen_wif(rng)
        i = rng.randrange(5, len(wif) - 1)
        swapped = "2" if wif[i] != "2" else "3"
        return _one("bad-checksum", "BTC_WALLET_WIF", wif[:i] + swapped + wif[i + 1 :])
    header = b64url(b'{"alg":"HS256","typ":"JWT"')  # truncated: not JSON
    payload = b64url(json.dumps({"sub": ruuid(rng), "iat": 1700000000}).encode())
    return _one("bad-checksum", "AUTH_TOKEN", f"{header}.{payload}.{b64url(rbytes(rng, 32))}")


GENERATORS: dict[str, Gen] = {
    "placeholder": placeholder,
    "doc-example": doc_example,
    "hash": hash_value,
    "public-key": public_key,
    "encrypted": encrypted,
    "publishable": publishable,
    "natural-language": natural_language,
    "variable-reference": variable_reference,
    "fake-fixture": fake_fixture,
    "base64-text": base64_text,
    "bad-checksum": bad_checksum,
}


def make(kind: str, ctx: str, rng: random.Random) -> list[Neg]:
    out = GENERATORS[kind](rng, ctx)
    if not out:
        raise ValueError(f"no {kind} negative for {ctx}")
    if ctx == "minified-js":
        out = [n for n in out if "\n" not in n.value] or placeholder(rng, "js") or []
    return out


# --- whole files of negatives: lock files, checksums, keys -----------------------------------------


def package_lock(rng: random.Random, n: int) -> tuple[str, list[tuple[str, str]]]:
    packages: dict[str, object] = {"": {"name": "web", "version": "1.0.0"}}
    found: list[tuple[str, str]] = []
    for i in range(n):
        name = (
            rng.choice(["left-pad", "lodash", "react", "chalk", "debug", "ms", "semver", "tslib"]) + f"-{i}"
        )
        integrity = "sha512-" + b64(rbytes(rng, 64))
        packages[f"node_modules/{name}"] = {
            "version": f"{rng.randrange(1, 9)}.{rng.randrange(0, 20)}.{rng.randrange(0, 9)}",
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",
            "integrity": integrity,
        }
        found.append(("hash", integrity))
    doc = {"name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages}
    return json.dumps(doc, indent=2) + "\n", found


def go_sum(rng: random.Random, n: int) -> tuple[str, list[tuple[str, str]]]:
    lines, found = [], []
    for i in range(n):
        mod = rng.choice(
            [
                "github.com/pkg/errors",
                "golang.org/x/sys",
                "github.com/spf13/cobra",
                "google.golang.org/grpc",
                "github.com/stretchr/testify",
            ]
        )
        ver = f"v0.{rng.randrange(1, 30)}.{i}"
        h1, h2 = "h1:" + b64(rbytes(rng, 32)), "h1:" + b64(rbytes(rng, 32))
        lines += [f"{mod} {ver} {h1}", f"{mod} {ver}/go.mod {h2}"]
        found += [("hash", h1), ("hash", h2)]
    return "\n".join(lines) + "\n", found


def authorized_keys(rng: random.Random, n: int) -> tuple[str, list[tuple[str, str]]]:
    keys = [ssh_rsa_pub(rng) if rng.random() < 0.5 else ssh_ed25519_pub(rng) for _ in range(n)]
    return "\n".join(keys) + "\n", [("public-key", k) for k in keys]


def requirements_hashes(rng: random.Random, n: int) -> tuple[str, list[tuple[str, str]]]:
    lines, found = [], []
    for i in range(n):
        h = rs(rng, HEX, 64)
        pkg = rng.choice(["requests", "urllib3", "idna", "certifi", "charset-normalizer", "click"])
        lines += [f"{pkg}=={rng.randrange(1, 9)}.{i}.0 \\", f"    --hash=sha256:{h}"]
        found.append(("hash", h))
    return "\n".join(lines) + "\n", found


def sops_file(rng: random.Random, n: int) -> tuple[str, list[tuple[str, str]]]:
    lines, found = [], []
    for _ in range(n):
        v = sops_value(rng)
        lines.append(f"{_name(rng).lower()}: {v}")
        found.append(("encrypted", v))
    lines += [
        "sops:",
        "    kms: []",
        "    age:",
        f"        - recipient: {bech32_encode('age', rbytes(rng, 32))}",
        '    lastmodified: "2024-02-11T10:21:07Z"',
        f"    mac: {sops_value(rng)}",
        "    version: 3.8.1",
    ]
    return "\n".join(lines) + "\n", found


def ansible_vault_file(rng: random.Random, n: int) -> tuple[str, list[tuple[str, str]]]:
    lines, found = ["---"], []
    for _ in range(n):
        v = ansible_vault(rng)
        lines.append(f"vault_{_name(rng).lower()}: !vault |")
        lines += ["  " + ln for ln in v.splitlines()]
        found.append(("encrypted", v))
    return "\n".join(lines) + "\n", found


NATIVE_FILES: dict[str, Callable[[random.Random, int], tuple[str, list[tuple[str, str]]]]] = {
    "web/package-lock.json": package_lock,
    "go.sum": go_sum,
    "deploy/authorized_keys": authorized_keys,
    "requirements.lock": requirements_hashes,
    "secrets/prod.enc.yaml": sops_file,
    "ansible/group_vars/all/vault.yml": ansible_vault_file,
}
