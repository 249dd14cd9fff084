"""Leaked local paths: what must be found (with its line) and the look-alikes that must not."""

from __future__ import annotations

import json

import pytest

from releasekit.engine import check_path
from releasekit.hygiene.localpaths import find_local_paths

FOUND = [
    ("config.json", '{\n  "_name_or_path": "/home/alice/ckpt/step-1000",\n  "a": 1\n}\n', 2, "_name_or_path"),
    ("config.json", '{"a": 1,\n "_name_or_path": "/opt/models/tmp123"}\n', 2, "_name_or_path"),
    ("tokenizer_config.json", '{\n"tokenizer_name_or_path": "C:\\\\Users\\\\carol\\\\tok"\n}', 2, "tokenizer_name_or_path"),
    ("train.yaml", "model:\n  name_or_path: /mnt/weka/ckpts/v3\n", 2, "name_or_path"),
    ("train.yaml", "data:\n  root: /scratch/u123/pile\n", 2, None),
    ("train.yaml", "out: '/fsx/runs/exp7'\n", 1, None),
    ("run.sh", "#!/bin/sh\npython train.py --data /data/shards/train --bs 8\n", 2, None),
    ("train.py", "import os\nCKPT = '/home/bob/models/v3'\n", 2, None),
    ("train.py", "x = 1\nDATA = \"/mnt/nfs/datasets/pile/train\"\n", 2, None),
    ("train.py", "open(r'/Users/dave/Desktop/data.csv')\n", 1, None),
    ("train.py", "# trained on /home/erin/runs/42\n", 1, None),
    ("loader.py", "url = 'file:///home/frank/data/x.json'\n", 1, None),
    ("paths.cfg", "[paths]\ncache = C:/Users/gina/cache\n", 2, None),
    ("tmp.py", "d = '/private/var/folders/xy/T/tmpabc'\n", 1, None),
]


@pytest.mark.parametrize(("name", "content", "line", "key"), FOUND, ids=[f"{n}:{i}" for i, (n, *_) in enumerate(FOUND)])
def test_local_path_is_a_warning_with_its_line(name: str, content: str, line: int, key: str | None, make_release) -> None:
    root = make_release({name: content})
    [finding] = check_path(root, select="RK603").findings
    assert finding.line == line and finding.severity.value == "warning"
    if key:
        assert f"config key {key}" in finding.message and "Hub repository id" in finding.message


LOOK_ALIKES = [
    ("Dockerfile", "FROM python:3.11\nWORKDIR /workspace/app\nVOLUME /data/cache\nCOPY . /mnt/app\n"),
    ("app.py", "BASE = '/home/user/app'  # Hugging Face Spaces' container user\n"),
    ("app.py", "docs = 'https://example.com/home/alice/notes'\n"),
    ("app.py", "path = root + '/data/train.json'\n"),
    ("app.py", "path = f'{root}/data/train.json'\n"),
    ("app.py", "DEFAULT = '/data/imagenet'\n"),  # one component in code: too weak to call
    ("app.py", "cache = os.path.expanduser('~/cache')\n"),
    ("app.py", "p = '/home/<user>/models'\nq = '$HOME/x'\nr = '/Users/${USER}/x'\n"),
    ("app.py", "python = '/usr/local/bin/python'\ntmp = '/tmp/x'\nnull = '/dev/null'\n"),
    ("app.py", "gs = 'gs://bucket/data/shards/x'\ns3 = 's3://bucket/home/alice/x'\n"),
    ("config.json", '{"_name_or_path": "deepseek-ai/DeepSeek-V3", "root": "/"}\n'),
    ("README.md", "Download to /home/alice/models and run.\n"),  # documents are not scanned
    ("train.yaml", "doc: see https://host/mnt/x/y\n"),
]


@pytest.mark.parametrize(("name", "content"), LOOK_ALIKES, ids=[f"{n}:{i}" for i, (n, _) in enumerate(LOOK_ALIKES)])
def test_look_alike_is_not_a_local_path(name: str, content: str, make_release) -> None:
    root = make_release({name: content})
    assert check_path(root, select="RK603").findings == ()


def test_notebook_traceback_path_is_found_in_its_output(make_release) -> None:
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["load()\n"],
                     "outputs": [{"output_type": "error", "ename": "FileNotFoundError", "evalue": "x",
                                  "traceback": ["\x1b[0;32m/home/hana/miniconda3/lib/python3.11/site.py\x1b[0m in load"]}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    raw = json.dumps(nb, indent=1)
    root = make_release({"demo.ipynb": raw})
    [finding] = check_path(root, select="RK603").findings
    assert "cell 1 output 1" in finding.message
    assert "/home/hana/miniconda3" in raw.split("\n")[finding.line - 1]


def test_many_paths_in_one_file_are_capped_with_a_count(make_release) -> None:
    content = "".join(f"P{i} = '/home/ivan/run{i}/ckpt'\n" for i in range(9))
    root = make_release({"paths.py": content})
    findings = check_path(root, select="RK603").findings
    assert [f.line for f in findings if f.line] == [1, 2, 3, 4, 5]
    [summary] = [f for f in findings if f.line is None]
    assert "4 more local paths" in summary.message and "lines 6, 7, 8, 9" in summary.message


def test_same_line_is_reported_once(make_release) -> None:
    root = make_release({"a.py": "x = ('/home/jo/a', '/home/jo/b')\n"})
    assert len(check_path(root, select="RK603").findings) == 1


def test_weights_and_documents_are_not_read_for_paths(make_release) -> None:
    root = make_release({"model.safetensors": b"\x02\x00\x00\x00\x00\x00\x00\x00{}/home/kim/x",
                         "NOTES.md": "/home/kim/models\n"})
    assert check_path(root, select="RK603").findings == ()


def test_finder_reports_offsets() -> None:
    text = "a = 1\nb = '/home/lee/x'\n"
    [found] = find_local_paths(text, "code")
    assert text[found.offset:].startswith("/home/lee/x") and found.path == "/home/lee/x"
