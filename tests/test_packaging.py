"""The dependency lists agree, and the command line is wired up."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

# conda-forge spells some PyPI packages differently
CONDA_NAMES = {
    "torch": "pytorch",
    "opencv-python": "py-opencv",
    "matplotlib": "matplotlib-base",
    "pyyaml": "pyyaml",
}


def _name_and_spec(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", req)
    assert m, req
    return m.group(1).lower(), m.group(3).replace(" ", "")


def test_environment_yml_installs_the_pyproject_set() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda: dict[str, str] = {}
    pip: dict[str, str] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            for req in item["pip"]:
                if not req.startswith("-e"):
                    name, spec = _name_and_spec(req)
                    pip[name] = spec
        else:
            name, spec = _name_and_spec(re.sub(r"(>=|==|<=|<|>)", r" \1", item, count=1))
            conda[name] = spec
    # the project itself, with its dev and notebook extras, is installed last by pip
    pip_lines = next(i["pip"] for i in env["dependencies"] if isinstance(i, dict))
    assert "-e .[dev,notebooks]" in pip_lines
    wanted = {}
    for req in project["dependencies"]:
        name, spec = _name_and_spec(req)
        wanted[name] = spec
    for name, spec in wanted.items():
        conda_name = CONDA_NAMES.get(name, name)
        if conda_name in conda:
            assert conda[conda_name] == spec, f"{name}: conda {conda[conda_name]} vs pip {spec}"
        else:
            assert name in pip, f"{name} from pyproject.toml is missing in environment.yml"
            assert pip[name] == spec
    extra = (set(conda) - {"python", "pip"}) - {CONDA_NAMES.get(n, n) for n in wanted}
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"
    assert not set(pip) - set(wanted), "environment.yml's pip list has extras"


def test_cli_help_lists_commands(capsys) -> None:
    from hdrisp.cli import main

    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "usage: hdrisp" in out
