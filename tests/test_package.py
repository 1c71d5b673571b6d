"""The wheel carries the default styles, fonts, templates and language records, so a project holding only source/ builds."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_ships_styles_fonts_and_templates(tmp_path):
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    [wheel] = tmp_path.glob("publish-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"publish/styles/{p.relative_to(REPO / 'styles').as_posix()}" for p in (REPO / "styles").rglob("*.css")}
    shipped |= {f"publish/fonts/{p.name}" for p in (REPO / "fonts").iterdir()}
    shipped |= {f"publish/templates/{p.name}" for p in (REPO / "publish" / "templates").glob("*.j2")}
    shipped |= {f"publish/languages/{p.name}" for p in (REPO / "publish" / "languages").glob("*.toml")}
    assert len(shipped) > 25 and shipped <= names, sorted(shipped - names)
