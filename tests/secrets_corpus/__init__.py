"""The secrets corpus: the true and false positives other scanners publish for their own rules.

Two kinds of case, each with its source:
- literal cases copied from the test lists of gitleaks' rules (`cmd/generate/config/rules/*.go`,
  `tps`/`fps`) and trufflehog's detector tests (`pkg/detectors/*/*_test.go`, valid and invalid
  patterns). They are fake or revoked test tokens published as such. `peer_cases.json` stores
  each text reversed, so that push protection and other scanners do not read this folder as a
  leak; `cases()` turns them back.
- generated cases: where a peer's test generates its token at run time (gitleaks'
  `secrets.NewSecret(regex)`), the same recipe (prefix, alphabet, length) drawn with a fixed seed.
  gitleaks' `AlphaNumeric(n)` is `[a-z0-9]{n}`, so these are lower-case.

gitleaks' randomly generated "JWTs" (`NewSecret("ey[a-zA-Z0-9]{17,}\\.ey...")`) are left out: their
header does not decode, so they are not JWTs. Its Discord client *ids* are left out too: an id is
public, not a credential.
"""

from __future__ import annotations

import dataclasses
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

_HERE = Path(__file__).parent
GITLEAKS = "gitleaks b58d3f102cf3"
_AN = string.ascii_lowercase + string.digits  # gitleaks' AlphaNumeric
_HEX = "0123456789abcdef"


@dataclasses.dataclass(frozen=True)
class Case:
    provider: str  # the row of the table (releasekit's provider family)
    expect: bool  # True: a credential that must be found; False: must not be reported
    text: str
    source: str


def _literal_cases() -> list[Case]:
    rows = json.loads((_HERE / "peer_cases.json").read_text(encoding="utf-8"))
    return [Case(r["provider"], r["expect"], r["reversed_text"][::-1], r["source"]) for r in rows]


def _generated_cases(seed: int) -> list[Case]:
    rng = random.Random(seed)

    def r(n: int, alphabet: str = _AN) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    def d(n: int) -> str:
        return r(n, string.digits)

    out: list[Case] = []

    def add(provider: str, file: str, func: str, make: Callable[[], str], *, context: str = "{i}_token = \"{s}\"",
            ident: str = "x", expect: bool = True) -> None:
        text = context.replace("{i}", ident).replace("{s}", make())
        out.append(Case(provider, expect, text, f"{GITLEAKS} cmd/generate/config/rules/{file} {func} (generated)"))

    up27 = string.ascii_uppercase + "234567"
    for prefix in ("AKIA", "ASIA", "ABIA", "ACCA"):
        add("aws", "aws.go", "AWS", lambda p=prefix: p + r(16, up27), ident="aws")
    add("aws", "aws.go", "AmazonBedrockAPIKeyLongLived", lambda: "ABSKQmVkcm9ja0FQSUtleS1" + r(108) + "=")
    add("aws", "aws.go", "AmazonBedrockAPIKeyLongLived", lambda: "ABSKQmVkcm9ja0FQSUtleS1" + r(246))
    for prefix, n in (("gldt-", 20), ("glffct-", 20), ("glft-", 20), ("glimt-", 25), ("glagent-", 50),
                      ("gloas-", 64), ("glpat-", 20), ("glrt-", 20), ("glsoat-", 20), ("GR1348941", 20)):
        add("gitlab", "gitlab.go", prefix, lambda p=prefix, k=n: p + r(k), ident="gitlab")
    add("gitlab", "gitlab.go", "GitlabCiCdJobToken", lambda: "glcbt-" + r(5) + "_" + r(20), ident="gitlab")
    add("gitlab", "gitlab.go", "GitlabPatRoutable", lambda: "glpat-" + r(27) + "." + r(2) + r(7), ident="gitlab")
    add("gitlab", "gitlab.go", "GitlabRunnerAuthTokenRoutable", lambda: "glrt-t" + d(1) + "_" + r(27) + "." + r(9),
        ident="gitlab")
    add("gitlab", "gitlab.go", "GitlabPipelineTriggerToken", lambda: "glptt-" + r(40, _HEX), ident="gitlab")
    add("gitlab", "gitlab.go", "GitlabSessionCookie", lambda: "_gitlab_session=" + r(32), context="{s}")
    slack = [
        ("SlackBotToken", lambda: f"xoxb-{d(13)}-{d(12)}-{r(24)}"),
        ("SlackUserToken", lambda: f"xoxp-{d(12)}-{d(13)}-{d(13)}-{r(32)}"),
        ("SlackAppLevelToken", lambda: f"xapp-1-A{d(10)}-{d(13)}-{r(64)}"),
        ("SlackConfigurationToken", lambda: "xoxe.xoxp-1-" + r(163)),
        ("SlackConfigurationToken", lambda: "xoxe.xoxb-1-" + r(165)),
        ("SlackConfigurationRefreshToken", lambda: "xoxe-1-" + r(146)),
        ("SlackLegacyBotToken", lambda: f"xoxb-{d(10)}-{r(24)}"),
        ("SlackLegacyBotToken", lambda: f"xoxb-{d(12)}-{r(23)}"),
        ("SlackLegacyWorkspaceToken", lambda: f"xoxa-{d(1)}-{r(12)}"),
        ("SlackLegacyWorkspaceToken", lambda: "xoxa-" + r(12)),
        ("SlackLegacyWorkspaceToken", lambda: f"xoxr-{d(1)}-{r(12)}"),
        ("SlackLegacyWorkspaceToken", lambda: "xoxr-" + r(12)),
        ("SlackLegacyToken", lambda: f"xoxs-{d(10)}-{d(10)}-{d(10)}-{r(10, _HEX)}"),
        ("SlackWebHookUrl", lambda: "hooks.slack.com/services/" + r(44)),
        ("SlackWebHookUrl", lambda: "http://hooks.slack.com/services/" + r(45)),
        ("SlackWebHookUrl", lambda: "https://hooks.slack.com/services/" + r(46)),
        ("SlackWebHookUrl", lambda: "hooks.slack.com/workflows/" + r(44)),
        ("SlackWebHookUrl", lambda: "https://hooks.slack.com/workflows/" + r(46)),
        ("SlackWebHookUrl", lambda: "https://hooks.slack.com/triggers/" + r(56)),
    ]
    for func, make in slack:
        add("slack", "slack.go", func, make, ident="slack")
    for prefix in ("ghp_", "gho_", "ghs_", "ghu_", "ghr_"):
        add("github", "github.go", prefix, lambda p=prefix: p + r(36), ident="github")
    add("github", "github.go", "GitHubFineGrainedPat", lambda: "github_pat_" + r(82), ident="github")
    letters = string.ascii_letters
    add("huggingface", "huggingface.go", "HuggingFaceAccessToken", lambda: "hf_" + r(34, letters), ident="huggingface")
    add("huggingface", "huggingface.go", "HuggingFaceOrganizationApiToken", lambda: "api_org_" + r(34, letters),
        ident="huggingface")
    word = string.ascii_letters + string.digits + "_"
    add("azure", "azure.go", "AzureActiveDirectoryClientSecret",
        lambda: r(3, word + "~.") + d(1) + "Q~" + r(rng.randint(31, 34), word + "~.-"), context='"pass": "{s}"')
    ext = _AN + "_-"
    for n in (8, 5, 16):
        add("telegram", "telegram.go", "TelegramBotToken", lambda k=n: d(k) + ":A" + r(34, ext), ident="telegram")
    for n in (4, 17):
        add("telegram", "telegram.go", "TelegramBotToken (fps)", lambda k=n: d(k) + ":A" + r(34, ext),
            ident="telegram", expect=False)
    add("databricks", "databricks.go", "Databricks", lambda: "dapi" + r(32, _HEX), ident="databricks")
    add("cohere", "cohere.go", "CohereAPIToken", lambda: r(40, string.ascii_letters + string.digits), ident="cohere")
    add("cohere", "cohere.go", "CohereAPIToken", lambda: r(40, string.ascii_letters + string.digits),
        context="export CO_API_KEY={s}")
    add("npm", "npm.go", "NPM", lambda: "npm_" + r(36), ident="npmAccessToken")
    add("twilio", "twilio.go", "Twilio", lambda: "SK" + r(32, _HEX), ident="twilio")
    add("sendgrid", "sendgrid.go", "SendGridAPIToken", lambda: "SG." + r(66, _AN + "=_-"), ident="sengridAPIToken")
    add("discord", "discord.go", "DiscordAPIToken", lambda: r(64, _HEX), ident="discord")
    add("discord", "discord.go", "DiscordClientSecret", lambda: d(32), ident="discord")
    add("google", "gcp.go", "GCPAPIKey", lambda: "AIza" + r(35, string.ascii_letters + string.digits + "_-"), ident="gcp")
    return out


def cases(seed: int = 12) -> list[Case]:
    """Every case, literal then generated, in a stable order."""
    return _literal_cases() + _generated_cases(seed)


@dataclasses.dataclass
class Tally:
    found: int = 0
    positives: int = 0
    false_alarms: int = 0
    negatives: int = 0


def measure(detect: Callable[[str], bool], corpus: list[Case] | None = None) -> dict[str, Tally]:
    """Per provider: true positives found and false positives reported by `detect(text)`."""
    table: dict[str, Tally] = {}
    for case in corpus if corpus is not None else cases():
        row = table.setdefault(case.provider, Tally())
        hit = detect(case.text)
        if case.expect:
            row.positives += 1
            row.found += hit
        else:
            row.negatives += 1
            row.false_alarms += hit
    return dict(sorted(table.items()))
