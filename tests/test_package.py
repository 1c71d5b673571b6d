"""The package as released (issue 14): built as the release workflow builds it (`python -m build`: the sdist, then
the wheel from the sdist), under its PyPI name, passing `twine check`, and carrying the default styles, fonts,
templates and language records, so that a project holding only source/ builds."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import zipfile

import pytest
from conftest import REPO


def test_the_release_builds_ship_styles_fonts_and_templates(tmp_path):
    if importlib.util.find_spec("build") is None:
        pytest.skip("the build package is not installed (`pip install build`; scripts/setup.sh test installs it)")
    run = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path), str(REPO)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [sdist], [wheel] = tmp_path.glob("publish_pamphlets-0.1.0.tar.gz"), tmp_path.glob("publish_pamphlets-0.1.0-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"publish/styles/{p.relative_to(REPO / 'styles').as_posix()}" for p in (REPO / "styles").rglob("*.css")}
    shipped |= {f"publish/fonts/{p.name}" for p in (REPO / "fonts").iterdir()}
    shipped |= {f"publish/templates/{p.name}" for p in (REPO / "publish" / "templates").glob("*.j2")}
    shipped |= {f"publish/languages/{p.name}" for p in (REPO / "publish" / "languages").glob("*.toml")}
    assert len(shipped) > 25 and shipped <= names, sorted(shipped - names)
    assert "publish/merge.py" in names
    metadata = zipfile.ZipFile(wheel).read("publish_pamphlets-0.1.0.dist-info/METADATA").decode("utf-8")
    assert "Name: publish-pamphlets\n" in metadata and "License-Expression: GPL-3.0-or-later\n" in metadata
    entry_points = zipfile.ZipFile(wheel).read("publish_pamphlets-0.1.0.dist-info/entry_points.txt").decode("utf-8")
    assert "publish = publish.cli:main" in entry_points
    in_sdist = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "styles/tokens.css", "fonts/LICENSE-ParaType.txt"} <= in_sdist, sorted(in_sdist)

    if importlib.util.find_spec("twine") is None:
        pytest.skip("twine is not installed (`pip install twine`; scripts/setup.sh test installs it)")
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
