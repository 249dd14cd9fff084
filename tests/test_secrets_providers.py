"""The providers and forms added for issue 12: each found in the shape people write it, each
look-alike (placeholder, template, documented example) left alone. Token-shaped strings are
assembled from parts, as in test_secrets_samples."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from releasekit.secrets import find_secrets
from releasekit.secrets.jwt import find_jwts

_rng = random.Random(1212)
B62 = string.ascii_letters + string.digits


def _r(n: int, alphabet: str = B62) -> str:
    while True:
        value = "".join(_rng.choice(alphabet) for _ in range(n))
        if any(c.isupper() for c in value) and any(c.islower() for c in value) or not any(c.isalpha() for c in alphabet):
            return value


def _b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _jwt(payload: dict, alg: str = "HS256", signature: str | None = None) -> str:
    sig = _r(43, B62 + "_-") if signature is None else signature
    return _b64url({"alg": alg, "typ": "JWT"}) + "." + _b64url(payload) + "." + sig


MISTRAL, COHERE, HF_DIGITS = _r(32), _r(40), "hf" + "_" + _r(30) + "7391"
GHS_LONG = "gh" + "s_" + _r(120)
NPM_UUID = "3f1e9b2c-8d4a-4e6f-9a1b-7c2d5e8f0a3b"
LIVE_JWT = _jwt({"sub": "svc-trainer", "exp": 4102444800})
CURL_PASSWORD = _r(18)

POSITIVES = {
    "hf-token-with-digits": (f"HF_TOKEN = '{HF_DIGITS}'", HF_DIGITS, "huggingface"),
    "github-installation-token-over-36": (f"token: {GHS_LONG}", GHS_LONG, "github"),
    "npm-legacy-uuid-in-npmrc": (f"//registry.npmjs.org/:_authToken={NPM_UUID}", NPM_UUID, "npm"),
    "mistral-assignment": (f'MISTRAL_API_KEY = "{MISTRAL}"', MISTRAL, "mistral"),
    "mistral-client": (f'client = Mistral(api_key="{MISTRAL}")', MISTRAL, "mistral"),
    "cohere-client": (f'co = cohere.ClientV2("{COHERE}")', COHERE, "cohere"),
    "jwt-in-header": (f'headers = {{"Authorization": "Bearer {LIVE_JWT}"}}', LIVE_JWT, "jwt"),
    "curl-user-password": (f"curl -s --user trainer:{CURL_PASSWORD} https://mlflow.internal/api", "trainer:" + CURL_PASSWORD,
                           "http"),
    "curl-user-continued": (f"curl https://mlflow.internal/api \\\n  -X POST \\\n  -u 'trainer:{CURL_PASSWORD}'",
                            "trainer:" + CURL_PASSWORD, "http"),
    "authorization-token-scheme": (f"Authorization: Token {CURL_PASSWORD}9", CURL_PASSWORD + "9", "http"),
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_new_forms_are_found_with_their_provider(name: str) -> None:
    text, secret, provider = POSITIVES[name]
    found = {(m.provider, m.value) for m in find_secrets(text)}
    assert (provider, secret) in found, found


NEAR_MISSES = {
    "f-string-bearer": 'headers = {"Authorization": f"Bearer {HF_TOKEN}"}',
    "concatenated-bearer": 'headers = {"Authorization": "Bearer " + os.environ["API_KEY"]}',
    "env-var-bearer": 'curl -H "Authorization: Bearer $HF_TOKEN" https://huggingface.co/api/whoami-v2',
    "placeholder-bearer": "Authorization: Bearer <your-token>",
    "stars-bearer": 'curl -H "Authorization: Bearer ********" https://x',
    "header-lookup": 'auth = request.headers.get("Authorization")\nauthorization = request.headers["authorization"]',
    "basic-user-password": "Authorization: Basic " + base64.b64encode(b"user:password").decode(),
    "git-push-u": "git push -u origin main",
    "pip-install-U": "pip install -U transformers accelerate",
    "curl-user-placeholder": "curl -u username:password https://example.com",
    "curl-user-env": 'curl -u "$USER:$PASSWORD" https://x',
    "curl-user-no-password": "curl -u admin https://x",
    "jwt-io-example": "token = '" + _jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022},
                                          signature="SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c") + "'",
    "jwt-unsigned": "token = '" + _jwt({"sub": "x"}, alg="none", signature="") + "'",
    "base64-json-not-jwt": "blob = '" + _b64url({"a": 1, "b": [1, 2, 3], "c": "text"}) + "." + _b64url({"d": 2}) + "'",
    "mistral-model-name": 'model = "mistral-large-latest"\nMISTRAL_MODEL = "open-mistral-nemo-2407"',
    "mistral-class-names": "from transformers import MistralModel, MistralForSequenceClassification",
    "cohere-class-names": "from transformers import CohereModel, CohereForSequenceClassificationWithHeads",
    "sendgrid-like-tensor-path": '"model.SG.layers.0.mlp.experts.12.down_proj.weight_scale_inv.extra.more": "model-1.safetensors"',
    "discord-invite": "Join us on Discord: https://discord.gg/deepseek",
    "telegram-link": "Telegram: https://t.me/deepseek_ai",
    "deepseek-model-id": 'model_id = "deepseek-ai/DeepSeek-V3"  # sk-... key from platform.deepseek.com',
    "sha-next-to-sk": "SKU = 'SKU-2024-001'\ncheck = 'MASK" + "0" * 32 + "'",
    "npm-lockfile-integrity": '"integrity": "sha512-' + base64.b64encode(_rng.randbytes(64)).decode() + '"',
    "azure-doc-placeholder": "DefaultEndpointsProtocol=https;AccountName=<name>;AccountKey=<key>;EndpointSuffix=core.windows.net",
    "azurite-well-known": "AccountKey=" + "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_look_alikes_of_new_forms_are_not_reported(name: str) -> None:
    assert find_secrets(NEAR_MISSES[name]) == []


def test_expired_jwt_is_found_and_marked_expired() -> None:
    token = _jwt({"sub": "svc", "exp": 1500000000})
    (match,) = find_secrets(f"TOKEN = '{token}'")
    assert match.provider == "jwt" and match.expired and "2017-07-14" in match.label


def test_jwt_offsets_point_at_the_token() -> None:
    text = f"prefix x={LIVE_JWT} suffix"
    (jwt,) = find_jwts(text)
    assert text[jwt.start:jwt.end] == LIVE_JWT and jwt.expired is None


def test_firebase_sample_key_is_not_reported_but_a_real_one_is() -> None:
    sample = "AIza" + "SyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs"
    real = "AIza" + _r(35)
    assert find_secrets(f"apiKey: '{sample}'") == []
    assert [m.value for m in find_secrets(f"apiKey: '{real}'")] == [real]


def test_expired_jwt_is_a_warning_and_a_live_one_an_error(make_release) -> None:
    from releasekit.engine import check_path

    expired = _jwt({"sub": "svc", "exp": 1500000000})
    root = make_release({"old.py": f"TOKEN = '{expired}'\n", "live.py": f"TOKEN = '{LIVE_JWT}'\n"})
    found = {f.path: f for f in check_path(root, select="RK516").findings}
    assert found["old.py"].severity.value == "warning" and "no longer authenticates" in found["old.py"].message
    assert found["live.py"].severity.value == "error"
    assert all(token not in f.message for f in found.values() for token in (expired, LIVE_JWT))


def test_real_code_near_misses_found_in_installed_packages(make_release, run_cli) -> None:
    """Shapes met in a sweep of 6,000 real text files: a variable handed to an Authorization header,
    and documentation URLs whose "password" is a metasyntactic stand-in. None is a credential."""
    root = make_release({
        "inference/sign.py": "headers = {'x-amz-date': timestamp, 'Authorization': v4auth_header}\n",
        "inference/fs.py": "# 'github://org:repo@sha/precip/catalog.yml', where the sha is also included\n"
                           "# e.g. `https://foo:bar@host:port/path`\n",
    })
    report = run_cli("check", root, "--select", "secrets", "--format", "json").json()
    assert [f for f in report["findings"] if f["rule"] in ("RK512", "RK517")] == []
    leaked = make_release({"inference/sign.py": "headers = {'Authorization': 'Zx81kQm2Lp0vRt7YwB3nHc9s'}\n"},
                          name="leaked")
    report = run_cli("check", leaked, "--select", "secrets", "--format", "json").json()
    assert [f["rule"] for f in report["findings"]] == ["RK517"]
