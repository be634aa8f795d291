"""Every setting is documented in the README's configuration table, and nothing else is listed there."""

import re
from pathlib import Path

from salesrl.bot.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def env_name(name, field) -> str:
    alias = field.validation_alias
    if isinstance(alias, str):
        return alias
    if alias is not None and hasattr(alias, "choices"):
        return str(alias.choices[0])
    return f"SALESRL_{name.upper()}"


def test_readme_configuration_table_matches_the_settings():
    table = README.split("## Configuration", 1)[1]
    listed = set(re.findall(r"^\| `([A-Z_]+)`", table, flags=re.MULTILINE))
    expected = {env_name(n, f) for n, f in Settings.model_fields.items()}
    assert listed == expected
