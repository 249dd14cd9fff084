"""Secrets: credentials anywhere in the release's text, notebook outputs included (RK5xx).

One check reads every text file once (a bounded prefix of a huge one), finds credentials with the
pattern table of `releasekit.secrets`, registers each value with the context so no output format
can carry it, and reports it with at most its first four characters.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING

from releasekit import lazy
from releasekit.context import Context, Section
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check
from releasekit.release import ReleaseFile

if TYPE_CHECKING:
    from releasekit.secrets import SecretMatch
    from releasekit.secrets.settings import ScanSettings
    from releasekit.secrets.textfiles import TextFile

# The detectors, their pattern table and the text readers load when the check runs (in the text
# lane, see lanes.py), not when the registry lists the rules before the lanes fork.
detect = lazy.module("releasekit.secrets")
dotenv_files = lazy.module("releasekit.secrets.dotenv")
notebook = lazy.module("releasekit.secrets.notebook")
patterns = lazy.module("releasekit.secrets.patterns")
scan_options = lazy.module("releasekit.secrets.settings")
textfiles = lazy.module("releasekit.secrets.textfiles")

_REVOKE_THEN_REMOVE = textwrap.dedent("""
    How to fix: treat the credential as compromised whether or not the release went public:
    revoke or rotate it with the provider first, then remove it from the file (read it from an
    environment variable at run time instead). For a notebook, also clear its outputs. A line
    that must keep a look-alike (a documented test value) can carry the comment
    `releasekit: allow-secret`.
""").strip()


def _token_rule(id: str, name: str, short: str, what: str, why: str) -> Rule:
    return Rule.define(
        id, name, category="secrets", severity=Severity.ERROR, summary=f"{short} in a file of the release.",
        doc=f"What it finds: {what} in any text file of the release, notebook sources and outputs "
            f"included.\n\nWhy it matters: {why} Anyone who downloads the release can use it, and "
            f"scrapers harvest public repositories within minutes.\n\n{_REVOKE_THEN_REMOVE}",
    )


RK501 = _token_rule(
    "RK501", "huggingface-token", "A Hugging Face token",
    "A Hugging Face access token (`hf_` + 34 letters, or an `api_org_` token)",
    "A write token lets its holder push to every repository of the user or organization, "
    "including replacing the released weights.",
)
RK502 = _token_rule(
    "RK502", "github-token", "A GitHub token",
    "A GitHub token (classic `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` of 36 to 251 characters, or fine-grained `github_pat_`)",
    "It acts as its owner on GitHub: private repositories, packages, workflows.",
)
RK503 = Rule.define(
    "RK503", "aws-credentials", category="secrets", severity=Severity.ERROR,
    summary="An AWS access key pair (or a lone access key ID) in a file of the release.",
    doc="""
    What it finds: AWS secret access keys (40 characters, assigned to `aws_secret_access_key` or
    next to an access key ID), access key IDs (`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 characters) and
    Amazon Bedrock API keys (long-lived `ABSK...`, short-lived `bedrock-api-key-...`). A pair or a
    Bedrock key is an error; an ID with no secret key in the same file is a warning, since the ID
    alone does not authenticate but shows where to look.

    Why it matters: an access key pair acts as its IAM user, often with rights to buckets of
    training data or to spend on compute.

    How to fix: deactivate and delete the key in the IAM console, then remove both parts from the
    file; use an IAM role or environment credentials at run time. A documented example
    (`...EXAMPLE`) is never reported.
    """,
)
RK504 = _token_rule(
    "RK504", "openai-api-key", "An OpenAI API key",
    "An OpenAI API key (`sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-`)",
    "It spends the owner's credit and reads their files and fine-tunes.",
)
RK505 = _token_rule(
    "RK505", "anthropic-api-key", "An Anthropic API key",
    "An Anthropic API key or OAuth token (`sk-ant-`)",
    "It spends the owner's credit and acts on their organization.",
)
RK506 = _token_rule(
    "RK506", "slack-token", "A Slack token or webhook URL",
    "A Slack token (`xoxb-`, `xoxp-`, `xapp-`, ...) or incoming-webhook URL",
    "It posts into (and with user tokens, reads) the workspace's channels.",
)
RK507 = _token_rule(
    "RK507", "wandb-api-key", "A Weights & Biases API key",
    "A Weights & Biases API key (`wandb_v1_...`, or a 40-hex key where W&B names it: `WANDB_API_KEY=`, "
    "`wandb.login(key=...)`, `wandb login`, a .netrc entry)",
    "It reads and writes every project of the owner: runs, artifacts, often the training data.",
)
RK508 = _token_rule(
    "RK508", "google-api-key", "A Google API key",
    "A Google API key (`AIza` + 35 characters)",
    "It bills the owner's Google Cloud project for every API it is allowed to call.",
)
RK509 = _token_rule(
    "RK509", "stripe-secret-key", "A Stripe live secret key",
    "A Stripe live secret or restricted key (`sk_live_`, `rk_live_`)",
    "It moves real money on the owner's Stripe account.",
)
RK510 = _token_rule(
    "RK510", "api-token", "An API token of another service (PyPI, npm, GitLab, Discord, Telegram, ...)",
    "An API token of another common service: PyPI, npm (`npm_` and legacy UUID `_authToken`s), GitLab "
    "(every token type: `glpat-`, `gldt-`, `glrt-`, `glptt-`, `glcbt-`, `glimt-`, `glagent-`, `glsoat-`, "
    "`glft-`, `glffct-`, `gloas-`, `GR1348941` runner registration tokens, session cookies), Replicate, Groq, "
    "Discord (bot tokens, webhooks), Telegram bot tokens, Twilio (`SK` API keys, auth tokens where Twilio "
    "is named), SendGrid (`SG.`), Databricks (`dapi`), and, where the provider is named next to the key, "
    "Cohere, Mistral and DeepSeek keys",
    "Registry tokens publish packages under the owner's name (a supply-chain attack); CI tokens run code "
    "in the owner's pipelines; bot and webhook tokens post as the owner; service tokens spend the owner's credit.",
)
RK515 = _token_rule(
    "RK515", "azure-credentials", "An Azure key or client secret",
    "An Azure storage account key (in a connection string or next to `AccountKey`/`AccessKey`), a "
    "`SharedAccessKey=` of a Service Bus or Event Hubs connection string, a SAS signature in a URL, or an "
    "Entra ID (AAD) application client secret (`xxxNQ~...`)",
    "A storage key reads and overwrites every blob of the account (training data, checkpoints); a client "
    "secret signs in as the application with all its granted permissions.",
)
RK516 = Rule.define(
    "RK516", "jwt", category="secrets", severity=Severity.ERROR,
    summary="A signed JSON Web Token in a file of the release.",
    doc="""
    What it finds: a signed JWT (`eyJ...header.eyJ...payload.signature`) whose header and payload
    decode to JSON, in any text file, notebook outputs included. Unsigned tokens (`alg: none`)
    and jwt.io's tutorial example are not reported. A token whose `exp` claim has passed is a
    warning: it no longer authenticates, but its payload may still name users and systems.

    Why it matters: JWTs are sessions and API keys (Supabase, Firebase, Kubernetes service
    accounts, many SaaS APIs issue them): whoever holds one acts as its subject until it
    expires, and some never do.

    How to fix: revoke the session or rotate the key that signed it (for a service key, issue a
    new one), then remove the token from the file; for a notebook, clear its outputs. A line that
    must keep a documented example can carry the comment `releasekit: allow-secret`.
    """,
)
RK517 = Rule.define(
    "RK517", "http-credentials", category="secrets", severity=Severity.ERROR,
    summary="A credential in an Authorization header or a `curl -u user:password`.",
    doc="""
    What it finds: a bearer token, API token or Basic credentials written after `Authorization`
    (in code, a config, a notebook or a curl command), an API-key header in a curl command
    (`-H "X-Api-Key: ..."`), and the `user:password` of `curl -u` / `--user`. Placeholders
    (`Bearer $TOKEN`, `<token>`, `user:password`, `${{ secrets.X }}`, `xxxx`) are not reported;
    tokens of a known provider are reported by that provider's rule instead.

    Why it matters: the header or the password is a working login for the API it was sent to.

    How to fix: revoke or change the credential, then read it from an environment variable at
    run time (`-H "Authorization: Bearer $API_TOKEN"`, `curl -u "$USER:$PASSWORD"`).
    """,
)
RK511 = Rule.define(
    "RK511", "private-key", category="secrets", severity=Severity.ERROR,
    summary="A private key (PEM, OpenSSH, PGP) in a file of the release.",
    doc="""
    What it finds: a `-----BEGIN ... PRIVATE KEY-----` block with real key material (at least 64
    base64 characters), in any text file: key files, service-account JSON, notebooks. An elided
    example (`-----BEGIN PRIVATE KEY-----` then `...`) is not reported.

    Why it matters: a private key signs as, decrypts for, or logs in as its owner: SSH access to
    the training cluster, a TLS certificate, a cloud service account.

    How to fix: remove the key from the release and replace the key pair (revoke the certificate,
    remove the public key from authorized_keys, delete the service-account key): once published
    it is compromised.
    """,
)
RK512 = Rule.define(
    "RK512", "url-credentials", category="secrets", severity=Severity.ERROR,
    summary="A password in a URL (`scheme://user:password@host`).",
    doc="""
    What it finds: URLs that carry a user name and password, such as database connection strings
    or git remotes with a password. Placeholders (`user:password@`, `${DB_PASSWORD}`, `<pass>`),
    default pairs (`guest:guest`) and example hosts (`example.com`) are not reported.

    Why it matters: the URL is a working login for the database, queue or repository it names.

    How to fix: change the password, then build the URL at run time from an environment
    variable or a secrets manager.
    """,
)
RK513 = Rule.define(
    "RK513", "dotenv-secret", category="secrets", severity=Severity.ERROR,
    summary="A secret-named variable with a real value in a .env file.",
    doc="""
    What it finds: in a `.env` file (`.env`, `.env.local`, `prod.env`; not `.env.example`), a
    variable whose name says it is secret (`*_TOKEN`, `*_PASSWORD`, `*_SECRET`, `*_API_KEY`,
    ...) and whose value is at least 8 characters and not a placeholder or a reference.

    Why it matters: a .env file is one machine's private environment; its secrets work wherever
    the file goes.

    How to fix: rotate the value, remove the .env file from the release, and ship a
    `.env.example` with placeholders instead.
    """,
)
RK514 = Rule.define(
    "RK514", "dotenv-file", category="secrets", severity=Severity.WARNING,
    summary="A .env file ships with the release.",
    doc="""
    What it finds: a `.env` file (not an example or template such as `.env.example`).

    Why it matters: .env files hold a machine's local settings and secrets; even one with no
    secret today is where the next one will be written.

    How to fix: remove it from the release; ship `.env.example` with placeholder values.
    """,
)
RK520 = Rule.define(
    "RK520", "scan-incomplete", category="secrets", severity=Severity.INFO,
    summary="A file was only partly scanned for secrets (too large, or unreadable).",
    doc="""
    What it finds: a text file larger than `[secrets] max-bytes` (only its beginning was scanned),
    a notebook that could not be parsed (scanned as plain text), or a file that could not be read
    (a warning).

    Why it matters: a clean result only covers what was read; this says where the scan stopped.

    How to fix: nothing, if the file is data you trust; otherwise raise `max-bytes` (or
    `notebook-max-bytes`) in the `[secrets]` table of releasekit.toml, or fix the file.
    """,
)
RULES_BY_PROVIDER: dict[str, Rule] = {
    "huggingface": RK501, "github": RK502, "aws": RK503, "openai": RK504, "anthropic": RK505,
    "slack": RK506, "wandb": RK507, "google": RK508, "stripe": RK509, "pypi": RK510, "npm": RK510,
    "gitlab": RK510, "replicate": RK510, "groq": RK510, "discord": RK510, "telegram": RK510, "twilio": RK510,
    "sendgrid": RK510, "databricks": RK510, "cohere": RK510, "mistral": RK510, "deepseek": RK510,
    "azure": RK515, "jwt": RK516, "http": RK517,
    "private-key": RK511, "url": RK512, "dotenv": RK513,
}
_RULES = tuple(dict.fromkeys(RULES_BY_PROVIDER.values())) + (RK514, RK520)


def scan_settings(ctx: Context) -> ScanSettings:
    """The [secrets] table; its shape was validated with the rest of the settings (settings_model)."""
    return ctx.memo("secrets.settings", lambda: scan_options.parse_scan_settings(ctx.settings.section("secrets")))


@check(*_RULES)
def scan_for_secrets(ctx: Context) -> Iterator[Finding]:
    """Every regular text file of the release, through the pattern table."""
    settings = scan_settings(ctx)
    tally = {"text_files": 0, "text_bytes": 0, "binary_files": 0, "excluded_files": 0, "partly_scanned": 0,
             "unreadable": 0, "credentials": 0}
    for file in ctx.release.regular_files():
        if scan_options.matches_any(file.path, settings.exclude):
            tally["excluded_files"] += 1
            continue
        env_file = dotenv_files.is_dotenv(file.name) and not dotenv_files.is_dotenv_example(file.name)
        if env_file:
            yield RK514.finding(file.path, "a .env file ships with the release: remove it, and ship a "
                                           ".env.example with placeholder values instead")
        try:
            text = textfiles.read_text_file(ctx, file, settings.max_bytes, settings.notebook_max_bytes)
        except OSError as exc:
            tally["unreadable"] += 1
            yield RK520.finding(file.path, f"cannot be read ({exc.strerror or exc}); it was not scanned for secrets",
                                severity=Severity.WARNING)
            continue
        if text is None:
            tally["binary_files"] += 1
            continue
        tally["text_files"] += 1
        tally["text_bytes"] += min(file.size, settings.notebook_max_bytes if text.notebook else settings.max_bytes)
        tally["partly_scanned"] += text.truncated
        found = list(_scan(ctx, file, text, dotenv=env_file))
        tally["credentials"] += len(found)
        yield from found
        yield from _incomplete(file, text, settings)
    ctx.add_section(_summary(tally))


def _summary(tally: dict[str, int]) -> Section:
    """The scan's coverage, so a clean result says what it covered (counts only, never values)."""
    lines = [f"{tally['text_files']} text file(s) scanned ({textfiles.human_size(tally['text_bytes'])}), "
             f"{tally['binary_files']} binary file(s) skipped"
             + (f", {tally['excluded_files']} excluded by settings" if tally["excluded_files"] else "")]
    if tally["partly_scanned"] or tally["unreadable"]:
        lines.append(f"{tally['partly_scanned']} file(s) only partly scanned, {tally['unreadable']} unreadable (RK520)")
    found = tally["credentials"]
    lines.append(f"{found} credential(s) found" if found else "no credentials found")
    return Section(name="secrets", title="Secrets", data=dict(tally), lines=tuple(lines))


def _scan(ctx: Context, file: ReleaseFile, text: TextFile, *, dotenv: bool) -> Iterator[Finding]:
    located: dict[str, list[tuple[SecretMatch, str, int | None]]] = {}
    for segment in text.segments:
        for match in detect.find_secrets(segment.text, dotenv=dotenv):
            for value in detect.scrub_candidates(match.value, match.extra_values):
                ctx.register_secret(value)
            line = match.line if not segment.where else notebook.locate(text.raw, match.value)
            located.setdefault(match.value, []).append((match, segment.where, line))
    for occurrences in located.values():
        match, where, line = occurrences[0]
        yield _finding(file, match, where, line, more=len(occurrences) - 1)


def _finding(file: ReleaseFile, match: SecretMatch, where: str, line: int | None, *, more: int) -> Finding:
    rule = RULES_BY_PROVIDER[match.provider]
    shown = detect.preview(match.value, revealable=match.revealable)
    place = f" in {where}" if where else ""
    again = f" (and {more} more time{'s' if more > 1 else ''} in this file)" if more else ""
    clear = "; clear the notebook's outputs" if "output" in where else ""
    severity = None
    if match.provider in patterns.PROVIDERS:
        revoke = patterns.PROVIDERS[match.provider].revoke
        if match.paired is False:
            severity = Severity.WARNING
            message = (f"{match.label} {shown}{place}{again} with no secret key beside it: if its secret key was "
                       f"ever published, deactivate the key in {revoke}; remove the ID from the file{clear}")
        else:
            message = f"{match.label} {shown}{place}{again}: revoke it at {revoke}, then remove it from the file{clear}"
    elif match.provider == "private-key":
        message = (f"{match.label}{place}{again}: remove it from the release and replace the key pair, "
                   f"it must be considered compromised{clear}")
    elif match.provider == "jwt":
        if match.expired:
            severity = Severity.WARNING
            message = (f"{match.label} {shown}{place}{again}: it no longer authenticates, but remove it from the "
                       f"file (its claims may name users and systems){clear}")
        else:
            message = (f"{match.label} {shown}{place}{again}: revoke the session or rotate the key that signed "
                       f"it, then remove it from the file{clear}")
    elif match.provider == "http":
        message = (f"{match.label} {shown}{place}{again}: revoke or change the credential, then read it from an "
                   f"environment variable at run time{clear}")
    elif match.provider == "url":
        message = (f"{match.label} {shown}{place}{again}: change the password and build the URL at run time "
                   f"from an environment variable{clear}")
    else:
        message = (f"{match.label} {shown} in a .env file{again}: rotate it, remove the file from the release "
                   f"and ship a .env.example with placeholders")
    return rule.finding(file.path, message, line=line, severity=severity)


def _incomplete(file: ReleaseFile, text: TextFile, settings: ScanSettings) -> Iterator[Finding]:
    if text.truncated:
        key = "notebook-max-bytes" if text.notebook else "max-bytes"
        limit = settings.notebook_max_bytes if text.notebook else settings.max_bytes
        how = " (as plain text: a partial notebook cannot be parsed)" if text.notebook else ""
        size = textfiles.human_size
        yield RK520.finding(file.path, f"only the first {size(limit)} of {size(file.size)} were "
                                       f"scanned for secrets{how}; raise [secrets] {key} to scan all of it")
    elif text.note:
        yield RK520.finding(file.path, f"notebook {text.note}; its secrets were still looked for")
