"""The README tells the truth: every command, option, setting and endpoint is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from search.settings import SETTINGS
from vnsearch.cli import main
from web.app import create_app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def settings_table() -> dict[str, list[str]]:
    """Return the README's settings table: {flag: [cells]}."""
    rows = {}
    for line in README.splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("--"):
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_in_the_readme_table_with_its_variable(name):
    setting = SETTINGS[name]
    row = settings_table().get(setting.flag)
    assert row is not None, f"{setting.flag} missing from the README's settings table"
    assert row[1] == setting.env
    assert row[3].rstrip(".").lower() == setting.help.rstrip(".").lower()


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_and_option_is_in_the_readme(command):
    assert f"vnsearch {command}" in README
    for param in main.commands[command].params:
        if isinstance(param, click.Option):
            for flag in param.opts:
                if flag.startswith("--") and flag != "--help":
                    assert flag in README, f"`vnsearch {command} {flag}` is not documented"


def test_every_endpoint_is_in_the_readme(demo_index):
    app = create_app({"INDEX_DIR": str(demo_index)})
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule) for rule in app.url_map.iter_rules()
              if rule.endpoint != "static"}
    for route in routes:
        assert route.replace("<doc_id>", "<id>") in README or route in README, f"{route} not in the README"


def test_the_first_screen_has_the_two_commands_and_the_url():
    first_screen = "\n".join(README.splitlines()[:40])
    assert "make run" in first_screen and "make test" in first_screen
    assert "http://127.0.0.1:8000" in first_screen
    assert "docs/screenshot.png" in first_screen
