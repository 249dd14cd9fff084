"""Planted credentials of every supported type, built at run time, and the proof that each is found.

No credential-shaped literal appears in this source: every sample is assembled from parts
(`"gh" + "p_" + random`) so that push protection and other scanners never see one here. Other
test modules import `samples()` from this one.
"""

from __future__ import annotations

import base64
import json
import dataclasses
import random
import string

import pytest

from releasekit.secrets import find_secrets

UPPER, LOWER, DIGITS = string.ascii_uppercase, string.ascii_lowercase, string.digits
LETTERS = UPPER + LOWER
BASE62 = LETTERS + DIGITS
URLSAFE = BASE62 + "_-"
HEX = "0123456789abcdef"


@dataclasses.dataclass(frozen=True)
class Sample:
    """A planted credential: the file that carries it, its rule, and the strings that must never leak."""

    name: str
    rule: str
    filename: str
    content: str
    secrets: tuple[str, ...]  # values that must appear in no output
    shown: str | None  # the first characters a message may show, or None when nothing may be shown


def _rand(rng: random.Random, n: int, alphabet: str = BASE62) -> str:
    while True:  # regenerate the rare draw that looks hand-written (a run like `abcdef`)
        value = "".join(rng.choice(alphabet) for _ in range(n))
        cased = any(c.isupper() for c in alphabet) and any(c.islower() for c in alphabet)
        if not cased or (any(c.isupper() for c in value) and any(c.islower() for c in value)):
            return value


def _pem(rng: random.Random, label: str) -> tuple[str, tuple[str, ...]]:
    body = base64.b64encode(rng.randbytes(900)).decode()
    lines = tuple(body[i:i + 64] for i in range(0, len(body), 64))
    begin, end = "-----BEGIN " + label + "PRIVATE" + " KEY-----", "-----END " + label + "PRIVATE" + " KEY-----"
    return begin + "\n" + "\n".join(lines) + "\n" + end + "\n", lines


def samples(seed: int = 20240501) -> list[Sample]:
    rng = random.Random(seed)
    out: list[Sample] = []

    def token(name: str, rule: str, value: str, line: str = "TOKEN = {v!r}\n", filename: str = "train.py") -> None:
        out.append(Sample(name, rule, filename, f"import os\n\n{line.format(v=value)}", (value,), value[:4]))

    token("huggingface", "RK501", "hf" + "_" + _rand(rng, 34, LETTERS))
    token("huggingface-org", "RK501", "api" + "_org_" + _rand(rng, 34, LETTERS))
    for prefix in ("p", "o", "u", "s", "r"):
        token(f"github-gh{prefix}", "RK502", "gh" + prefix + "_" + _rand(rng, 36))
    token("github-fine-grained", "RK502", "github" + "_pat_" + _rand(rng, 22) + "_" + _rand(rng, 59))
    token("openai-legacy", "RK504", "sk-" + _rand(rng, 20) + "T3Blbk" + "FJ" + _rand(rng, 20))
    token("openai-project", "RK504", "sk-" + "proj-" + _rand(rng, 58, URLSAFE) + "T3Blbk" + "FJ" + _rand(rng, 58, URLSAFE))
    token("anthropic", "RK505", "sk-" + "ant-api03-" + _rand(rng, 93, URLSAFE) + "AA")
    token("slack-bot", "RK506", "xo" + "xb-" + _rand(rng, 12, DIGITS) + "-" + _rand(rng, 13, DIGITS) + "-" + _rand(rng, 24))
    token("slack-user", "RK506", "xo" + "xp-" + "-".join(_rand(rng, 12, DIGITS) for _ in range(3)) + "-" + _rand(rng, 32, HEX))
    token("slack-webhook", "RK506", "https://hooks.slack" + ".com/services/T" + _rand(rng, 10, UPPER + DIGITS)
          + "/B" + _rand(rng, 10, UPPER + DIGITS) + "/" + _rand(rng, 24), line="WEBHOOK = {v!r}\n")
    token("wandb", "RK507", "wandb" + "_v1_" + _rand(rng, 27) + "_" + _rand(rng, 49))
    legacy = _rand(rng, 40, HEX)
    out.append(Sample("wandb-legacy", "RK507", "run.sh", f"#!/bin/sh\nexport WANDB_API_KEY={legacy}\npython train.py\n",
                      (legacy,), legacy[:4]))
    token("google", "RK508", "AI" + "za" + _rand(rng, 35, URLSAFE))
    token("stripe", "RK509", "sk" + "_live_" + _rand(rng, 24))
    token("pypi", "RK510", "pypi-" + "AgEIcHlwaS5vcmc" + _rand(rng, 60, URLSAFE), line="[pypi]\npassword = {v}\n",
          filename="pypirc.cfg")
    token("npm", "RK510", "npm" + "_" + _rand(rng, 36), line="//registry.npmjs.org/:_authToken={v}\n", filename="npmrc.txt")
    token("gitlab", "RK510", "glpat" + "-" + _rand(rng, 20, URLSAFE))
    token("replicate", "RK510", "r8" + "_" + _rand(rng, 37))
    token("groq", "RK510", "gsk" + "_" + _rand(rng, 52))
    token("gitlab-runner", "RK510", "glrt" + "-" + _rand(rng, 20, URLSAFE))
    token("telegram", "RK510", _rand(rng, 10, DIGITS) + ":A" + "A" + _rand(rng, 33, URLSAFE), line="BOT = {v!r}\n")
    token("databricks", "RK510", "da" + "pi" + _rand(rng, 32, HEX))
    token("sendgrid", "RK510", "SG" + "." + _rand(rng, 22, URLSAFE) + "." + _rand(rng, 43, URLSAFE))
    token("discord-webhook", "RK510", "https://discord" + ".com/api/webhooks/" + _rand(rng, 18, DIGITS) + "/"
          + _rand(rng, 68, URLSAFE), line="DISCORD_HOOK = {v!r}\n")
    token("aws-bedrock", "RK503", "AB" + "SK" + _rand(rng, 132, BASE62 + "+/"))
    azure_key = base64.b64encode(rng.randbytes(64)).decode()
    out.append(Sample("azure-storage", "RK515", "settings.py",
                      f"CONN = 'DefaultEndpointsProtocol=https;AccountName=trainingdata;AccountKey={azure_key};"
                      f"EndpointSuffix=core.windows.net'\n", (azure_key,), azure_key[:4]))
    aad = _rand(rng, 3, BASE62) + _rand(rng, 1, DIGITS) + "Q" + "~" + _rand(rng, 34, BASE62 + "_.-")
    token("azure-client-secret", "RK515", aad, line="client_secret = {v!r}\n")

    def b64url(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    jwt = (b64url({"alg": "HS256", "typ": "JWT"}) + "." + b64url({"sub": _rand(rng, 12), "role": "service_role",
           "exp": 4102444800}) + "." + _rand(rng, 43, URLSAFE))
    token("jwt", "RK516", jwt, line="SUPABASE_KEY = {v!r}\n")
    bearer = _rand(rng, 40)
    token("authorization-header", "RK517", bearer, line='!curl -H "Authorization: Bearer {v}" https://api.internal/run\n')
    key_id, secret = "AK" + "IA" + _rand(rng, 16, UPPER + DIGITS), _rand(rng, 40, BASE62 + "+/")
    out.append(Sample("aws-pair", "RK503", "credentials.ini",
                      f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
                      (key_id, secret), key_id[:4]))
    for label, name in (("RSA ", "pem-rsa"), ("OPENSSH ", "openssh"), ("", "pkcs8"), ("EC ", "pem-ec")):
        block, lines = _pem(rng, label)
        out.append(Sample(name, "RK511", "deploy_key.pem" if label != "OPENSSH " else "id_ed25519", block, lines, None))
    password = _rand(rng, 18)
    out.append(Sample("url-password", "RK512", "config.yaml",
                      f"database:\n  url: postgres://trainer:{password}@db.internal:5432/runs\n", (password,), None))
    env_value = _rand(rng, 20)
    out.append(Sample("dotenv", "RK513", ".env", f"MODEL=deepseek\nDB_PASSWORD={env_value}\n", (env_value,), None))
    return out


SAMPLES = samples()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_planted_credential_is_found_by_its_rule(sample: Sample) -> None:
    from releasekit.checks.secrets import RULES_BY_PROVIDER

    matches = find_secrets(sample.content, dotenv=sample.filename == ".env")
    found = {m.value for m in matches} | {v for m in matches for v in m.extra_values}
    assert set(sample.secrets) <= found, matches
    assert {RULES_BY_PROVIDER[m.provider].id for m in matches} == {sample.rule}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_match_reports_the_line_it_starts_on(sample: Sample) -> None:
    lines = sample.content.split("\n")
    for match in find_secrets(sample.content, dotenv=sample.filename == ".env"):
        first = match.value.split(":", 1)[-1] if match.provider == "url" else match.value
        expected = next(i for i, line in enumerate(lines, 1) if first in line or line.startswith("-----BEGIN"))
        assert match.line == expected


def test_samples_are_random_not_fixed() -> None:
    # Two seeds give different values: nothing in this file is a fixed credential.
    assert {s.secrets for s in samples(1)}.isdisjoint({s.secrets for s in samples(2)})


def _extra_positives() -> list[tuple[str, str, str]]:
    """(name, text, the secret) for formats and contexts beyond the one-per-rule samples."""
    rng = random.Random(7)
    hexkey = _rand(rng, 40, HEX)
    pem_block, pem_lines = _pem(rng, "")
    service_account = json.dumps({"type": "service_account", "private_key_id": _rand(rng, 40, HEX),
                                   "private_key": pem_block, "client_email": "svc@proj.iam.gserviceaccount.com"})
    app = "xa" + "pp-1-A" + _rand(rng, 10, UPPER + DIGITS) + "-" + _rand(rng, 13, DIGITS) + "-" + _rand(rng, 64, HEX)
    routable = "glpat" + "-" + _rand(rng, 27, URLSAFE) + "." + _rand(rng, 2, LOWER + DIGITS) + _rand(rng, 7, LOWER + DIGITS)
    anthropic_oauth = "sk-" + "ant-oat01-" + _rand(rng, 80, URLSAFE)
    aws_near = "AK" + "IA" + _rand(rng, 16, UPPER + DIGITS)
    aws_secret = _rand(rng, 40, BASE62 + "+/")
    return [
        ("wandb-login-call", f"wandb.login(key='{hexkey}')\n", hexkey),
        ("wandb-login-cli", f"!wandb login --relogin {hexkey}\n", hexkey),
        ("wandb-netrc", f"machine api.wandb.ai\n  login user\n  password {hexkey}\n", hexkey),
        ("wandb-local", f"WANDB_API_KEY=local-{hexkey}\n", "local-" + hexkey),
        ("pem-in-json", service_account, pem_lines[0]),
        ("slack-app-token", f"SLACK_APP_TOKEN={app}\n", app),
        ("gitlab-routable", f"token: {routable}\n", routable),
        ("anthropic-oauth", f"CLAUDE_CODE_OAUTH_TOKEN={anthropic_oauth}\n", anthropic_oauth),
        ("aws-secret-near-id", f"ids = ['{aws_near}',\n       '{aws_secret}']\n", aws_secret),
        ("aws-secret-camel", f'{{"SecretAccessKey": "{aws_secret}"}}', aws_secret),
    ]


@pytest.mark.parametrize(("name", "text", "secret"), [pytest.param(*case, id=case[0]) for case in _extra_positives()])
def test_more_formats_and_contexts_are_found(name: str, text: str, secret: str) -> None:
    values = {m.value for m in find_secrets(text)}
    assert secret in values, (name, values)
