"""Hostile text: inputs built to make a backtracking regex quadratic must finish (never hang).

Each input is about a megabyte; a quadratic scan of it would run for hours, so the timeout
marker (not a speed assertion) is what fails if a pattern loses its bounds.
"""

from __future__ import annotations

import pytest

from releasekit.hygiene.localpaths import find_local_paths
from releasekit.secrets import find_secrets

MB = 1_000_000

HOSTILE = {
    "openai-prefix-run": "sk-" * (MB // 3) + "T3Blbk" + "FJ",
    "openai-long-body": "sk-" + "A" * MB + "T3Blbk" + "FJ" + "b" * MB,
    "hf-prefix-run": ("hf" + "_") * (MB // 3),
    "slack-prefix-run": ("xo" + "xs-1-1-1-") * (MB // 9),
    "pem-begin-run": ("-----BEGIN " + "PRIVATE KEY-----\n") * (MB // 28),
    "pem-long-body": "-----BEGIN " + "PRIVATE KEY-----\n" + "A" * MB,
    "url-userinfo-run": ("s://" + "u" * 120 + ":" + "p" * 250) * (MB // 375),
    "aws-id-and-candidates": "AK" + "IAQWERTYUIOPASDFGHJK\n" + ("A1b2" * 10 + " ") * (MB // 41),
    "aws-secret-run": ("aws_secret" + "_access_key=") * (MB // 21),
    "wandb-context-run": "wandb login " * (MB // 12) + "0" * 40,
    "dotenv-long-lines": ("API_KEY=" + "x" * 5000 + "\n") * 200,
    "jwt-segment-run": ("ey" + "J.") * (MB // 4),
    "jwt-long-segments": "ey" + "J" + "A" * MB + ".ey" + "J" + "B" * MB + "." + "c" * MB,
    "authorization-long-value": ("Authorization: Bearer " + "a1" * 3000 + "\n") * 150,
    "curl-user-unclosed-quotes": "curl " + ('-u "' + "x" * 299) * (MB // 303),
    "curl-header-run": "curl " + ('-H "X-Api-Key: ' + "k9" * 100) * (MB // 215),
    "azure-key-context-run": ("AccountKey=" + "A" * 80 + "==") * (MB // 93),
    "azure-sas-run": ("?sv=2020-01-01&" + "a" * 390) * (MB // 405) + "sig=",
    "aad-secret-run": ("abc1Q~" * (MB // 6)),
    "discord-shape-run": "discord " + ("M" * 27 + ".") * (MB // 28),
    "telegram-digits-run": ("1234567890:AA" * (MB // 13)),
    "twilio-run": ("SK" + "a" * 31) * (MB // 33),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_is_scanned_in_linear_time(name: str) -> None:
    find_secrets(HOSTILE[name], dotenv=True)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", [
    "a" * MB + "name_or_path: /home/x/y",
    "/home/" * (MB // 6),
    "'/mnt/" * (MB // 6),
    "C:\\\\Users\\\\" * (MB // 11),
], ids=["name-or-path-after-run", "home-run", "quoted-mnt-run", "windows-users-run"])
def test_hostile_text_for_local_paths_is_linear(text: str) -> None:
    for style in ("code", "config", "shell"):
        list(find_local_paths(text, style))
