"""The layout users asked for installs as one package: nothing named `checks` or `kernels` at the
top of site-packages, in a built wheel and in the editable install these tests run from."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mapped_folders_import_as_subpackages_only(tmp_path: Path) -> None:
    """Run from an unrelated folder, so the source tree is not on sys.path: only the install is."""
    code = ("import importlib.util, releasekit.checks, releasekit.kernels, releasekit.templates; "
            "print(releasekit.checks.__file__, releasekit.kernels.__file__, releasekit.templates.__file__); "
            "print([n for n in ('checks', 'kernels', 'templates') if importlib.util.find_spec(n)])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path,
                         timeout=120).stdout.splitlines()
    assert out[0].split() == [str(ROOT / "checks" / "__init__.py"), str(ROOT / "kernels" / "__init__.py"),
                              str(ROOT / "templates" / "__init__.py")]
    assert out[1] == "[]"


def test_core_import_does_not_pull_torch() -> None:
    code = ("import sys, releasekit.cli.main, releasekit.engine, releasekit.registry as r; r.load_builtin_checks(); "
            "from releasekit import formats; formats.names(); "
            "print(sorted(m for m in ('torch', 'triton', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


@pytest.mark.timeout(600)
def test_wheel_contains_only_releasekit(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("releasekit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"releasekit", next(t for t in top if t.endswith(".dist-info"))}
    for expected in ("releasekit/checks/weights_structure.py", "releasekit/kernels/__init__.py",
                     "releasekit/templates/__init__.py", "releasekit/data/example/LICENSE",
                     "releasekit/data/example/inference/model.py"):
        assert expected in names, expected
    requires = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    core = [line for line in requires.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert core and not any(name in line.lower() for line in core for name in ("torch", "triton"))


def _declared_packages() -> tuple[set[str], dict[str, str]]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    return set(setup["packages"]), dict(setup.get("package-dir", {}))


def test_every_folder_with_modules_is_a_declared_package() -> None:
    """`pip install -e .` stays quiet: setuptools warns about (or drops) a module folder not in `packages`."""
    packages, mapped = _declared_packages()
    sources = {"releasekit": ROOT / "releasekit", **{name: ROOT / folder for name, folder in mapped.items()}}
    found = set()
    for name, folder in sources.items():
        for module in folder.rglob("*.py"):
            parts = module.parent.relative_to(folder).parts
            if "__pycache__" in parts:
                continue
            if name == "releasekit" and parts and parts[0] in {"checks", "kernels", "templates"}:
                continue
            found.add(".".join((name, *parts)))
    missing = sorted(found - packages)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
    assert all((sources["releasekit"].parent / p.replace(".", "/")).is_dir() or p in mapped for p in packages)
