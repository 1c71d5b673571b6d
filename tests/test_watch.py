"""publish watch: a real server on localhost and real file events."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

from publish.watch import Preview, watch

TEXT = "---\ntitle: Watched\nauthor: A\n---\n\n{body}\n"


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_watch_serves_with_reload_and_rebuilds_on_change(tmp_path: Path):
    source = tmp_path / "source" / "watched.md"
    source.parent.mkdir()
    source.write_text(TEXT.format(body="First version."), encoding="utf-8")
    preview, manifests, events = Preview(), [], []
    thread = threading.Thread(target=watch, args=(None,), daemon=True,
                              kwargs=dict(out="dist", formats=("html",), port=0, root=tmp_path, report=manifests.append, preview=preview))
    thread.start()
    try:
        wait_for(lambda: preview.url)
        page = urllib.request.urlopen(preview.url + "watched.html", timeout=10).read().decode()
        assert "First version." in page and "new EventSource('/_events')" in page
        assert "EventSource" not in (tmp_path / "dist" / "watched.html").read_text()  # the artifact stays clean

        def listen():
            with urllib.request.urlopen(preview.url + "_events", timeout=20) as stream:
                events.append(stream.readline())

        threading.Thread(target=listen, daemon=True).start()
        time.sleep(0.5)
        source.write_text(TEXT.format(body="Second version."), encoding="utf-8")
        wait_for(lambda: len(manifests) >= 2 and events)
        assert events[0] == b"data: reload\n"
        assert "Second version." in urllib.request.urlopen(preview.url + "watched.html", timeout=10).read().decode()
    finally:
        preview.stopping.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_watch_goes_on_through_a_broken_pyproject_and_sees_one_made_after_it_started(tmp_path: Path):
    source = tmp_path / "source" / "watched.md"
    source.parent.mkdir()
    source.write_text(TEXT.format(body="First version."), encoding="utf-8")
    preview, manifests = Preview(), []
    thread = threading.Thread(target=watch, args=(None,), daemon=True,
                              kwargs=dict(out="dist", formats=("html",), port=0, root=tmp_path, report=manifests.append, preview=preview))
    thread.start()
    try:
        wait_for(lambda: preview.url)
        (tmp_path / "dist" / "unrelated.txt").write_text("the output folder is not watched", encoding="utf-8")
        (tmp_path / "pyproject.toml").write_text("[tool.publish]\nstyles = [\n", encoding="utf-8")  # made now, broken
        wait_for(lambda: len(manifests) >= 2)
        broken = manifests[-1]
        assert not broken.ok and broken.diagnostics[0].code == "P131", broken.diagnostics
        assert thread.is_alive()
        (tmp_path / "pyproject.toml").write_text('[tool.publish]\ntheme = "nope"\n', encoding="utf-8")
        wait_for(lambda: len(manifests) >= 3)
        assert manifests[-1].diagnostics[0].code == "P133" and thread.is_alive()
        (tmp_path / "pyproject.toml").write_text("[tool.publish]\n", encoding="utf-8")
        source.write_text(TEXT.format(body="Second version."), encoding="utf-8")
        wait_for(lambda: manifests[-1].ok and "Second version." in (tmp_path / "dist" / "watched.html").read_text())
    finally:
        preview.stopping.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(manifests) <= 6  # one build a change: the output folder's own changes start none
