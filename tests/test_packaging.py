"""The installed distribution: one import name, every package folder in it, the data it reads.

CI also builds the wheel, installs it into a fresh virtualenv and runs `salesrl score` and
`salesrl serve` from it (.ci/run); these checks catch the usual cause of a broken wheel early.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {"salesrl.agent": "agent", "salesrl.bot": "bot", "salesrl.models": "models", "salesrl.templates": "templates"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_folder_of_python_code_is_a_listed_package():
    """A new sub-package missing from pyproject's list would be missing from the wheel, silently."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {"salesrl"}
    for name, folder in MAPPED.items():
        for path in [ROOT / folder, *(p for p in (ROOT / folder).rglob("*") if p.is_dir())]:
            if "__pycache__" in path.parts or not (any(path.glob("*.py")) or any(path.glob("*.j2"))
                                                   or (path / "metadata.json").exists()):
                continue
            relative = path.relative_to(ROOT / folder).parts
            if all(part.isidentifier() for part in relative):
                found.add(".".join((name, *relative)))
    assert listed == found


def test_the_package_maps_the_design_cards_folders_under_one_import_name():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"salesrl": "salesrl", **MAPPED}
    assert all(name == "salesrl" or name.startswith("salesrl.") for name in setuptools["packages"])
    assert _pyproject()["project"]["scripts"] == {"salesrl": "salesrl.bot.cli:main"}


def test_models_and_templates_are_read_as_package_data():
    from salesrl.agent.embedder import DEFAULT_MODEL_DIR
    from salesrl.agent.policy import DEFAULT_MODEL_DIR as POLICY_DIR
    from salesrl.bot.slack.templates import TEMPLATES_DIR

    from salesrl.agent.turn_reader import DEFAULT_DIR as READER_DIR

    assert (POLICY_DIR / "metadata.json").is_file() and (DEFAULT_MODEL_DIR / "metadata.json").is_file()
    assert (READER_DIR / "reader.npz").is_file()
    assert (TEMPLATES_DIR / "slack" / "help.json.j2").is_file()
