"""One example per rule: the files of a minimal release that triggers it.

`scripts/gen_docs.py` renders each example in its rule's page (the files, then what `releasekit
check --select RULE` prints on them), and `tests/test_rule_examples.py` builds every example and
asserts the rule fires, so an example cannot rot. A new rule needs an entry here.

An example either starts from the bundled example release (`base=True`: the tiny
DeepSeek-V3-style model of `python -m releasekit.example`, which passes) and changes a few files,
or is a folder of its own. Text files are given inline; binary ones are built by the small helpers
below, which say in words what they hold (that is what the page shows).
"""

from __future__ import annotations

import json
import pickle
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.safetensors_format import encode_header

LICENSES = Path(__file__).resolve().parents[2] / "tests" / "licenses"


@dataclass(frozen=True)
class Binary:
    """A binary file: its bytes, and the words the rule's page shows instead of them."""

    description: str
    data: bytes


@dataclass(frozen=True)
class LicenseText:
    """The standard text of an SPDX license (shown as its name, not its 20 KB)."""

    spdx: str
    extra: str = ""  # appended, for a modified text

    def text(self) -> str:
        return (LICENSES / f"{self.spdx}.txt").read_text(encoding="utf-8") + self.extra


@dataclass(frozen=True)
class Example:
    files: dict[str, str | Binary | LicenseText | dict] = field(default_factory=dict)
    base: bool = False                      # start from the bundled example release
    remove: tuple[str, ...] = ()            # files of the base to delete
    config: dict[str, Any] = field(default_factory=dict)   # changes to the base's config.json (None deletes)
    symlinks: dict[str, str] = field(default_factory=dict)  # link name -> target
    fifos: tuple[str, ...] = ()             # named pipes to create
    sparse: dict[str, int] = field(default_factory=dict)   # file name -> size (sparse: costs no disk)
    note: str = ""                          # one line said before the files
    also_select: str = ""                   # rules whose findings this rule reports on (RK010, RK011)


@dataclass(frozen=True)
class NoExample:
    """A rule no folder can trigger on purpose (it reports a bug in releasekit or the machine)."""

    reason: str


# --- binary helpers ------------------------------------------------------------------------------

def safetensors(tensors: list[tuple[str, str, list[int]]], metadata: dict[str, str] | None = None) -> Binary:
    header, spans = encode_header(tensors, metadata)
    size = max((end for _, end in spans.values()), default=0)
    names = ", ".join(f"{n} {d}{s}" for n, d, s in tensors)
    return Binary(f"a safetensors file holding {names}", header + b"\0" * size)


def raw_safetensors(header: Any, data_len: int, description: str, *, header_len: int | None = None) -> Binary:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    text += b" " * (-(len(text) + 8) % 8)
    length = len(text) if header_len is None else header_len
    return Binary(description, struct.pack("<Q", length) + text + b"\0" * data_len)


def span(dtype_bytes: int, shape: list[int], start: int) -> list[int]:
    n = dtype_bytes
    for d in shape:
        n *= d
    return [start, start + n]


def pickled_global(module: str, name: str, description: str) -> Binary:
    """A pickle that imports `module.name` and calls it with no arguments (never loaded here)."""
    data = (pickle.PROTO + b"\x02" + pickle.GLOBAL + f"{module}\n{name}\n".encode() + pickle.EMPTY_TUPLE
            + pickle.REDUCE + pickle.STOP)
    return Binary(description, data)


def _inconsistent_zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
        archive.writestr("archive/version", "3\n")
    data = buffer.getvalue()
    return data.replace(b"archive/data.pkl", b"archive/dada.pkl", 1)  # the first is the local header


def card(front_matter: str, body: str = "\n# Model\n\nA model.\n") -> str:
    return f"---\n{front_matter.strip()}\n---\n{body}"


def fake(n: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", seed: int = 7) -> str:
    """A fixed, random-looking string (a real credential is random; a hand-typed one is ignored)."""
    import random

    rng = random.Random(seed + n)
    return "".join(rng.choice(alphabet) for _ in range(n))


def token(*parts: str) -> str:
    """Credential-shaped values are assembled from parts so that no scanner sees one in this file."""
    return "".join(parts)


_HF = token("hf", "_", "kFqZbWtNcRvXyLpMdJsAoEiUgHtQwBzVnK")


def _jwt() -> str:
    """A signed JWT built here (base64url of a JSON header and payload, and a signature)."""
    import base64

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")

    return ".".join([part({"alg": "HS256", "typ": "JWT"}), part({"sub": "ci-bot", "exp": 4102444800}),
                     fake(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")])


_JWT = _jwt()


EXAMPLES: dict[str, Example | NoExample] = {
    # --- engine ---------------------------------------------------------------------------------
    "RK001": NoExample("It reports a bug in releasekit (a check that raised), which no release should be able to "
                       "cause on purpose; tests/test_engine.py makes a check crash to test it."),
    "RK002": NoExample("It needs a file the auditing user cannot read (permissions, I/O errors); the superuser the "
                       "docs are built as reads everything. `chmod 000 weights/` as an ordinary user shows it."),
    "RK003": Example(base=True, fifos=("logs/train.fifo",), note="A named pipe left by a logging setup."),
    "RK010": Example(base=True, also_select="secrets", files={
        "train/fixtures.py": f'TOKEN = "{_HF}"  # releasekit: ignore[RK501]\n'},
        note="A suppression comment that gives no reason."),
    "RK011": Example(base=True, also_select="pickle", files={
        "releasekit.toml": '[[ignore]]\npath = "*.pkl"\nrules = ["pickle"]\nreason = "our own file"\n',
        "optimizer.pkl": pickled_global("os", "getcwd", "a pickle that calls os.getcwd()"),
    }),
    # --- weights --------------------------------------------------------------------------------
    "RK100": Example(files={"README.md": card("license: mit"), "LICENSE": LicenseText("MIT"),
                            "inference/model.py": "import torch\n"}),
    "RK101": Example(files={"model.safetensors": raw_safetensors(b'{"w": {"dtype": "F32", "shape": [2], "data',
                                                                 8, "a safetensors file whose JSON header is cut off")}),
    "RK102": Example(files={"model.safetensors": raw_safetensors(
        {"w": {"dtype": "F31", "shape": [2], "data_offsets": [0, 8]}}, 8, "a tensor `w` of dtype F31")}),
    "RK103": Example(files={"model.safetensors": raw_safetensors(
        {"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, 8,
        "a tensor `w` F32[3] (12 bytes) given an 8-byte span")}),
    "RK104": Example(files={"model.safetensors": raw_safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, 12,
        "tensors `a` and `b` whose byte spans overlap")}),
    "RK105": Example(files={"model.safetensors": Binary(
        "a safetensors file of one F32[4] tensor, cut 8 bytes short (an interrupted download)",
        safetensors([("w", "F32", [4])]).data[:-8])}),
    "RK106": Example(files={"model.safetensors": raw_safetensors(
        {"__metadata__": {"format": 1}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, 8,
        "a header whose `__metadata__` maps `format` to the number 1")}),
    "RK107": Example(base=True, sparse={"consolidated.safetensors": 501 * 10**9},
                     note="A 501 GB file (made sparse here, so it costs no disk)."),
    "RK108": Example(base=True, sparse={"consolidated.safetensors": 201 * 10**9},
                     note="A 201 GB file (made sparse here, so it costs no disk)."),
    "RK109": Example(base=True, files={"model-00002-of-00002.safetensors": (
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 2465416\n")},
        note="The repository was cloned without Git LFS: the second shard is a pointer."),
    "RK110": Example(files={"model.safetensors.index.json": '{"metadata": {}, "weight_map": ',
                            "model-00001-of-00001.safetensors": safetensors([("w", "F32", [2])])}),
    "RK111": Example(base=True, remove=("model-00002-of-00002.safetensors",)),
    "RK112": Example(files={
        "a.safetensors": safetensors([("x", "F32", [2])]), "b.safetensors": safetensors([("y", "F32", [2])]),
        "model.safetensors.index.json": {"metadata": {"total_size": 16},
                                         "weight_map": {"x": "b.safetensors", "y": "b.safetensors"}}}),
    "RK113": Example(files={
        "a.safetensors": safetensors([("x", "F32", [2])]),
        "b.safetensors": safetensors([("y", "F32", [2]), ("z", "F32", [2])]),
        "model.safetensors.index.json": {"metadata": {"total_size": 24},
                                         "weight_map": {"x": "a.safetensors", "y": "b.safetensors"}}}),
    "RK114": Example(files={
        "a.safetensors": safetensors([("x", "F32", [2])]),
        "b.safetensors": safetensors([("x", "F32", [2]), ("y", "F32", [2])]),
        "model.safetensors.index.json": {"metadata": {"total_size": 24},
                                         "weight_map": {"x": "a.safetensors", "y": "b.safetensors"}}}),
    "RK115": Example(base=True, files={"model-00003-of-00003.safetensors": safetensors([("old", "F32", [1])])},
                     note="A shard of an older export left beside the current index."),
    "RK116": Example(files={
        "a.safetensors": safetensors([("x", "F32", [2])]),
        "model.safetensors.index.json": {"metadata": {"total_size": 4096}, "weight_map": {"x": "a.safetensors"}}}),
    "RK117": Example(files={
        "model-00001-of-00002.safetensors": safetensors([("x", "F32", [2])]),
        "model-00002-of-00002.safetensors": safetensors([("y", "F32", [2])])}),
    "RK120": Example(base=True, config={"num_hidden_layers": 2}),
    "RK121": Example(base=True, config={"vocab_size": 2048}),
    "RK122": Example(base=True, config={"hidden_size": 512}),
    "RK123": Example(base=True, config={"kv_lora_rank": 128}),
    "RK124": Example(base=True, config={"n_routed_experts": 8}),
    "RK125": Example(base=True, config={"tie_word_embeddings": True}),
    "RK126": Example(base=True, config={"intermediate_size": 640}),
    "RK127": Example(base=True, files={"config.json": '{\n  "model_type": "deepseek_v3",\n  "vocab_size": 1024,\n}\n'},
                     note="A trailing comma: config.json is no longer JSON."),
    "RK128": Example(files={"config.json": {"model_type": "llama", "torch_dtype": "float32"},
                            "model.safetensors": safetensors([("w.weight", "BF16", [64, 64])])}),
    "RK130": Example(files={"model.safetensors": safetensors([("w.weight", "F8_E4M3", [256, 256])])}),
    "RK131": Example(files={
        "config.json": {"model_type": "deepseek_v3", "quantization_config": {
            "quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}},
        "model.safetensors": safetensors(
        [("w.weight", "F8_E4M3", [256, 256]), ("w.weight_scale_inv", "F32", [4, 4])])}),
    "RK132": Example(files={"model.safetensors": safetensors(
        [("w.weight", "BF16", [256, 256]), ("w.weight_scale_inv", "F32", [2, 2])])}),
    "RK133": Example(base=True, config={"quantization_config": None}),
    # --- pickle ---------------------------------------------------------------------------------
    "RK201": Example(files={"training_args.bin": pickled_global(
        "os", "system", "a pickle that imports os.system and calls it")}),
    "RK202": Example(files={"model.pkl": Binary(
        "a pickle that builds the name of the callable it imports at load time (STACK_GLOBAL on computed strings)",
        pickle.PROTO + b"\x04" + pickle.SHORT_BINUNICODE + b"\x02os" + pickle.SHORT_BINUNICODE + b"\x06system"
        + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.SHORT_BINUNICODE + b"\x01x" + pickle.STACK_GLOBAL
        + pickle.STOP)}),
    "RK203": Example(files={"model.pkl": Binary("a file named .pkl that ends in the middle of a pickle",
                                                pickle.PROTO + b"\x04" + pickle.SHORT_BINUNICODE + b"\x05hel")}),
    "RK204": Example(files={"pytorch_model.bin": Binary(
        "a PyTorch zip checkpoint whose central directory names archive/data.pkl while the member's local "
        "header says archive/dada.pkl", _inconsistent_zip())}),
    "RK205": Example(files={"optimizer.pt": Binary(
        "a pickle of a plain dict {'step': 1000} (only allowlisted constructs)", pickle.dumps({"step": 1000},
                                                                                              protocol=2))}),
    "RK206": Example(files={
        "releasekit.toml": '[pickle]\nallow = ["mylab.train.TrainState"]\n',
        "state.pkl": pickled_global("mylab.train", "TrainState", "a pickle that calls mylab.train.TrainState()")}),
    "RK207": Example(files={"releasekit.toml": '[pickle]\nallow = ["os.system"]\n',
                            "state.pkl": pickled_global("os", "system", "a pickle that calls os.system()")}),
    # --- license --------------------------------------------------------------------------------
    "RK301": Example(base=True, remove=("LICENSE",)),
    "RK302": Example(base=True, files={
        "LICENSE": "Weights may be looked at on Tuesdays only. All other use needs written permission.\n",
        "README.md": card("library_name: transformers")}),
    "RK303": Example(base=True, files={"LICENSE": LicenseText(
        "MIT", "\nThe Software shall not be used for commercial purposes.\n")}),
    "RK304": Example(base=True, files={"README.md": card("license: apache-2.0\nlibrary_name: transformers")}),
    "RK305": Example(base=True, files={"README.md": card("license: other\nlibrary_name: transformers")}),
    "RK306": Example(base=True, files={"inference/kernels.py": "# SPDX-License-Identifier: MIT AND (\nimport torch\n"}),
    "RK307": Example(base=True, files={"inference/fast_rope.py": "# SPDX-License-Identifier: GPL-3.0-or-later\n"
                                                                 "def rope(x):\n    return x\n"}),
    "RK308": Example(base=True, files={"third_party/lgpl/COPYING": LicenseText("LGPL-2.1-only")}),
    "RK309": Example(base=True, files={"third_party/bsd/LICENSE": LicenseText("BSD-3-Clause-Regents")}),
    "RK310": Example(base=True, files={
        "LICENSE": LicenseText("Apache-2.0"), "README.md": card("license: apache-2.0\nlibrary_name: transformers"),
        "third_party/lib/NOTICE": "This product includes software developed at Example Corp.\n",
        "third_party/lib/impl.py": "x = 1\n"}),
    # --- card -----------------------------------------------------------------------------------
    "RK401": Example(base=True, remove=("README.md",)),
    "RK402": Example(base=True, files={"README.md": "# Tiny-MLA-MoE\n\nA tiny model.\n"}),
    "RK403": Example(base=True, files={"README.md": card("license: mit\nlicense: apache-2.0")}),
    "RK404": Example(base=True, files={"README.md": card("license: mit-ish\nlibrary_name: transformers")}),
    "RK405": Example(base=True, files={"README.md": card("license: mit\npipeline_tag: text-gen")}),
    "RK406": Example(base=True, files={"README.md": card("license: mit\nlibrary_name: my-own-runner")}),
    "RK407": Example(base=True, files={"README.md": card("license: mit\nlanguage:\n- english")}),
    "RK408": Example(base=True, files={"README.md": card("license: mit\nbase_model: DeepSeek V3")}),
    "RK409": Example(base=True, files={"README.md": card("license: mit\ndatasets:\n- my corpus!")}),
    "RK410": Example(base=True, files={"README.md": card(
        "license: mit\nmodel-index:\n- name: tiny\n  results:\n  - task:\n      type: text-generation\n")}),
    "RK411": Example(base=True, files={"README.md": card("license: mit\ntags:\n- moe\n- 3")}),
    "RK412": Example(base=True, files={"README.md": card("license: mit\nlibrary_name: transformers",
                                                         "\n# Tiny\n\nA tiny model.\n")}),
    "RK413": Example(files={"README.md": card("license: mit\nlibrary_name: transformers"),
                            "LICENSE": LicenseText("MIT"), "model.safetensors": safetensors([("w", "F32", [2])])}),
    "RK414": Example(files={
        "README.md": card("license: mit", "\n# Tiny\n\n```python\nfrom safetensors.torch import load_file\n"
                                                  "state = load_file('model.safetensors')\n```\n"),
        "LICENSE": LicenseText("MIT"),
        "pytorch_model.bin": Binary("a pickle of a plain dict", pickle.dumps({"w": 1}, protocol=2))}),
    # --- secrets (the values are fake; the page shows them redacted) ------------------------------
    "RK501": Example(base=True, files={"train/upload.py": f'HF_TOKEN = "{_HF}"\n'}),
    "RK502": Example(base=True, files={"train/ci.py": f'GH = "{token("gh", "p_", "Xq7LmN2pR8sT4vW6yZ1bC3dF5gH9jK0aB2cD")}"\n'}),
    "RK503": Example(base=True, files={"train/credentials.ini": (
        f"[default]\naws_access_key_id = {token('AK', 'IA', 'Q7XK2M9P4R6T8V3W')}\n"
        f"aws_secret_access_key = {fake(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}\n")}),
    "RK504": Example(base=True, files={"train/eval.py": (
        f'OPENAI = "{token("sk-", "Ab3De5Gh7Jk9Mn2Pq4St", "T3Blbk", "FJ", "Uv6Wx8Yz1Bc3Df5Gh7Jk")}"\n')}),
    "RK505": Example(base=True, files={"train/eval.py": (
        f'KEY = "{token("sk-", "ant-api03-", fake(93), "AA")}"\n')}),
    "RK506": Example(base=True, files={"train/notify.py": (
        f'WEBHOOK = "{token("https://hooks.slack", ".com/services/T", "0ABCD1EFG/B", "1HIJK2LMN/", "Qw8Er7Ty6Ui5Op4As3Df2Gh1")}"\n')}),
    "RK507": Example(base=True, files={"train/run.sh": (
        f"#!/bin/sh\nexport WANDB_API_KEY={fake(40, '0123456789abcdef')}\npython train.py\n")}),
    "RK508": Example(base=True, files={"train/maps.py": f'KEY = "{token("AI", "za", "Sy9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc")}"\n'}),
    "RK509": Example(base=True, files={"train/billing.py": f'KEY = "{token("sk", "_live_", "Qw8Er7Ty6Ui5Op4As3Df2Gh1")}"\n'}),
    "RK510": Example(base=True, files={"train/publish.py": f'TOKEN = "{token("glpat", "-", "Qw8Er7Ty6Ui5Op4As3Df")}"\n'}),
    "RK511": Example(base=True, files={"deploy_key.pem": (
        token("-----BEGIN ", "EC PRIVATE", " KEY-----\n")
        + "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oJr8b8i5Ghr3oAoGCCqGSM49\n"
          "AwEHoUQDQgAE5fDmAZ6ZQ2dX8r6m5Fq1Xk8rBv3Yj3WkQk2q9T0kX9z8n8bXc1pK\n"
          "Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8Vb7Nm6Qa5Ws4Ed3Rf2Tg1Yh0Uj9Ik==\n"
        + token("-----END ", "EC PRIVATE", " KEY-----\n"))}),
    "RK512": Example(base=True, files={"train/config.yaml": (
        "database:\n  url: " + token("postgres://trainer:", "Qw8Er7Ty6Ui5Op4As3", "@db.internal:5432/runs") + "\n")}),
    "RK513": Example(base=True, files={".env": "MODEL=deepseek\nDB_PASSWORD=" + token("Qw8Er7Ty6", "Ui5Op4As3Df") + "\n"}),
    "RK514": Example(base=True, files={".env": "MODEL=deepseek\n"}),
    "RK520": Example(base=True, files={"releasekit.toml": "[secrets]\nmax-bytes = 100\n",
                                       "train/data.jsonl": '{"text": "hello"}\n' * 20}),
    # --- hygiene --------------------------------------------------------------------------------
    "RK601": Example(base=True, symlinks={"inference/tokenizer.json": "/home/alice/tok/tokenizer.json"}),
    "RK602": Example(base=True, symlinks={"inference/tokenizer.json": "../tokenizer/tokenizer.json"}),
    "RK603": Example(base=True, config={"_name_or_path": "/home/alice/checkpoints/tiny-mla-moe"}),
    "RK604": Example(base=True, files={".DS_Store": Binary("macOS folder metadata", b"\0\0\0\1Bud1" + b"\0" * 32)}),
    "RK605": Example(base=True, files={"core": Binary(
        "an ELF core dump header (e_type = ET_CORE)", b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<H", 4)
        + b"\0" * 46)}),
    "RK606": Example(base=True, files={"tokenizer.json": ""}),
    "RK607": Example(base=True, files={"inference/vendored/.git/HEAD": "ref: refs/heads/main\n"}),
    "RK608": Example(base=True, files={"releasekit.toml": "[hygiene]\nmax-folder-entries = 2\n",
                                       **{f"samples/{i}.txt": "x\n" for i in range(3)}},
                     note="The limit is lowered to 2 so the example stays small; the Hub's is 10,000."),
    "RK609": Example(base=True, files={"releasekit.toml": "[hygiene]\nmax-files = 10\n"},
                     note="The limit is lowered to 10 so the example stays small; the Hub's is 100,000."),
    # --- openness -------------------------------------------------------------------------------
    "RK701": Example(base=True, note="The bundled example as it is: it reaches no class yet."),
    "RK702": Example(base=True, note="The bundled example as it is: it ships no data card, report or evaluation."),
    "RK703": Example(base=True, files={"README.md": card("license: cc-by-nc-4.0\nlibrary_name: transformers"),
                                       "LICENSE": "Attribution-NonCommercial 4.0 International\n\n"
                                                  "Creative Commons Corporation (\"Creative Commons\") ...\n"}),
    "RK704": Example(base=True, note="The bundled example as it is: its weights and card are under MIT, a code "
                                     "license."),
    "RK705": Example(base=True, files={"releasekit.toml": '[openness]\ntechnical_report = "docs/report.pdf"\n'},
                     note="The settings point at a technical report the release does not ship."),
    # --- added with the secrets, layout and license rules of the real-release work ----------------
    "RK311": Example(base=True, files={"LICENSE": (
        "Copyright 2026 Example Lab\n\n"
        'Licensed under the Apache License, Version 2.0 (the "License");\n'
        "you may not use this file except in compliance with the License.\n"
        "You may obtain a copy of the License at\n\n    http://www.apache.org/licenses/LICENSE-2.0\n\n"
        "Unless required by applicable law or agreed to in writing, software\n"
        'distributed under the License is distributed on an "AS IS" BASIS,\n'
        "WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\n"
        "See the License for the specific language governing permissions and\n"
        "limitations under the License.\n"),
        },
        remove=("README.md",),
        note="LICENSE holds the Apache-2.0 header that belongs in source files, not the license text."),
    "RK515": Example(base=True, files={"train/storage.py": (
        f'CONN = "DefaultEndpointsProtocol=https;AccountName=examplelab;'
        f'{token("Account", "Key=")}{fake(86, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}==;'
        'EndpointSuffix=core.windows.net"\n')}),
    "RK516": Example(base=True, files={"train/upload.py": (
        f'TOKEN = "{_JWT}"\n')}, note="A signed JWT (its header and payload decode to JSON)."),
    "RK517": Example(base=True, files={"scripts/upload.sh": (
        f'curl -H "{token("Author", "ization: Bearer ")}{fake(40)}" https://api.example-lab.org/v1/upload\n')}),
    "RK610": Example(base=True, config={"auto_map": {"AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM"}},
                     note="config.json names modeling_tiny.py, which the release does not ship."),
    "RK611": Example(base=True, remove=("tokenizer_config.json",),
                     note="A text model's weights and config, and no tokenizer file."),
    "RK612": Example(base=True, files={".releasekit-convert/manifest.json": '{"state": "writing"}\n'},
                     note="What an interrupted `releasekit convert` leaves behind."),
}


def build(example: Example, dest: Path) -> Path:
    """Write the example's release to `dest` (a new folder) and return it."""
    if example.base:
        from releasekit.example import build_example

        build_example(dest)
    else:
        dest.mkdir(parents=True)
    for name in example.remove:
        (dest / name).unlink()
    if example.config:
        config = json.loads((dest / "config.json").read_text(encoding="utf-8"))
        for key, value in example.config.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        (dest / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    for name, content in example.files.items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Binary):
            path.write_bytes(content.data)
        elif isinstance(content, LicenseText):
            path.write_text(content.text(), encoding="utf-8")
        elif isinstance(content, dict):
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        else:
            path.write_text(content, encoding="utf-8")
    for name, target in example.symlinks.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).symlink_to(target)
    for name in example.fifos:
        import os

        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(dest / name)
    for name, size in example.sparse.items():
        with open(dest / name, "wb") as handle:
            handle.truncate(size)
    return dest
