"""How long the seed's screen editions (EPUB and web page) take, against bare WeasyPrint rendering the same text.

Run: .venv/bin/python benchmarks/screen_editions.py [runs]
Each measurement is a cold process; the table shows medians of the runs and the ratio to the yardstick, measured
in the same run (the machines are shared and noisy: an absolute time means little)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def main(runs: int = 5) -> None:
    with tempfile.TemporaryDirectory() as out:
        html = Path(out) / "seed.html"
        subprocess.run([PYTHON, "-m", "publish", "build", "source", "--format", "html", "--out", out], cwd=REPO, check=True,
                       capture_output=True)
        (Path(out) / "kazakhstan-solidarity.html").rename(html)
        cases = {
            "publish build --format epub,html": [PYTHON, "-m", "publish", "build", "source", "--format", "epub,html", "--out", out],
            "publish build --format html": [PYTHON, "-m", "publish", "build", "source", "--format", "html", "--out", out],
            "yardstick: weasyprint seed.html": [PYTHON, "-m", "weasyprint", str(html), str(Path(out) / "y.pdf")],
        }
        times = {name: statistics.median(timed(command) for _ in range(runs)) for name, command in cases.items()}
    yardstick = times["yardstick: weasyprint seed.html"]
    print(f"| work (median of {runs} cold runs) | seconds | × yardstick |\n|---|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.2f} | {seconds / yardstick:.2f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
