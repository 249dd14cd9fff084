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
import functools
import re

from releasekit.secrets.lazyre import lazy


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
    Provider("azure", "Azure", "the Azure portal (regenerate the storage or access key; delete the client secret)"),
    Provider("discord", "Discord", "https://discord.com/developers/applications (reset the bot token; delete the webhook)"),
    Provider("telegram", "Telegram", "@BotFather (/revoke)"),
    Provider("twilio", "Twilio", "https://console.twilio.com (API keys & tokens)"),
    Provider("sendgrid", "SendGrid", "https://app.sendgrid.com/settings/api_keys"),
    Provider("databricks", "Databricks", "the workspace's User Settings > Developer > Access tokens"),
    Provider("cohere", "Cohere", "https://dashboard.cohere.com/api-keys"),
    Provider("mistral", "Mistral", "https://console.mistral.ai/api-keys"),
    Provider("deepseek", "DeepSeek", "https://platform.deepseek.com/api_keys"),
)}


@dataclasses.dataclass(frozen=True)
class TokenPattern:
    """One token format. The match is the whole token; group `body` is its random part."""

    provider: str  # a key of PROVIDERS
    label: str  # what a finding calls it
    source: str  # the expression; compiled on first use (`regex`)
    gate: str  # a cheap expression (starting with a literal) that must match before `regex` runs
    word: str = r"A-Za-z0-9_"  # characters that may not touch the token on the left
    mixed_case: bool = True  # the body must hold upper- and lower-case letters
    min_entropy: float = 3.0  # bits per character of the body
    gate_ci: bool = False  # the gate is searched in the lower-cased text
    secret_is_body: bool = False  # a context pattern: the secret is group `body`, not the whole match
    random_body: bool = True  # the body must pass `filters.looks_random` (False: the prefix alone is proof)
    anchor: str = ""  # a lower-case keyword the expression starts with: it is tried only where the keyword is
    need_digit: bool = False  # the body must hold a digit (keys with no prefix: not an identifier like
    # `MistralForSequenceClassification`, 32 letters after `mistral,`)
    flags: int = 0

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled expression. Compiled when a text passes the gate, not at import: most
        runs never need most of the ~60 expressions, and compiling them all costs ~8 ms of start-up."""
        return _compile(self.source, self.flags)


@functools.cache
def _compile(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


def _p(provider: str, label: str, pattern: str, gate: str, *, flags: int = 0, **options: object) -> TokenPattern:
    return TokenPattern(provider, label, pattern, gate, flags=flags, **options)  # type: ignore[arg-type]


def _assigned(keyword: str, value: str) -> str:
    """`<keyword><up to 20 name characters> = "<value>"`: a value named by its provider (the shape
    gitleaks calls semi-generic), for formats with no prefix of their own. Case-insensitive use."""
    return (rf"{keyword}[\w.-]{{0,20}}[\"'\x60]?[ \t]{{0,3}}(?:=|:=|:|=>|,)[ \t]{{0,5}}[\"'\x60]?"
            rf"(?P<body>{value})(?![A-Za-z0-9_-])")


# The right edge: the token may not continue into more token characters.
_END = r"(?![A-Za-z0-9_])"
_SLACK = r"xox[abeoprs][-.]"  # one gate for the xox?- family
_END_DASH = r"(?![A-Za-z0-9_-])"

_GITLAB_20 = r"gl(?:dt|ft|ffct|soat|rt)"
_GITLAB = r"gl(?:pat|dt|ft|ffct|soat|rt|imt|agent|oas|ptt|cbt)-"  # one gate (one search) for every GitLab prefix  # deploy, feed, feature-flag client, SCIM, runner tokens: 20 characters
_DOTTED = r"[A-Za-z0-9_-]"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

TOKEN_PATTERNS: tuple[TokenPattern, ...] = (
    # Hugging Face user access tokens: `hf_` + 34 characters; organisation API tokens: `api_org_` + 34.
    # Documented bodies are letters, but trufflehog and most scanners accept digits: a miss costs a
    # leaked credential, an extra match costs little.
    _p("huggingface", "Hugging Face token", rf"hf_(?P<body>[A-Za-z0-9]{{34}}){_END}", "hf_"),
    _p("huggingface", "Hugging Face organization token", rf"api_org_(?P<body>[A-Za-z0-9]{{34}}){_END}", "api_org_"),
    # GitHub: `gh[pousr]_` + 36 base62 today; GitHub documents that tokens may grow to 255
    # characters (installation tokens already do). Fine-grained `github_pat_` + 22 + `_` + 59.
    _p("github", "GitHub token", rf"gh[pousr]_(?P<body>[A-Za-z0-9]{{36,251}}){_END}", "gh[pousr]_", mixed_case=False),
    _p("github", "GitHub fine-grained token", rf"github_pat_(?P<body>[A-Za-z0-9]{{22}}_[A-Za-z0-9]{{59}}|[A-Za-z0-9_]{{82}}){_END}",
       "github_pat_", mixed_case=False),
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
    _p("slack", "Slack bot token", rf"xoxb-(?P<body>[0-9]{{8,14}}-(?:[0-9]{{8,14}}-)?[A-Za-z0-9]{{17,34}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack user token", rf"xox[pe]-(?P<body>(?:[0-9]{{8,14}}-){{3}}[A-Za-z0-9]{{28,34}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack legacy token", rf"xox[os]-(?P<body>[0-9]{{1,20}}-[0-9]{{1,20}}-[0-9]{{1,20}}-[a-fA-F0-9]{{10,128}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack workspace token", rf"xox[ar]-(?P<body>[0-9A-Za-z](?:[0-9A-Za-z]|-(?=[0-9A-Za-z])){{7,120}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack app-level token", rf"xapp-[0-9]-(?P<body>[A-Za-z0-9]{{9,40}}-[0-9]{{10,20}}-[A-Za-z0-9]{{32,128}}){_END_DASH}",
       "xapp-", word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack configuration token", rf"xoxe\.xox[bp]-[0-9]-(?P<body>[A-Za-z0-9]{{146,170}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("slack", "Slack configuration refresh token", rf"xoxe-[0-9]-(?P<body>[A-Za-z0-9]{{140,170}}){_END_DASH}",
       _SLACK, word=r"A-Za-z0-9_-", mixed_case=False),
    # Incoming webhooks (`services/T../B../...`) and workflow webhooks (`workflows/T../A../<id>/...`).
    _p("slack", "Slack webhook URL",
       rf"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/(?P<body>[A-Za-z0-9+/]{{43,120}}){_END}",
       r"hooks\.slack\.com/", word=r"A-Za-z0-9.", mixed_case=False),
    # Weights & Biases: the 86-character keys issued since late 2025. The older 40-hex keys look
    # like any SHA-1, so they are only taken where W&B names them (WANDB_PATTERNS below).
    _p("wandb", "Weights & Biases API key", rf"wandb_v1_(?P<body>[A-Za-z0-9]{{27}}_[A-Za-z0-9]{{49}}){_END}", "wandb_v1_"),
    # Google API keys: `AIza` + 35 characters (the keys Firebase publishes in its SDK samples are
    # left out: see FIREBASE_EXAMPLE_KEYS).
    _p("google", "Google API key", rf"AIza(?P<body>[A-Za-z0-9_-]{{35}}){_END_DASH}", "AIza", word=r"A-Za-z0-9_-",
       mixed_case=False),
    # Stripe live secret and restricted keys (publishable `pk_` keys are public by design, and
    # `sk_test_` keys only reach test data; Stripe's own docs print test keys).
    _p("stripe", "Stripe live secret key", rf"[sr]k_live_(?P<body>[A-Za-z0-9]{{24,99}}){_END}", "k_live_"),
    # AWS Bedrock API keys: long-lived `ABSK` + base64, short-lived `bedrock-api-key-` + the base64
    # of `bedrock.amazonaws.com` (a prefix no other string carries, so it is proof by itself).
    _p("aws", "Amazon Bedrock API key", r"ABSK(?P<body>[A-Za-z0-9+/]{109,269}={0,2})(?![A-Za-z0-9+/=])", "ABSK",
       word=r"A-Za-z0-9+/", mixed_case=False),
    _p("aws", "Amazon Bedrock short-lived API key",
       r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t(?P<body>[A-Za-z0-9+/=%_-]{0,4000})",
       "bedrock-api-key-", word=r"A-Za-z0-9_-", random_body=False),
    # Package registries and other services models are often published with.
    _p("pypi", "PyPI upload token",
       rf"pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)(?P<body>[A-Za-z0-9_-]{{50,2000}}){_END_DASH}",
       "pypi-AgE", word=r"A-Za-z0-9_-"),
    _p("npm", "npm access token", rf"npm_(?P<body>[A-Za-z0-9]{{36}}){_END}", "npm_", mixed_case=False),
    # npm's legacy tokens are UUIDs: only where an .npmrc (`_authToken=`) or a variable names npm.
    _p("npm", "npm legacy auth token", rf"_authToken[ \t]*=[ \t]*[\"']?(?P<body>{_UUID})(?![0-9A-Za-z-])", "_authToken",
       secret_is_body=True, mixed_case=False),
    _p("npm", "npm legacy auth token",
       rf"(?i:npm)[\w.-]{{0,20}}?(?i:token)[\w. -]{{0,20}}?[\"']?[ \t]*[=:][ \t]*[\"']?(?P<body>{_UUID})(?![0-9A-Za-z-])",
       "npm", gate_ci=True, secret_is_body=True, mixed_case=False, anchor="npm"),
    # GitLab: every token prefix of docs.gitlab.com/ee/security/tokens, routable forms included.
    _p("gitlab", "GitLab personal access token",
       rf"glpat-(?P<body>{_DOTTED}{{27,300}}\.[0-9a-z]{{9}}|{_DOTTED}{{20}}){_END_DASH}",
       _GITLAB, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab token",
       rf"{_GITLAB_20}-(?P<body>{_DOTTED}{{27,300}}\.[0-9a-z]{{9}}|t[0-9]_{_DOTTED}{{27,300}}\.[0-9a-z]{{9}}|{_DOTTED}{{20}}){_END_DASH}",
       _GITLAB, word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab incoming mail token", rf"glimt-(?P<body>{_DOTTED}{{25}}){_END_DASH}", _GITLAB,
       word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab Kubernetes agent token", rf"glagent-(?P<body>{_DOTTED}{{50,300}}){_END_DASH}", _GITLAB,
       word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab OAuth application secret", rf"gloas-(?P<body>{_DOTTED}{{64}}){_END_DASH}", _GITLAB,
       word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab pipeline trigger token", rf"glptt-(?P<body>[0-9a-f]{{40}}){_END_DASH}", _GITLAB,
       word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab CI/CD job token", rf"glcbt-(?P<body>[0-9A-Za-z]{{1,5}}_{_DOTTED}{{20}}){_END_DASH}", _GITLAB,
       word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab runner registration token", rf"GR1348941(?P<body>{_DOTTED}{{20}}){_END_DASH}", "GR1348941",
       word=r"A-Za-z0-9_-", mixed_case=False),
    _p("gitlab", "GitLab session cookie", r"_gitlab_session=(?P<body>[0-9a-z]{32})(?![0-9A-Za-z])", "_gitlab_session=",
       mixed_case=False),
    _p("replicate", "Replicate API token", rf"r8_(?P<body>[A-Za-z0-9]{{37}}){_END}", "r8_"),
    _p("groq", "Groq API key", rf"gsk_(?P<body>[A-Za-z0-9]{{52}}){_END}", "gsk_"),
    # Azure: storage account keys (64 bytes of base64) and shared access keys in connection
    # strings, SAS signatures in URLs, Entra ID (AAD) client secrets (`xxxNQ~` + 31 to 34).
    _p("azure", "Azure storage account key",
       r"(?:account|access|storage|shared)[_.-]?key[\"']?(?:[^\n]|\n(?!\n)){0,25}?"
       r"(?P<body>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])",
       "==", flags=re.IGNORECASE, secret_is_body=True, mixed_case=False, min_entropy=4.0),
    _p("azure", "Azure shared access key", r"SharedAccessKey=(?P<body>[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])",
       "SharedAccessKey=", secret_is_body=True, mixed_case=False, min_entropy=4.0),
    _p("azure", "Azure SAS signature",
       r"[?&]sv=[0-9]{4}-[0-9]{2}-[0-9]{2}&[^\s\"'<>]{0,400}?\bsig=(?P<body>[A-Za-z0-9%+/]{30,120}(?:%3[Dd]|=){0,2})",
       "sig=", secret_is_body=True, mixed_case=False),
    _p("azure", "Azure Entra ID client secret",
       r"(?P<body>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])",
       "Q~", word=r"A-Za-z0-9_~.", mixed_case=False),
    # Discord bot tokens (base64 of the bot's id, a timestamp, an HMAC) and webhooks.
    _p("discord", "Discord bot token",
       r"(?P<body>[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?![A-Za-z0-9_-])",
       "discord", gate_ci=True, word=r"A-Za-z0-9_.-"),
    _p("discord", "Discord bot token",
       r"discord[\w.-]{0,20}[\"']?[ \t]{0,3}(?:=|:|=>|,)[ \t]{0,5}[\"']?"
       r"(?P<body>[A-Za-z0-9_-]{24,28}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?![A-Za-z0-9_-])",
       "discord", flags=re.IGNORECASE, gate_ci=True, secret_is_body=True, anchor="discord"),
    _p("discord", "Discord client secret or key", _assigned("discord", r"[0-9a-f]{64}|[A-Za-z0-9_=-]{32}"), "discord",
       flags=re.IGNORECASE, gate_ci=True, secret_is_body=True, mixed_case=False, anchor="discord", need_digit=True),
    _p("discord", "Discord webhook URL",
       rf"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{{17,20}}/(?P<body>[A-Za-z0-9_-]{{60,80}}){_END_DASH}",
       "discord", gate_ci=True, word=r"A-Za-z0-9", mixed_case=False),
    # Telegram bot tokens: `<bot id>:AA` + 33 (the id may be 5 to 16 digits where Telegram is named).
    _p("telegram", "Telegram bot token", r"(?P<body>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])", ":AA",
       word=r"A-Za-z0-9_:-", mixed_case=False),
    _p("telegram", "Telegram bot token", r"(?P<body>[0-9]{5,16}:[A-Za-z][A-Za-z0-9_-]{34})(?![A-Za-z0-9_-])", "telegr",
       gate_ci=True, word=r"A-Za-z0-9_:-", mixed_case=False),
    # Twilio API keys (`SK` + 32 hex) and auth tokens (32 hex where Twilio names them).
    _p("twilio", "Twilio API key", rf"SK(?P<body>[0-9a-fA-F]{{32}}){_END}", "SK", mixed_case=False),
    _p("twilio", "Twilio auth token", _assigned("twilio", r"[0-9a-f]{32}"), "twilio", flags=re.IGNORECASE,
       gate_ci=True, secret_is_body=True, mixed_case=False, anchor="twilio", need_digit=True),
    # SendGrid: `SG.` + 22 + `.` + 43.
    _p("sendgrid", "SendGrid API key",
       rf"SG\.(?P<body>[A-Za-z0-9_-]{{16,32}}\.[A-Za-z0-9_-]{{16,64}}|[A-Za-z0-9_=.-]{{66}}){_END_DASH}", "SG.",
       word=r"A-Za-z0-9_-", mixed_case=False),
    # Databricks personal access tokens: `dapi` + 32 hex (`-N` suffix on Azure).
    _p("databricks", "Databricks access token", rf"dapi(?P<body>[0-9a-f]{{32}})(?:-[0-9])?{_END_DASH}", "dapi",
       word=r"A-Za-z0-9_-", mixed_case=False),
    # Providers whose keys have no prefix: only where the provider is named.
    *(_p("cohere", "Cohere API key", _assigned(keyword, r"[A-Za-z0-9]{40}"), keyword, flags=re.IGNORECASE,
         gate_ci=True, secret_is_body=True, min_entropy=3.5, anchor=keyword, need_digit=True) for keyword in ("cohere", "co_api_key")),
    _p("cohere", "Cohere API key",
       r"cohere\.(?:Async)?Client(?:V2)?\([ \t]*(?:api_key[ \t]*=[ \t]*)?[\"'](?P<body>[A-Za-z0-9]{40})[\"']",
       "cohere", gate_ci=True, secret_is_body=True, min_entropy=3.5, anchor="cohere", need_digit=True),
    _p("mistral", "Mistral API key", _assigned("mistral", r"[A-Za-z0-9]{32}"), "mistral", flags=re.IGNORECASE,
       gate_ci=True, secret_is_body=True, min_entropy=3.5, anchor="mistral", need_digit=True),
    _p("mistral", "Mistral API key",
       r"Mistral(?:Client|AsyncClient)?\([ \t]*api_key[ \t]*=[ \t]*[\"'](?P<body>[A-Za-z0-9]{32})[\"']",
       "mistral", gate_ci=True, secret_is_body=True, min_entropy=3.5, anchor="mistral", need_digit=True),
    _p("deepseek", "DeepSeek API key", rf"sk-(?P<body>[a-z0-9]{{32}}){_END_DASH}", "deepseek", gate_ci=True,
       word=r"A-Za-z0-9_-", mixed_case=False),
)

# The Google API keys Firebase prints in its SDK samples and test apps (gitleaks keeps the same
# list): published on purpose, restricted to sample projects.
FIREBASE_EXAMPLE_KEYS = frozenset({
    "AIzaSyabcdefghijklmnopqrstuvwxyz1234567", "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
    "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM", "AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
    "AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0", "AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
    "AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c", "AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
    "AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY", "AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
    "AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ", "AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
    "AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU", "AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw",
    "AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE", "AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
})
# The Azurite storage emulator's account key, the same for everyone (Microsoft's docs print it).
AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
KNOWN_EXAMPLES = FIREBASE_EXAMPLE_KEYS | {AZURITE_ACCOUNT_KEY}

# Legacy W&B keys are 40 lowercase hex digits, like a git SHA; take them only where the line says
# W&B (`WANDB_API_KEY=`, `wandb.login(key=...)`, `wandb login KEY`, a .netrc entry for
# api.wandb.ai). Self-hosted servers prefix `local-`.
_HEX40 = r"(?:local-)?(?P<body>[0-9a-f]{40})(?![0-9A-Za-z])"
WANDB_PATTERNS: tuple[TokenPattern, ...] = tuple(
    TokenPattern("wandb", "Weights & Biases API key", pattern, "wandb", flags=re.IGNORECASE,
                 mixed_case=False, gate_ci=True, secret_is_body=True)
    for pattern in (
        rf"wandb_api_key[\"']?[ \t]*(?:=|:|=>)[ \t]*[\"']?{_HEX40}",
        rf"wandb\.login\([^)]{{0,120}}?key\s*=\s*[\"']{_HEX40}",
        rf"wandb[ \t]+login(?:[ \t]+--[a-z-]+(?:=\S+)?)*[ \t]+[\"']?{_HEX40}",
        rf"machine\s+api\.wandb\.ai\b[\s\S]{{0,200}}?password\s+{_HEX40}",
    )
)

# AWS access key IDs (`AKIA` long-term, `ASIA` temporary) and their 40-character secret keys.
# `ABIA` (STS service bearer) and `ACCA` (context-specific) IDs too, as gitleaks matches.
AWS_KEY_ID = lazy(r"A(?:KI|SI|BI|CC)A(?P<body>[A-Z0-9]{16})(?![A-Za-z0-9])")
AWS_KEY_ID_GATE = r"A(?:KI|SI|BI|CC)A"  # the literal every ID starts with (the scanner's prefilter)
# Every quantifier in this module is bounded, so a hostile file (a megabyte of `sk-sk-sk-...`)
# costs linear time, never quadratic.

# Matched at each occurrence of "secret" (found with a fast substring search): `secret_access_key`,
# `SecretAccessKey`, or `secret_key` when `aws` comes right before it.
AWS_SECRET_ASSIGNED = lazy(
    r"secret(?P<access>_?access)?_?key[\"']?[ \t]*(?:=|:|=>)[ \t]*[\"']?(?P<body>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    re.IGNORECASE,
)
AWS_SECRET_CANDIDATE = lazy(r"(?<![A-Za-z0-9/+=])(?P<body>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
AWS_PAIR_LINES = 3  # a secret key within this many lines of an access key ID is its pair

# PEM and OpenSSH private keys (PKCS#1, PKCS#8, SEC1, OpenSSH, encrypted, PGP blocks).
PRIVATE_KEY_BEGIN = lazy(r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_END = "-----"  # the END line, or the next BEGIN: a body never spans two blocks
PRIVATE_KEY_MAX_BODY = 16384  # characters searched for the END line
PRIVATE_KEY_MIN_BASE64 = 64  # fewer key characters than this is an elided example

# Credentials in a URL's user-info: `scheme://user:password@host`.
URL_CREDENTIALS = lazy(
    r"://(?P<user>[^\s:/?#@'\"<>()\[\]{}\\]{1,128}):(?P<password>[^\s/?#@'\"<>\\]{1,256})@"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))"
)
URL_SCHEME_TAIL = lazy(r"[A-Za-z][A-Za-z0-9+.-]{0,30}\Z")
EXAMPLE_HOSTS = ("example.com", "example.org", "example.net")
EXAMPLE_HOST_SUFFIXES = (".example", ".test", ".invalid")
