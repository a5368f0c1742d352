"""The workbench page driven in headless Chromium (Debian's /usr/bin/chromium via Playwright's core).

Load a recording, move a threshold slider, see the cue markers change, save a profile and
check the file; load a profile back. Screenshots go to $COACH_TUNE_SHOTS (default: the
test's tmp folder) for a person to look at.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.gui

import playwright.sync_api as playwright_api  # noqa: E402

from needs import committed, tool  # noqa: E402
from test_tune import ce_clip  # noqa: E402

from coach.spec import load_profile, load_spec  # noqa: E402
from coach.tools.tune.workbench import Workbench  # noqa: E402
from coach.tools.tune.server import TuneServer, TuneState  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    tool("chromium")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def shots_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("COACH_TUNE_SHOTS", str(tmp_path)))
    d.mkdir(parents=True, exist_ok=True)
    return d


def serve(bench, tmp_path, video=None, name="clip"):
    state = TuneState(bench, video=video, save_path=tmp_path / "patient.yaml", source_name=name)
    srv = TuneServer(state)
    srv.start_background()
    return srv


def open_page(browser, srv):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(srv.url)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=20000)
    return page, errors, requests


def cue_count(page, rule: str) -> int:
    return int(page.get_attribute(f"#plots .plotbox[data-rule='{rule}']", "data-cue-count"))


def eval_count(page) -> int:
    return int(page.get_attribute("body", "data-eval-count") or 0)


def move_slider(page, key: str, value: float) -> None:
    n = eval_count(page)
    page.locator(f"input[type=range][data-key='{key}']").fill(str(value))
    page.wait_for_selector(f"body[data-eval-count='{n + 1}']", state="attached", timeout=10000)
    # later changes may have been coalesced into one more evaluation
    page.wait_for_timeout(150)


def test_slider_changes_cue_markers_and_profile_is_saved(browser, tmp_path):
    bench = Workbench(ce_clip(fault={"recline_deg": 58}, fault_rep=2), "chair_extension")
    srv = serve(bench, tmp_path, name="kinematic chair_extension (3rd lean too far)")
    shots = shots_dir(tmp_path)
    try:
        page, errors, requests = open_page(browser, srv)
        # play (a recording has no video: the skeleton is animated from the landmarks), then scrub
        page.click("#play")
        page.wait_for_timeout(700)
        page.click("#play")
        played_s = float(page.evaluate("ts()[cur] - t0()")) / 1000.0
        assert 0.3 < played_s < 3.0, played_s
        page.evaluate("seek(frameAt(23500))")   # the third lean, arched: the cue is on screen
        assert "00:23.5" in page.inner_text("#clock")
        before = cue_count(page, "lumbar_arching")
        assert before >= 1
        assert page.locator("#events li.cue-item[data-rule='lumbar_arching']").count() == before
        # each plot shows only its own rule's cues
        per_plot = page.eval_on_selector_all("#plots .plotbox",
                                             "els => els.map(e => [e.dataset.rule, +e.dataset.cueCount])")
        for rule, count in per_plot:
            assert count == page.locator(f"#events li.cue-item[data-rule='{rule}']").count(), rule
        page.screenshot(path=str(shots / "tune_before.png"), full_page=True)

        move_slider(page, "rules.lumbar_arching.max_deg", 155)
        assert cue_count(page, "lumbar_arching") == 0
        assert page.locator("#events li.cue-item[data-rule='lumbar_arching']").count() == 0
        spec_max = load_spec("chair_extension").rules["lumbar_arching"].max
        assert f"{spec_max:g}° → 155°" in page.inner_text("#diff li[data-key='rules.lumbar_arching.max_deg']")
        # stricter: every lean is flagged (judged from the start: a 30 deg lean opens the hip ~30,
        # raised past 15 + 1.5 x 6.2 = 24.3)
        move_slider(page, "rules.lumbar_arching.max_deg", 15)
        assert cue_count(page, "lumbar_arching") > before
        move_slider(page, "rules.lumbar_arching.max_deg", 150)
        assert cue_count(page, "lumbar_arching") == 0
        page.screenshot(path=str(shots / "tune_after.png"), full_page=True)

        timings = page.evaluate("window.tune.timings")
        totals = sorted(t["total_ms"] for t in timings[1:])
        print(f"browser: input -> redraw median {totals[len(totals) // 2]:.0f} ms over {len(totals)} changes "
              f"({bench.n} frames); engine {[round(t['engine_ms']) for t in timings]}")
        assert totals[len(totals) // 2] < 500

        page.fill("#patient", "Kari N. (70)")
        page.fill("#note", "stiff lower back: looser arching limit")
        out = tmp_path / "kari.yaml"
        page.fill("#savepath", str(out))
        # the arching limit is a safety rule: loosening it needs the physio's reason (test_tune: refused without)
        page.fill("#safety_reason", "stiff lower back, checked by the physiotherapist")
        page.click("#save")
        page.wait_for_selector("body[data-saved]", state="attached", timeout=10000)
        assert "Saved" in page.inner_text("#status")
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        prof = load_profile(out)
        assert prof.patient == "Kari N. (70)" and prof.note.startswith("stiff")
        assert load_spec("chair_extension", profile=prof).rules["lumbar_arching"].max == 150
        assert load_spec("chair_extension", profile=prof).safety_loosened[0]["reason"].startswith("stiff lower")
        page.screenshot(path=str(shots / "tune_saved.png"), full_page=True)

        # load another profile: the slider and the markers follow
        other = tmp_path / "other.yaml"
        other.write_text("patient: Ola\nexercises:\n  chair_extension:\n    rules:\n"
                         "      lumbar_arching: {max_deg: 15}\n", encoding="utf-8")
        n = eval_count(page)
        page.fill("#loadpath", str(other))
        page.click("#load")
        page.wait_for_selector(f"body[data-eval-count='{n + 1}']", state="attached", timeout=10000)
        assert page.input_value("input[type=text][data-key='rules.lumbar_arching.max_deg']") == "15"
        assert cue_count(page, "lumbar_arching") > before
        assert page.input_value("#patient") == "Ola"

        assert not errors, errors
        # a bad value is refused with the engine's message (a 400 answer), nothing crashes
        page.fill("input[type=text][data-key='phases.lean.min_reps']", "9")
        page.dispatch_event("input[type=text][data-key='phases.lean.min_reps']", "change")
        page.wait_for_selector("#error:not(:empty)", timeout=10000)
        assert "target_reps" in page.inner_text("#error")
        assert all("400" in e for e in errors), errors
        assert all(u.startswith(f"http://127.0.0.1:{srv.server_address[1]}/") for u in requests), requests
        page.close()
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.e2e
def test_sample_video_with_overlay(browser, tmp_path, monkeypatch):
    """A rendered sample video: landmarks from the real model (cached), the video under the overlay."""
    from coach.pipeline.runner import load_spec_for
    from coach.tools.tune.cache import landmarks_for

    video = committed(Path(__file__).resolve().parent.parent / "samples" / "lying_twist" / "good.mp4")
    monkeypatch.setenv("COACH_CACHE_DIR", os.environ.get("COACH_TEST_CACHE", str(tmp_path / "cache")))
    clip, _path, _cached = landmarks_for(video, load_spec_for("lying_twist"))
    bench = Workbench(clip, "lying_twist")
    srv = serve(bench, tmp_path, video=video, name="samples/lying_twist/good.mp4")
    shots = shots_dir(tmp_path)
    try:
        page, errors, _requests = open_page(browser, srv)
        page.wait_for_selector("#stage video", state="attached")
        page.evaluate("seek(frameAt(30000))")
        page.wait_for_timeout(800)
        # scrubbing moves the video to the frame whose landmarks are drawn
        assert abs(page.evaluate("document.querySelector('#stage video').currentTime") - 30.0) < 0.15
        page.screenshot(path=str(shots / "tune_video_before.png"), full_page=True)
        # a rule whose cues change when its max is tightened to the 30th percentile of what it measured;
        # the engine run here says how many cues the page must then show
        rid, key, value, n0, n1 = _tightenable(bench)
        assert cue_count(page, rid) == n0
        move_slider(page, key, value)
        assert cue_count(page, rid) == n1 != n0
        page.evaluate("seek(frameAt(%f))" % _first_cue_ms(bench, key, value, rid))
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots / "tune_video_after.png"), full_page=True)
        # back to the spec's value with the reset button
        n = eval_count(page)
        page.click(f".param[data-key='{key}'] button.reset")
        page.wait_for_selector(f"body[data-eval-count='{n + 1}']", state="attached", timeout=10000)
        assert cue_count(page, rid) == n0
        # switched off: no markers at all
        n = eval_count(page)
        page.uncheck(f"input[data-enable='{rid}']")
        page.wait_for_selector(f"body[data-eval-count='{n + 1}']", state="attached", timeout=10000)
        assert cue_count(page, rid) == 0
        assert not errors, errors
        page.close()
    finally:
        srv.shutdown()
        srv.server_close()


def _tightenable(bench):
    import numpy as np

    base = bench.evaluate({})
    params = {p.key: p for p in bench.params}
    for rid, r in bench.spec.rules.items():
        if r.kind != "measure" or r.max is None or any(rid in p.position for p in bench.spec.phases):
            continue
        key = next((k for k in params if k.startswith(f"rules.{rid}.max_")), None)
        v = base.value[rid][base.state[rid] > 0]
        v = v[np.isfinite(v)]
        if key is None or len(v) < 50:
            continue
        p = params[key]
        new = round(round(float(np.percentile(v, 30)) / p.step) * p.step, 6)
        if not (p.lo <= new <= p.hi) or (r.min is not None and new - r.min <= 2 * r.hysteresis + p.step):
            continue
        n0 = base.cue_rules().count(rid)
        n1 = bench.evaluate({"rules": {rid: {key.split(".")[-1]: new}}}).cue_rules().count(rid)
        if n1 != n0:
            return rid, key, new, n0, n1
    raise AssertionError("no rule of this recording reacts to a tighter max")


def _first_cue_ms(bench, key, value, rid):
    ev = bench.evaluate({"rules": {rid: {key.split(".")[-1]: value}}})
    return next(t for t, r in ev.cues() if r == rid)


def test_page_in_norwegian(browser, tmp_path):
    bench = Workbench(ce_clip(fault={"recline_deg": 58}, fault_rep=2), "chair_extension", lang="nb")
    srv = serve(bench, tmp_path, name="kinematisk")
    try:
        page, errors, _requests = open_page(browser, srv)
        assert "grenseverdier" in page.inner_text("body").lower() and "Lagre profil" in page.inner_text("#save")
        assert "Ikke la korsryggen svaie" in page.inner_text("#events li.cue-item[data-rule='lumbar_arching']")
        page.screenshot(path=str(shots_dir(tmp_path) / "tune_nb.png"), full_page=False)
        assert not errors, errors
        page.close()
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_panel_texts_have_their_placeholders_filled(browser, tmp_path, lang):
    """Cue texts in the threshold panel read as the patient hears them: "Stretch your right
    arm ...", one line per side, and "hold for at least 30 seconds" (the value in effect)."""
    import re

    from coach.vision.recording import load_clip

    rec = Path(__file__).resolve().parent.parent / "samples" / "lying_twist" / "good.landmarks.npz"
    bench = Workbench(load_clip(rec), "lying_twist", lang=lang)
    srv = serve(bench, tmp_path, name="samples/lying_twist/good.landmarks.npz")
    try:
        page, errors, _requests = open_page(browser, srv)
        panel = page.inner_text("#rules")
        assert "{side}" not in panel and "{other_side}" not in panel and "{min_s}" not in panel, panel
        body = page.inner_text("body")
        assert not re.findall(r"\{[a-z_]+\}", body), re.findall(r"\{[a-z_]+\}", body)
        titles = " ".join(page.eval_on_selector_all("[title]", "els => els.map(e => e.title)"))
        assert not re.findall(r"\{[a-z_]+\}", titles), titles
        arms = page.inner_text(".cue[data-cue-for='arms_not_t']")
        if lang == "en":
            assert "Stretch your right arm straight out" in arms and "Stretch your left arm straight out" in arms
            assert "at least 30 seconds" in page.inner_text(".cue[data-cue-for='hold_too_short']")
        else:
            assert "Strekk høyre arm" in arms and "Strekk venstre arm" in arms
            assert "minst 30 sekunder" in page.inner_text(".cue[data-cue-for='hold_too_short']")
        page.screenshot(path=str(shots_dir(tmp_path) / f"tune_texts_{lang}.png"), full_page=True)
        # a shorter minimum hold: the text follows the slider
        move_slider(page, "phases.twist.min_s", 20)
        short = page.inner_text(".cue[data-cue-for='hold_too_short']")
        assert ("at least 20 seconds" if lang == "en" else "minst 20 sekunder") in short, short
        assert not errors, errors
        page.close()
    finally:
        srv.shutdown()
        srv.server_close()
