"""One failing and one passing fixture for every secrets and hygiene rule, and a guard that a new
rule in either category cannot arrive without both."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from releasekit.engine import check_path
from releasekit.registry import all_rules
from test_secrets_samples import SAMPLES

Build = Callable[[Callable[..., Path]], Path]


def _sample(rule: str) -> dict[str, str]:
    s = next(s for s in SAMPLES if s.rule == rule)
    return {s.filename: s.content}


def _files(files: dict) -> Build:
    return lambda make: make(files)


def _link(files: dict, name: str, target: str) -> Build:
    def build(make: Callable[..., Path]) -> Path:
        root = make(files)
        (root / name).symlink_to(target)
        return root
    return build


_CLEAN_CODE = {"train.py": "import os\ntoken = os.environ['HF_TOKEN']\n"}
_ELF_CORE = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<H", 4) + b"\0" * 46

FIXTURES: dict[str, tuple[Build, Build]] = {
    **{rule: (_files(_sample(rule)), _files(_CLEAN_CODE)) for rule in
       ("RK501", "RK502", "RK503", "RK504", "RK505", "RK506", "RK507", "RK508", "RK509", "RK510", "RK511", "RK512",
        "RK515", "RK516", "RK517")},
    "RK513": (_files(_sample("RK513")), _files({".env": "DB_PASSWORD=${DB_PASSWORD}\n"})),
    "RK514": (_files({".env": "MODEL=x\n"}), _files({".env.example": "HF_TOKEN=<your-token>\n"})),
    "RK520": (_files({"releasekit.toml": "[secrets]\nmax-bytes = 100\n", "data.jsonl": "{}\n" * 100}),
              _files({"releasekit.toml": "[secrets]\nmax-bytes = 1000\n", "data.jsonl": "{}\n" * 100})),
    "RK601": (_link({"a.txt": "a"}, "link", "/etc/hostname"), _link({"a.txt": "a"}, "link", "a.txt")),
    "RK602": (_link({"a.txt": "a"}, "link", "b.txt"), _link({"a.txt": "a"}, "link", "a.txt")),
    "RK603": (_files({"config.json": {"_name_or_path": "/home/alice/ckpt"}}),
              _files({"config.json": {"_name_or_path": "deepseek-ai/DeepSeek-V3"}})),
    "RK604": (_files({".DS_Store": "x"}), _files({"store.txt": "x"})),
    "RK605": (_files({"core": _ELF_CORE}), _files({"core": "#!/bin/sh\n"})),
    "RK606": (_files({"tokenizer.json": ""}), _files({"__init__.py": ""})),
    "RK607": (_files({"vendored/.git/HEAD": "ref: x\n"}), _files({"vendored/git.txt": "x"})),
    "RK608": (_files({"releasekit.toml": "[hygiene]\nmax-folder-entries = 2\n", **{f"d/{i}": "x" for i in range(3)}}),
              _files({"releasekit.toml": "[hygiene]\nmax-folder-entries = 3\n", **{f"d/{i}": "x" for i in range(3)}})),
    "RK610": (_files({"config.json": {"auto_map": {"AutoModel": "modeling_x.XModel"}}}),
              _files({"config.json": {"auto_map": {"AutoModel": "modeling_x.XModel"}}, "modeling_x.py": "x = 1\n"})),
    "RK611": (_files({"config.json": {"model_type": "llama", "vocab_size": 32000}, "model.safetensors": b"x"}),
              _files({"config.json": {"model_type": "llama", "vocab_size": 32000}, "model.safetensors": b"x",
                      "tokenizer.json": "{}"})),
    "RK612": (_files({".releasekit-convert/state.json": "{}"}), _files({"releasekit-convert.txt": "x"})),
    "RK609": (_files({"releasekit.toml": "[hygiene]\nmax-files = 2\n", "a": "x", "b": "x"}),
              _files({"releasekit.toml": "[hygiene]\nmax-files = 3\n", "a": "x", "b": "x"})),
}


def test_every_secrets_and_hygiene_rule_has_fixtures() -> None:
    rules = {r.id for r in all_rules() if r.category in ("secrets", "hygiene")}
    assert rules == set(FIXTURES)


@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_rule_fires_on_its_failing_fixture_only(rule: str, make_release) -> None:
    failing, passing = FIXTURES[rule]
    assert rule in {f.rule for f in check_path(failing(make_release), select=rule).findings}
    assert check_path(passing(make_release), select=rule).findings == ()
