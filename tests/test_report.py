"""Session reports: JSON + self-contained HTML written atomically with user-only
permissions, plots of measures against thresholds, the trend across sessions, and the
report opened in headless Chromium (Debian's, driven by Playwright's core) and
screenshotted."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from coach.session.history import ReportError, load_record
from coach.ui.report import ReportWriter, measure_svg, render_html, write_history
from coach.session.controller import SessionController

from test_session import CONFIG, factory, feed, hold_and_release, load
from needs import tool

SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp/coach-shots"))


def session_record(lang: str = "en", symptoms_yes: bool = False) -> dict:
    """A real controller run over hand-made frames: ex1 done with a form cue, ex2 skipped
    or ended by a symptom, ex3 excluded."""
    specs = [load("ex1"), load("ex2"), load("ex3")]
    c = SessionController(specs, lang, measure_factory=factory, config=CONFIG,
                          excluded={"ex3": "screening.reason.hernia"},
                          meta={"screening": {"status": "caution", "reasons": ["osteoarthritis"]}})
    feed(c, 0, 5000)
    feed(c, 5000, 8000, form=25.0)
    hold_and_release(c, 8000, 14000, 16000)
    c.press("n")
    feed(c, 16000, 16500)
    feed(c, 16500, 22000)
    if symptoms_yes:
        hold_and_release(c, 22000, 33000, 35000)
        c.press("y")
        feed(c, 35000, 35500)
    else:
        c.press("s")
        feed(c, 22000, 22500)
        c.press("n")
        feed(c, 22500, 23000)
    assert c.done
    return c.record


def test_writer_writes_json_and_html_atomically_user_only(tmp_path):
    w = ReportWriter(tmp_path / "reports", "en")
    rec = session_record()
    jp, hp = w.write(rec)
    for p in (jp, hp):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "reports").stat().st_mode) == 0o700
    data = load_record(jp)
    assert data["ended_by"] == "completed"
    assert [e["status"] for e in data["exercises"]] == ["done", "skipped", "excluded"]
    # writing again replaces the files; no temporary files are left behind
    w.write(rec)
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == sorted([jp.name, hp.name])


def test_second_writer_in_the_same_second_does_not_overwrite(tmp_path):
    a = ReportWriter(tmp_path, "en", stem="session-x")
    a.write(session_record())
    b = ReportWriter(tmp_path, "en", stem="session-x")
    assert b.json_path != a.json_path


def test_failed_write_keeps_the_previous_complete_report(tmp_path, monkeypatch):
    w = ReportWriter(tmp_path, "en")
    rec = session_record()
    w.write(rec)
    before = w.json_path.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt  # Ctrl-C in the middle of the write

    import coach.files as files

    monkeypatch.setattr(files.os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        w.write({**rec, "ended_by": "interrupted"})
    monkeypatch.undo()
    assert w.json_path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_unwritable_folder_is_one_line_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: permissions not enforced")
        with pytest.raises(ReportError, match="choose another --out"):
            ReportWriter(ro / "x", "en")
    finally:
        ro.chmod(0o700)


def test_html_is_self_contained_with_plots_holds_cues_and_ranges():
    rec = session_record()
    page = render_html(rec, "en")
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert page.count("<svg") >= 3
    assert "Keep your shoulders down" in page  # the cue, with its time
    assert "Range of motion" in page and "Held" in page
    assert "Be extra careful" in page  # the caution from the screening
    assert "hernia" in page  # why ex3 was excluded
    svg = measure_svg("form_a", rec["exercises"][0]["measures"]["form_a"], "en")
    assert 'class="threshold"' in svg and 'class="band"' in svg and 'class="series"' in svg
    assert svg.count('fill="#b3261e"') >= 3  # samples beyond the limit drawn red


def test_html_in_norwegian():
    page = render_html(session_record("nb"), "nb")
    assert "Treningsrapport" in page and "Bevegelsesutslag" in page and "Øvelse ex1 æøå" in page


def test_symptoms_alert_in_report():
    rec = session_record(symptoms_yes=True)
    assert rec["ended_by"] == "symptoms"
    page = render_html(rec, "en")
    assert 'class="alert"' in page and "Symptoms reported" in page


def test_history_trend(tmp_path):
    for i in range(3):
        rec = session_record()
        rec["started_at"] = f"2026-11-2{i}T10:00:00+00:00"
        rec["exercises"][0]["summary"]["holds_s"]["hold"]["-"] = 10.0 + 5 * i
        ReportWriter(tmp_path, "en", stem=f"session-2026112{i}").write(rec)
    (tmp_path / "session-broken.json").write_text("{not json")
    rows, path = write_history(tmp_path, "en")
    assert [[x["value"] for x in r["exercises"]["ex1"]["series"]] for r in rows] == [[10.0], [15.0], [20.0]]
    page = path.read_text()
    assert page.count("<circle") >= 3 and "Progress over time" in page
    assert write_history(tmp_path / "none", "en") == ([], None)


# --------------------------------------------------------------------------- Chromium
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _screenshot(html_path: Path, png: Path, width: int = 1000) -> dict:
    import playwright.sync_api as sync_api

    tool("chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html_path.as_uri())
            info = page.evaluate("""() => ({
                svgs: [...document.querySelectorAll('svg.measure')].map(s => {
                    const r = s.getBoundingClientRect(); return [r.width, r.height]; }),
                polylines: document.querySelectorAll('svg.measure polyline.series').length,
                thresholds: document.querySelectorAll('svg.measure line.threshold').length,
                title: document.querySelector('h1').innerText,
                overflow: document.documentElement.scrollWidth > window.innerWidth,
            })""")
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    info["requests"] = requests
    return info


@pytest.mark.gui
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_report_renders_in_headless_chromium(tmp_path, lang):
    w = ReportWriter(tmp_path, lang)
    w.write(session_record(lang))
    SHOTS.mkdir(parents=True, exist_ok=True)
    png = SHOTS / f"report-{lang}.png"
    info = _screenshot(w.html_path, png)
    assert info["requests"] == [w.html_path.as_uri()]  # nothing fetched: self-contained
    assert info["title"] == ("Session report" if lang == "en" else "Treningsrapport")
    assert len(info["svgs"]) >= 2 and all(wd > 300 and ht > 150 for wd, ht in info["svgs"])
    assert info["polylines"] >= 2 and info["thresholds"] >= 2
    assert not info["overflow"]
    import cv2

    img = cv2.imread(str(png))
    assert img is not None and img.shape[1] == 1000 and img.shape[0] > 900
    # the plots are drawn: the band's green and the series' blue occur in the picture
    green = np.all(np.abs(img.astype(int) - (208, 241, 216)) < 6, axis=2).sum()
    blue = np.all(np.abs(img.astype(int) - (168, 95, 31)) < 40, axis=2).sum()
    assert green > 5000 and blue > 200


@pytest.mark.gui
def test_history_renders_in_headless_chromium(tmp_path):
    for i in range(3):
        rec = session_record()
        rec["started_at"] = f"2026-11-2{i}T10:00:00+00:00"
        rec["exercises"][0]["summary"]["holds_s"]["hold"]["-"] = 10.0 + 5 * i
        ReportWriter(tmp_path, "en", stem=f"session-2026112{i}").write(rec)
    _rows, path = write_history(tmp_path, "en")
    SHOTS.mkdir(parents=True, exist_ok=True)
    info = _screenshot(path, SHOTS / "history-en.png")
    assert info["requests"] == [path.as_uri()] and info["title"] == "Progress over time"
