"""Precision: a corpus of strings that look like credentials and are not, and the filters behind it.

Every string here must produce no finding. Token-shaped look-alikes are assembled from parts so
this file itself never carries anything a scanner would flag.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasekit.secrets import find_secrets
from releasekit.secrets.filters import is_placeholder, is_placeholder_password, looks_random, shannon_entropy

_rng = random.Random(99)
_HEX = "0123456789abcdef"


def _hex(n: int) -> str:
    return "".join(_rng.choice(_HEX) for _ in range(n))


def _b64(n: int) -> str:
    return base64.b64encode(_rng.randbytes(n)).decode()


HF, GH, AK, SK = "hf" + "_", "gh" + "p_", "AK" + "IA", "sk" + "-"

NEAR_MISSES: dict[str, str] = {
    # Placeholders in token shape.
    "hf-x-run": f"HF_TOKEN = '{HF}{'x' * 34}'",
    "hf-X-run": f"token: {HF}{'X' * 34}",
    "hf-ellipsis": f"export HF_TOKEN={HF}...",
    "hf-your-token": "HF_TOKEN=<your-token>",
    "hf-your-token-here": f"HF_TOKEN={HF}YOUR_TOKEN_HERE",
    "hf-alphabet": f"login(token='{HF}abcdefghijklmnopqrstuvwxyzABCDEFGH')",
    "hf-lowercase-identifier": f"def {HF}transformersconfigurationloaderxyz(): pass",
    "hf-hub-download": "from huggingface_hub import hf_hub_download\nhf_hub_download(repo_id='org/model')",
    "your-key": "api_key = 'YOUR_KEY'",
    "gh-x-run": f"GITHUB_TOKEN={GH}{'x' * 36}",
    "gh-sequence": f"token = '{GH}1234567890abcdefghijklmnopqrstuvwxyz'",
    "gh-fine-grained-x": "github" + "_pat_" + "X" * 22 + "_" + "X" * 59,
    "aws-documented-example": f"aws_access_key_id = {AK}IOSFODNN7EXAMPLE\n"
                              "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
    "aws-x-run": f"key = {AK}{'X' * 16}",
    "openai-ellipsis": f"OPENAI_API_KEY={SK}...",
    "openai-your-key": f"OPENAI_API_KEY={SK}your-key-here",
    "openai-proj-ellipsis": f"OPENAI_API_KEY={SK}proj-...",
    "stripe-test-key": "stripe.api_key = '" + "sk" + "_test_" + "4eC39HqLyjWDarjtT1zdp7dc" + "'",
    "stripe-publishable": "pk" + "_live_" + "51HxYzAbCdEfGhIjKlMnOpQr",
    "slack-x": "xo" + "xb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
    "slack-webhook-x": "https://hooks.slack" + ".com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX",
    "google-x": "AI" + "zaSy" + "X" * 33,
    "wandb-env-reference": "wandb.login(key=os.environ['WANDB_API_KEY'])",
    "wandb-placeholder": "WANDB_API_KEY=your-api-key",
    # Hashes, checksums, identifiers.
    "sha256-lockfile": "\n".join(f'"sha256:{_hex(64)}",' for _ in range(20)),
    "sha256sums": "\n".join(f"{_hex(64)}  model-{i:05d}-of-00163.safetensors" for i in range(20)),
    "sha1-git-shas": "\n".join(f"{_hex(40)} refs/heads/main" for _ in range(20)),
    "git-sha-revision": f"revision: {_hex(40)}  # pinned wandb==0.19 release",
    "wandb-word-and-sha": f"run `wandb login` and then check out commit {_hex(40)}",
    "sri-integrity": '"integrity": "sha512-' + _b64(64) + '"',
    "uuids": "\n".join(str(uuid.UUID(int=_rng.getrandbits(128), version=4)) for _ in range(20)),
    "md5": "\n".join(hashlib.md5(str(i).encode()).hexdigest() for i in range(20)),
    "base64-blob": "weights = '" + _b64(30000) + "'",
    "hex-blob": "0x" + _hex(4096),
    # Keys that are not private, and elided private keys.
    "public-key": "-----BEGIN PUBLIC KEY-----\n" + _b64(300) + "\n-----END PUBLIC KEY-----",
    "certificate": "-----BEGIN CERTIFICATE-----\n" + _b64(600) + "\n-----END CERTIFICATE-----",
    "elided-private-key": "-----BEGIN RSA " + "PRIVATE KEY-----\n...\n-----END RSA " + "PRIVATE KEY-----",
    "placeholder-private-key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n<your key here>\n-----END OPENSSH " + "PRIVATE KEY-----",
    "x-private-key": "-----BEGIN " + "PRIVATE KEY-----\n" + ("X" * 64 + "\n") * 4 + "-----END " + "PRIVATE KEY-----",
    "private-key-heading": "Never commit a file that starts with -----BEGIN " + "PRIVATE KEY-----.",
    # URLs without real credentials.
    "url-user-password": "https://user:password@host.internal/path",
    "url-env-reference": "postgres://user:${DB_PASSWORD}@db:5432/app",
    "url-angle-placeholder": "mongodb+srv://admin:<password>@cluster0.mongodb.net/test",
    "url-percent-format": "postgresql://%(user)s:%(password)s@%(host)s/%(db)s",
    "url-fstring": "url = f'postgres://{user}:{password}@{host}/db'",
    "url-default-pair": "amqp://guest:guest@localhost:5672/",
    "url-example-host": "https://alice:Zx9vQ2mPl4@example.com/repo.git",
    "url-stars": "https://bob:********@registry.internal/",
    "url-no-password": "ssh://git@github.com/org/repo.git",
    "url-variable-names": "git clone https://user:hf_token@huggingface.co/org/model\n"
                          "remote = 'https://oauth2:ACCESS_TOKEN@gitlab.internal/x.git'",
    "url-example-subdomain": "https://alice:Zx9vQ2mPl4@git.example.com/repo.git",
    "scp-like-git": "git@github.com:deepseek-ai/DeepSeek-V3.git",
    "plain-urls": "https://huggingface.co/deepseek-ai/DeepSeek-V3 http://[::1]:8080/x http://localhost:8000/v1",
    "email": "contact: research@deepseek.com",
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_miss_is_not_a_secret(name: str) -> None:
    assert find_secrets(NEAR_MISSES[name]) == []


DOTENV_NEAR_MISSES = """
# placeholders and non-secrets
HF_TOKEN=
API_KEY=${API_KEY}
OPENAI_API_KEY="<your-key>"
PASSWORD=changeme
DB_PASSWORD='your_password_here'
MAX_TOKENS=4096
TOKENIZERS_PARALLELISM=false
AWS_ACCESS_KEY_ID_FILE=/run/secrets/aws
SECRET_KEY_PATH=/etc/app/secret
GITHUB_TOKEN_URL=https://github.com/settings/tokens
SHORT_PASSWORD=abc12
MODEL_NAME=deepseek-ai/DeepSeek-V3
"""


def test_dotenv_placeholders_are_not_secrets() -> None:
    assert find_secrets(DOTENV_NEAR_MISSES, dotenv=True) == []


def test_dotenv_real_values_are_secrets_with_their_line() -> None:
    value = "Qm7" + "vX2pLw9Rt4"
    text = f"# comment\nexport SECRET_KEY=\"{value}\"  # prod\nOTHER=1\n"
    [match] = find_secrets(text, dotenv=True)
    assert (match.value, match.line, match.provider) == (value, 2, "dotenv")
    assert text[match.start:match.end] == value


def test_notebook_image_blobs_and_hashes_in_one_text_stay_clean() -> None:
    text = json.dumps({"image/png": _b64(20000), "sha": _hex(64), "id": str(uuid.uuid4())})
    assert find_secrets(text) == []


def test_allow_marker_skips_a_line() -> None:
    token = GH + "".join(_rng.choice("ABCDEFGHabcdefgh012345") for _ in range(36))
    assert find_secrets(f"T = '{token}'  # releasekit: allow-secret\n") == []
    assert [m.value for m in find_secrets(f"T = '{token}'\n")] == [token]


def test_a_token_glued_to_a_longer_word_is_not_taken() -> None:
    body = "".join(_rng.choice("ABCDEFGHabcdefgh") for _ in range(34))
    assert find_secrets(f"my{HF}{body}") == []
    assert find_secrets(f"{HF}{body}x") == []
    assert len(find_secrets(f"({HF}{body})")) == 1


@pytest.mark.parametrize(("body", "placeholder"), [
    ("x" * 34, True),
    ("abcdefghijklmnopqrstuvwxyzABCDEFGH", True),
    ("YourTokenGoesHereExampleValueQwert", True),
    ("ababababababababababababababababab", True),
    ("Zq8vkP2mmxwRt5LcN0aYbUe3JdHg7sFi1W", False),
])
def test_placeholder_filter(body: str, placeholder: bool) -> None:
    assert is_placeholder(body) is placeholder


@pytest.mark.parametrize(("value", "placeholder"), [
    ("password", True), ("${DB_PASSWORD}", True), ("<password>", True), ("%(password)s", True), ("****", True),
    ("your_password", True), ("xxxxxxxx", True), ("aaaaaaaa", True), ("hf_token", True), ("DB_PASSWORD", True),
    ("api-key", True), ("Zq8vkP2mmxw", False), ("hunter2hunter", False), ("correct_horse_9", False),
])
def test_placeholder_password_filter(value: str, placeholder: bool) -> None:
    assert is_placeholder_password(value) is placeholder


def test_entropy_separates_random_from_repetitive() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert not looks_random("Aa" * 17, mixed_case=True, min_entropy=3.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["hex40", "hex64", "uuid", "b64", "words"]), min_size=1, max_size=30),
       st.randoms(use_true_random=False))
def test_random_hashes_ids_and_blobs_are_never_secrets(kinds: list[str], rnd: random.Random) -> None:
    parts = []
    for kind in kinds:
        if kind.startswith("hex"):
            parts.append("".join(rnd.choice(_HEX) for _ in range(int(kind[3:]))))
        elif kind == "uuid":
            parts.append(str(uuid.UUID(int=rnd.getrandbits(128), version=4)))
        elif kind == "b64":
            parts.append(base64.b64encode(rnd.randbytes(rnd.randint(16, 512))).decode())
        else:
            parts.append(" ".join(rnd.choice(["model", "weights", "token", "key", "secret", "wandb", "login", "aws"])
                                  for _ in range(5)))
    assert find_secrets("\n".join(parts)) == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \n\t=:'\"(),;")), max_size=20),
       st.text(alphabet=st.sampled_from(list(" \n\t=:'\"(),;")), max_size=20),
       st.randoms(use_true_random=False))
def test_a_real_token_is_found_whatever_punctuation_surrounds_it(before: str, after: str, rnd: random.Random) -> None:
    body = "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(36))
    if not looks_random(body, mixed_case=True, min_entropy=3.0):
        return  # the rare hand-written-looking draw
    token = GH + body
    [match] = find_secrets(before + token + after)
    assert match.value == token
    assert match.line == before.count("\n") + 1
