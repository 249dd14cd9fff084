"""The table of credential formats: each provider's documented prefix, alphabet and length.

Every regular expression starts with a literal (the provider's prefix), so Python's `re` finds
candidates with a fast substring search, and each pattern has a gate (its prefix family, as a
literal-led expression) that must occur in the text before its expression runs at all; patterns
share gates, and each gate is searched once per text. A match is kept only when the character before it cannot be
part of a token (checked in code: `re`'s look-behind would disable the prefix search) and its
random part passes `filters.looks_random`.

Sources: the providers' documentation of their token formats (GitHub's 2021 token format post,
Hugging Face's security-tokens page, AWS's IAM identifiers page, Slack's token types, Stripe's API
keys page), cross-checked against the rules of gitleaks, a maintained scanner.
"""

from __future__ import annotations

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class Provider:
    """Who issued a credential and where its owner revokes it."""

    kind: str  # the rule family in `checks/secrets.py`
    name: str
    revoke: str


PROVIDERS: dict[str, Provider] = {p.kind: p for p in (
    Provider("huggingface", "Hugging Face", "https://huggingface.co/settings/tokens"),
    Provider("github", "GitHub", "https://github.com/settings/tokens"),
    Provider("aws", "AWS", "the IAM console (deactivate, then delete the access key)"),
    Provider("openai", "OpenAI", "https://platform.openai.com/api-keys"),
    Provider("anthropic", "Anthropic", "https://console.anthropic.com/settings/keys"),
    Provider("slack", "Slack", "https://api.slack.com/apps (regenerate the token or webhook)"),
    Provider("wandb", "Weights & Biases", "https://wandb.ai/settings (API keys)"),
    Provider("google", "Google", "the Google Cloud console, APIs & Services > Credentials"),
    Provider("stripe", "Stripe", "https://dashboard.stripe.com/apikeys"),
    Provider("pypi", "PyPI", "https://pypi.org/manage/account/token/"),
    Provider("npm", "npm", "https://www.npmjs.com/settings (Access Tokens)"),
    Provider("gitlab", "GitLab", "GitLab > Preferences > Access Tokens"),
    Provider("replicate", "Replicate", "https://replicate.com/account/api-tokens"),
    Provider("groq", "Groq", "https://console.groq.com/keys"),
)}


@dataclasses.dataclass(frozen=True)
class TokenPattern:
    """One token format. The match is the whole token; group `body` is its random part."""

    provider: str  # a key of PROVIDERS
    label: str  # what a finding calls it
    regex: re.Pattern[str]
    gate: str  # a cheap expression (starting with a literal) that must match before `regex` runs
    word: str = r"A-Za-z0-9_"  # characters that may not touch the token on the left
    mixed_case: bool = True  # the body must hold upper- and lower-case letters
    min_entropy: float = 3.0  # bits per character of the body
    gate_ci: bool = False  # the gate is searched in the lower-cased text


def _p(provider: str, label: str, pattern: str, gate: str, **options: object) -> TokenPattern:
    return TokenPattern(provider, label, re.compile(pattern), gate, **options)  # type: ignore[arg-type]


# The right edge: the token may not continue into more token characters.
_END = r"(?![A-Za-z0-9_])"
_SLACK = r"xox[abeoprs][-.]"  # one gate for the xox?- family
_END_DASH = r"(?![A-Za-z0-9_-])"

TOKEN_PATTERNS: tuple[TokenPattern, ...] = (
    # Hugging Face user access tokens: `hf_` + 34 letters; organisation API tokens: `api_org_` + 34.
    _p("huggingface", "Hugging Face token", rf"hf_(?P<body>[A-Za-z]{{34}}){_END}", "hf_"),
    _p("huggingface", "Hugging Face organization token", rf"api_org_(?P<body>[A-Za-z]{{34}}){_END}", "api_org_"),
    # GitHub: classic tokens `gh[pousr]_` + 36 base62; fine-grained `github_pat_` + 22 + `_` + 59.
    _p("github", "GitHub token", rf"gh[pousr]_(?P<body>[A-Za-z0-9]{{36}}){_END}", "gh[pousr]_"),
    _p("github", "GitHub fine-grained token", rf"github_pat_(?P<body>[A-Za-z0-9]{{22}}_[A-Za-z0-9]{{59}}){_END}", "github_pat_"),
    # OpenAI: every key format carries `T3BlbkFJ` ("OpenAI" in base64) in its middle.
    _p("openai", "OpenAI API key",
       rf"sk-(?:(?:proj|svcacct|admin)-)?(?P<body>[A-Za-z0-9_-]{{20,150}}T3BlbkFJ[A-Za-z0-9_-]{{20,150}}){_END_DASH}",
       "T3BlbkFJ", word=r"A-Za-z0-9_-"),
    # Anthropic: `sk-ant-api03-` / `sk-ant-admin01-` + 93 characters + `AA`; OAuth tokens 40+.
    _p("anthropic", "Anthropic API key", rf"sk-ant-(?:api03|admin01)-(?P<body>[A-Za-z0-9_-]{{93}}AA){_END_DASH}",
       "sk-ant-", word=r"A-Za-z0-9_-"),
    _p("anthropic", "Anthropic OAuth token", rf"sk-ant-(?:oat01|ort01)-(?P<body>[A-Za-z0-9_-]{{40,300}}){_END_DASH}",
       "sk-ant-", word=r"A-Za-z0-9_-"),
    # Slack: bot, user, legacy, app-level and configuration tokens; incoming-webhook URLs.
    _p("slack", "Slack bot token", rf"xoxb-(?P<body>[0-9]{{8,14}}-(?:[0-9]{{8,14}}-)?[A-Za-z0-9]{{18,34}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack user token", rf"xox[pe]-(?P<body>(?:[0-9]{{8,14}}-){{3}}[A-Za-z0-9]{{28,34}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack legacy token", rf"xox[os]-(?P<body>[0-9]{{1,20}}-[0-9]{{1,20}}-[0-9]{{1,20}}-[a-fA-F0-9]{{10,128}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack app-level token", rf"xapp-[0-9]-(?P<body>[A-Za-z0-9]{{9,40}}-[0-9]{{10,20}}-[a-fA-F0-9]{{32,128}}){_END_DASH}",
       "xapp-", word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack configuration token", rf"xoxe\.xox[bp]-[0-9]-(?P<body>[A-Za-z0-9]{{146,166}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-"),
    _p("slack", "Slack webhook URL",
       rf"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<body>[A-Za-z0-9+/]{{43,60}}){_END}",
       r"hooks\.slack\.com/", word=r"A-Za-z0-9", mixed_case=False),
    # Weights & Biases: the 86-character keys issued since late 2025. The older 40-hex keys look
    # like any SHA-1, so they are only taken where W&B names them (WANDB_PATTERNS below).
    _p("wandb", "Weights & Biases API key", rf"wandb_v1_(?P<body>[A-Za-z0-9]{{27}}_[A-Za-z0-9]{{49}}){_END}", "wandb_v1_"),
    # Google API keys: `AIza` + 35 characters.
    _p("google", "Google API key", rf"AIza(?P<body>[A-Za-z0-9_-]{{35}}){_END_DASH}", "AIza", word=r"A-Za-z0-9_-"),
    # Stripe live secret and restricted keys (publishable `pk_` keys are public by design, and
    # `sk_test_` keys only reach test data; Stripe's own docs print test keys).
    _p("stripe", "Stripe live secret key", rf"[sr]k_live_(?P<body>[A-Za-z0-9]{{24,99}}){_END}", "k_live_"),
    # Package registries and other services models are often published with.
    _p("pypi", "PyPI upload token",
       rf"pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)(?P<body>[A-Za-z0-9_-]{{50,2000}}){_END_DASH}",
       "pypi-AgE", word=r"A-Za-z0-9_-"),
    _p("npm", "npm access token", rf"npm_(?P<body>[A-Za-z0-9]{{36}}){_END}", "npm_"),
    _p("gitlab", "GitLab personal access token",
       rf"glpat-(?P<body>[A-Za-z0-9_-]{{27,300}}\.[0-9a-z]{{9}}|[A-Za-z0-9_-]{{20}}){_END_DASH}",
       "glpat-", word=r"A-Za-z0-9_-"),
    _p("replicate", "Replicate API token", rf"r8_(?P<body>[A-Za-z0-9]{{37}}){_END}", "r8_"),
    _p("groq", "Groq API key", rf"gsk_(?P<body>[A-Za-z0-9]{{52}}){_END}", "gsk_"),
)

# Legacy W&B keys are 40 lowercase hex digits, like a git SHA; take them only where the line says
# W&B (`WANDB_API_KEY=`, `wandb.login(key=...)`, `wandb login KEY`, a .netrc entry for
# api.wandb.ai). Self-hosted servers prefix `local-`.
_HEX40 = r"(?:local-)?(?P<body>[0-9a-f]{40})(?![0-9A-Za-z])"
WANDB_PATTERNS: tuple[TokenPattern, ...] = tuple(
    TokenPattern("wandb", "Weights & Biases API key", re.compile(pattern, re.IGNORECASE), "wandb",
                 mixed_case=False, gate_ci=True)
    for pattern in (
        rf"wandb_api_key[\"']?[ \t]*(?:=|:|=>)[ \t]*[\"']?{_HEX40}",
        rf"wandb\.login\([^)]{{0,120}}?key\s*=\s*[\"']{_HEX40}",
        rf"wandb[ \t]+login(?:[ \t]+--[a-z-]+(?:=\S+)?)*[ \t]+[\"']?{_HEX40}",
        rf"machine\s+api\.wandb\.ai\b[\s\S]{{0,200}}?password\s+{_HEX40}",
    )
)

# AWS access key IDs (`AKIA` long-term, `ASIA` temporary) and their 40-character secret keys.
AWS_KEY_ID = re.compile(r"A(?:KI|SI)A(?P<body>[A-Z0-9]{16})(?![A-Za-z0-9])")
# Every quantifier in this module is bounded, so a hostile file (a megabyte of `sk-sk-sk-...`)
# costs linear time, never quadratic.

# Matched at each occurrence of "secret" (found with a fast substring search): `secret_access_key`,
# `SecretAccessKey`, or `secret_key` when `aws` comes right before it.
AWS_SECRET_ASSIGNED = re.compile(
    r"secret(?P<access>_?access)?_?key[\"']?[ \t]*(?:=|:|=>)[ \t]*[\"']?(?P<body>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    re.IGNORECASE,
)
AWS_SECRET_CANDIDATE = re.compile(r"(?<![A-Za-z0-9/+=])(?P<body>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
AWS_PAIR_LINES = 3  # a secret key within this many lines of an access key ID is its pair

# PEM and OpenSSH private keys (PKCS#1, PKCS#8, SEC1, OpenSSH, encrypted, PGP blocks).
PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_END = "-----"  # the END line, or the next BEGIN: a body never spans two blocks
PRIVATE_KEY_MAX_BODY = 16384  # characters searched for the END line
PRIVATE_KEY_MIN_BASE64 = 64  # fewer key characters than this is an elided example

# Credentials in a URL's user-info: `scheme://user:password@host`.
URL_CREDENTIALS = re.compile(
    r"://(?P<user>[^\s:/?#@'\"<>()\[\]{}\\]{1,128}):(?P<password>[^\s/?#@'\"<>\\]{1,256})@"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))"
)
URL_SCHEME_TAIL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}\Z")
EXAMPLE_HOSTS = ("example.com", "example.org", "example.net")
EXAMPLE_HOST_SUFFIXES = (".example", ".test", ".invalid")
