"""The false-positive filters that generic rules use, one table per filter."""

from __future__ import annotations

import pytest

from leaksweep.heuristics import HEURISTICS


def verdict(name: str, secret: str, line: str) -> str | None:
    return HEURISTICS[name](secret, line, line)


@pytest.mark.parametrize(
    ("name", "secret", "line"),
    [
        ("placeholder", "${DB_PASSWORD}", 'password: "${DB_PASSWORD}"'),
        ("placeholder", "{{ .Values.token }}", 'token: "{{ .Values.token }}"'),
        ("placeholder", "<your-token>", "token = <your-token>"),
        ("placeholder", "your_api_key_here", 'api_key = "your_api_key_here"'),
        ("placeholder", "xxxxxxxxxxxxxxxx", 'token = "xxxxxxxxxxxxxxxx"'),
        ("placeholder", "changeme123", "password=changeme123"),
        ("placeholder", "MyTestSecret-a1b2c3", '"SecretId": "MyTestSecret-a1b2c3"'),
        ("reference", "os.environ['X']", "password = os.environ['X']"),
        ("reference", "process.env.GITHUB_TOKEN", "token = process.env.GITHUB_TOKEN"),
        ("reference", "DB_PASSWORD_VALUE", "password = DB_PASSWORD_VALUE"),
        ("reference", "key_password", "conn(password=key_password)"),
        ("reference", "eyJOZXh0VG9rZW4iOiBudWxsfQ", '"NextToken": "eyJOZXh0VG9rZW4iOiBudWxsfQ"'),
        ("name", "abcd1234efgh5678ijkl", '"NextToken": "abcd1234efgh5678ijkl"'),
        ("name", "Q2x9mZ81kLq0PaR7", "password_hint = Q2x9mZ81kLq0PaR7"),
        ("hash", "sha512-" + "A" * 40 + "==", "integrity: sha512-" + "A" * 40 + "=="),
        ("hash", "a" * 30 + "0123456789", "commit_sha = " + "a" * 30 + "0123456789"),
        ("encrypted", "ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]", "password: ENC[AES256_GCM,data:abc]"),
        ("encrypted", "vault:v1:Zm9vYmFyYmF6cXV4", "secret = vault:v1:Zm9vYmFyYmF6cXV4"),
        ("public", "pk_live_" + "a1B2" * 6, "stripe_key = pk_live_" + "a1B2" * 6),
        ("public", "q1w2e3r4t5y6u7i8o9p0", "public_key = q1w2e3r4t5y6u7i8o9p0"),
        ("natural-language", "use-the-vault-one", "password = use-the-vault-one"),
        ("path", "config/credentials/prod.json", "secret_file = config/credentials/prod.json"),
        ("path", "arn:aws:iam::aws:policy/IAMUserChangePassword", "x"),
        ("needs-digit", "authorizationScopesList", "token = authorizationScopesList"),
        ("reference", "-2146893773", "SEC_E_BAD_PASSWORD: int = -2146893773"),
        ("path", "localhost:22", "password: localhost:22"),
    ],
)
def test_filter_drops_noise(name: str, secret: str, line: str) -> None:
    assert verdict(name, secret, line) is not None


@pytest.mark.parametrize(
    "secret",
    ["Xk92mQpL0aZr7TbW", "9fQ2/xT+u8mKq1ZpL0aR4bN7cV3wY6eH", "hJ8#kq2!Lm4$Zx9p", "wJ4nR8tY2uI6oP0a"],
)
def test_random_secrets_pass_every_filter(secret: str) -> None:
    line = f'api_secret = "{secret}"'
    assert {n: f(secret, line, line) for n, f in HEURISTICS.items() if f(secret, line, line)} == {}


@pytest.mark.parametrize(
    ("name", "secret", "line"),
    [
        ("fixture", "xoxb-000000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx", "t"),
        ("fixture", "AKIAIOSFODNN7EXAMPLE", "t"),
        ("fixture", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "t"),
        ("hash", "$2b$12$CWrY.O9L..N4Ctn4rxLymFwm.h4Ta2OWxrD8lpSclVonHfl0RUU0.", "x"),
        (
            "hash",
            "LJqtMUYTvjqm5hyHeMpXxmWles+8rr5jx7V2H2cIcoY=",
            'SOURCE_CODE_HASH="LJqtMUYTvjqm5hyHeMpXxmWles+8rr5jx7V2H2cIcoY="',
        ),
        ("natural-language", "V2VsY29tZSB0byB0aGUgc3RhZ2luZyBjbHVzdGVyLg==", "x"),
        (
            "public",
            "e4fe69f76dcb11845a20938177f500a6",
            'algolia-search-only-api-key: "e4fe69f76dcb11845a20938177f500a6"',
        ),
        ("public", "phc_pSPQkGvl3f8ghiRUCU4aI0yHhxXdWFwXBHiHufjEwZ3", "x"),
    ],
)
def test_more_noise_is_dropped(name: str, secret: str, line: str) -> None:
    assert verdict(name, secret, line) is not None


def test_fixture_filter_leaves_key_blocks_alone() -> None:
    block = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAAAAAAAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----"
    )
    assert verdict("fixture", block, "") is None
