"""The README's commands are true: the scripts it runs exist, and its command-line synopsis lists exactly the
commands and options the command line has."""

from __future__ import annotations

import argparse
import os
import re

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = [body for _, body in re.findall(r"```(\w*)\n(.*?)```", README, re.S)]


def synopsis() -> dict[str, set[str]]:
    """Command -> the options the README's synopsis gives it."""
    found: dict[str, set[str]] = {}
    for block in BLOCKS:
        for line in block.splitlines():
            match = re.match(r"publish (\w+)\b(.*)", line)
            if match:
                found.setdefault(match.group(1), set()).update(re.findall(r"--[a-z-]+", match.group(2).split("  ")[0]))
    return found


def parser_options() -> dict[str, set[str]]:
    from publish.cli import _parser

    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: {o for action in sub._actions for o in action.option_strings if o.startswith("--") and o != "--help"}
            for name, sub in commands.choices.items()}


def test_the_synopsis_lists_every_command_and_option_and_no_other():
    assert synopsis() == parser_options()


def test_the_scripts_the_readme_runs_exist():
    scripts = {m for block in BLOCKS for m in re.findall(r"^\./(scripts/[\w.]+)", block, re.M)}
    assert scripts == {"scripts/build.sh", "scripts/test.sh"}
    assert all(os.access(REPO / s, os.X_OK) for s in scripts)
    assert "--update-references" in (REPO / "tests" / "conftest.py").read_text(encoding="utf-8")
