"""The workbench without a browser: re-evaluation, overrides, profiles, server, cache.

Landmark clips come from the kinematic body model (tests/test_exercises_kinematics.py),
so every expected cue is known: chair_extension with the third lean going to 58 deg makes
the hip open ~58 deg from the upright start (lumbar_arching: +30, raised past 39.3), the second rep with the hands on
the thighs makes hands_not_behind_head fire.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_exercises import ce_keys  # noqa: E402
from test_exercises_kinematics import clip as kin_clip  # noqa: E402

from coach.engine import ExerciseEngine  # noqa: E402
from coach.pose import PoseClip  # noqa: E402
from coach.vision.smoothing import PoseSmoother  # noqa: E402
from coach.spec import SpecError, load_profile, load_spec  # noqa: E402
from coach.tools.tune.workbench import TuneError, Workbench  # noqa: E402
from coach.tools.tune.profiles import read_profile, save_profile  # noqa: E402
from coach.tools.tune.server import TuneServer, TuneState  # noqa: E402
from needs import committed

FPS = 15.0


def ce_clip(seed: int = 0, **kw) -> PoseClip:
    return PoseClip.from_frames(kin_clip("chair_extension", ce_keys(**kw), fps=FPS, seed=seed))


@pytest.fixture(scope="module")
def arching() -> Workbench:
    return Workbench(ce_clip(fault={"recline_deg": 58}, fault_rep=2), "chair_extension")


@pytest.fixture(scope="module")
def hands() -> Workbench:
    return Workbench(ce_clip(fault={"hands": 0}, fault_rep=1), "chair_extension")


def rules_of(ev, kind="cue"):
    return [e.rule_id for e in ev.events if e.kind == kind]


# --------------------------------------------------------------------------- re-evaluation

def test_default_evaluation_matches_a_plain_engine_run(arching):
    """The workbench is the real engine: same events as `coach replay` would give."""
    ev = arching.evaluate({})
    engine = ExerciseEngine(load_spec("chair_extension"), lang="en")
    smoother = PoseSmoother()
    ref = []
    for f in arching.clip:
        ref.extend(engine.update(smoother.update(f)))
    ref.extend(engine.finish(float(arching.timestamps_ms[-1])))
    assert [(e.timestamp_ms, e.kind, e.rule_id) for e in ev.events] == \
        [(e.timestamp_ms, e.kind, e.rule_id) for e in ref]
    assert "lumbar_arching" in rules_of(ev)


def _same(a, b):
    assert [(e.timestamp_ms, e.kind, e.rule_id, e.side) for e in a.events] == \
        [(e.timestamp_ms, e.kind, e.rule_id, e.side) for e in b.events]
    for rid in a.value:
        assert np.array_equal(a.value[rid], b.value[rid], equal_nan=True), rid
        assert np.array_equal(a.state[rid], b.state[rid]), rid


def test_measure_cache_never_changes_a_value():
    """Cached measure values (shared between evaluations) give exactly the uncached engine's results,
    also when a threshold moves where a step begins or ends."""
    clip = ce_clip(seed=3, fault={"recline_deg": 58}, fault_rep=2)
    cached = Workbench(clip, "chair_extension")
    plain = Workbench(clip, "chair_extension")
    plain.use_cache = False
    sequence = [{}, {"rules": {"lumbar_arching": {"max_deg": 130}}},
                {"phases": {"start": {"stable_s": 4.5}}},                       # the lean phase starts later
                {"rules": {"sit_upright": {"max_deg": 2, "persist_s": 0.5}}},    # the setup may never finish
                {"phases": {"lean": {"idle_end_s": 3, "min_reps": 2}}},           # the reps phase ends early
                {"rules": {"too_fast": {"max_deg_s": 20}}, "disabled": ["hands_not_behind_head"]},
                {}]
    for ov in sequence:
        _same(cached.evaluate(ov), plain.evaluate(ov))
    assert cached.cache.hits > cached.cache.misses


def test_loosening_a_threshold_removes_its_cue(arching):
    base = arching.evaluate({})
    assert rules_of(base).count("lumbar_arching") >= 1
    loose = arching.evaluate({"rules": {"lumbar_arching": {"max_deg": 155}}})
    assert "lumbar_arching" not in rules_of(loose) and "lumbar_arching" not in rules_of(loose, "fault")
    assert loose.diff == [{"key": "rules.lumbar_arching.max_deg", "default": load_spec("chair_extension").rules["lumbar_arching"].max, "value": 155,
                           "change": "looser"}]
    # the rule's value is the same measure either way; only its state differs
    v0, v1 = base.value["lumbar_arching"], loose.value["lumbar_arching"]
    both = np.isfinite(v0) & np.isfinite(v1)
    assert both.sum() > 100 and np.allclose(v0[both], v1[both])
    assert (base.state["lumbar_arching"] == 3).any() and not (loose.state["lumbar_arching"] == 3).any()


def test_tightening_a_threshold_adds_cues_on_good_reps(arching):
    base = arching.evaluate({})
    # judged from the start (relative_to: start): every 30 deg lean opens the hip ~30 deg from
    # the upright start; a max of 15 raises past 15 + 1.5 x 6.2 = 24.3, so the good reps cue too
    strict = arching.evaluate({"rules": {"lumbar_arching": {"max_deg": 15}}})
    n0 = sum(1 for e in base.events if e.kind == "fault" and e.rule_id == "lumbar_arching")
    n1 = sum(1 for e in strict.events if e.kind == "fault" and e.rule_id == "lumbar_arching")
    assert n1 > n0 >= 1


def test_persist_delays_the_fault(arching):
    def first_fault(persist):
        ev = arching.evaluate({"rules": {"lumbar_arching": {"persist_s": persist}}})
        return min(e.timestamp_ms for e in ev.events if e.kind == "fault" and e.rule_id == "lumbar_arching")
    assert first_fault(1.5) - first_fault(0.5) == pytest.approx(1000.0, abs=1000.0 / FPS + 1)


def test_disabling_a_rule_and_phase_targets(hands):
    base = hands.evaluate({})
    assert "hands_not_behind_head" in rules_of(base)
    off = hands.evaluate({"disabled": ["hands_not_behind_head"]})
    assert "hands_not_behind_head" not in rules_of(off) and not off.state["hands_not_behind_head"].any()
    # rep target: 6 reps done; asking for at least 8 makes the reps phase wait -> a count fault at the end
    more = hands.evaluate({"phases": {"lean": {"min_reps": 8, "target_reps": 8}}})
    assert "reps_out_of_range" in rules_of(more, "fault") and "reps_out_of_range" not in rules_of(base, "fault")


@pytest.mark.parametrize("overrides, message", [
    ({"rules": {"lumbar_arching": {"max_deg": "high"}}}, "must be a number"),
    ({"rules": {"nope": {"max_deg": 1}}}, "not a tunable value"),
    ({"phases": {"lean": {"min_reps": 7, "target_reps": 6}}}, "target_reps"),
    ({"phases": {"lean": {"min_reps": 2.5}}}, "whole number"),
    ({"rules": {"feet_not_flat": {"hysteresis_deg": 30}}}, "less than half the gap"),
    ({"disabled": ["nope"]}, "unknown rule"),
    ({"colour": 1}, "unknown group"),
])
def test_bad_overrides_are_one_line_errors(arching, overrides, message):
    with pytest.raises(TuneError) as exc:
        arching.evaluate(overrides)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_params_cover_every_threshold_hold_and_rep_target(arching):
    keys = {p.key for p in arching.params}
    spec = load_spec("chair_extension")
    for rid, r in spec.rules.items():
        if r.kind == "measure":
            assert f"rules.{rid}.persist_s" in keys
            for b, f in ((r.min, "min"), (r.max, "max")):
                if b is not None:
                    assert any(k.startswith(f"rules.{rid}.{f}_") for k in keys)
    for f in ("min_amplitude_deg", "min_reps", "target_reps", "max_reps", "peak_min_s", "min_period_s"):
        assert f"phases.lean.{f}" in keys
    for p in arching.params:
        assert p.lo <= p.default <= p.hi, p


# (how long a re-evaluation takes: benchmarks/interactive.py, not a test)


def test_background_curve_covers_inactive_frames(arching):
    ev = arching.evaluate({})
    bg = arching.background(ev)["lumbar_arching"]
    active = ev.state["lumbar_arching"] > 0
    assert np.isfinite(bg).sum() > np.isfinite(ev.value["lumbar_arching"]).sum()
    both = active & np.isfinite(ev.value["lumbar_arching"])
    # where the rule was active the background is the same measure (continuous vs per-step smoothing aside)
    assert np.nanmax(np.abs(bg[both] - ev.value["lumbar_arching"][both])) < 1.0
    json.dumps(arching.result_json(ev), allow_nan=False)
    json.dumps(arching.session_json(), allow_nan=False)


# --------------------------------------------------------------------------- profiles

def test_save_profile_roundtrip_is_atomic_private_and_loadable(arching, tmp_path):
    ev = arching.evaluate({"rules": {"lumbar_arching": {"max_deg": 150}}, "phases": {"lean": {"min_reps": 4}},
                           "disabled": ["too_fast"], "loosen_safety": {"lumbar_arching": "stiff lower back"}})
    with pytest.raises(SpecError, match="loosens the safety rule 'lumbar_arching'"):   # not without a reason
        save_profile(tmp_path / "kari.yaml", "Kari Nordmann (70)", "", arching.spec, arching.spec_text,
                     {**ev.overrides, "loosen_safety": {}})
    path = save_profile(tmp_path / "kari.yaml", "Kari Nordmann (70)", "stiff lower back: looser arching limit",
                        arching.spec, arching.spec_text, ev.overrides)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["kari.yaml"]          # no temporary left behind
    prof = load_profile(path)
    assert prof.patient == "Kari Nordmann (70)" and "arching" in prof.note
    spec = load_spec("chair_extension", profile=prof)
    assert spec.rules["lumbar_arching"].max == 150 and "too_fast" not in spec.rules
    assert spec.safety_loosened[0]["reason"] == "stiff lower back"
    assert spec.phase("lean").min_reps == 4
    overrides, _doc, _extra = read_profile(path, arching.spec)
    assert overrides == ev.overrides
    # the profile gives the same events in the engine as in the workbench
    again = arching.evaluate(overrides)
    assert again.cues() == ev.cues()


def test_save_keeps_other_exercises_of_the_file(arching, tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("patient: Ola\nnote: two exercises\nexercises:\n  lying_twist:\n    hold: {min_s: 20, target_s: 30}\n",
                 encoding="utf-8")
    save_profile(p, "Ola", "two exercises", arching.spec, arching.spec_text,
                 {"rules": {"lumbar_arching": {"max_deg": 145}}, "phases": {}, "disabled": [],
                  "loosen_safety": {"lumbar_arching": "stiff lower back"}})
    prof = load_profile(p)
    assert set(prof.exercises) == {"lying_twist", "chair_extension"}
    assert load_spec("lying_twist", profile=prof).phase("twist").min_s == 20


@pytest.mark.parametrize("name, patient, message", [
    ("p.txt", "Ola", ".yaml or .yml"),
    ("missing/p.yaml", "Ola", "folder does not exist"),
    ("p.yaml", "  ", "patient"),
])
def test_save_profile_refuses_bad_input(arching, tmp_path, name, patient, message):
    with pytest.raises(TuneError) as exc:
        save_profile(tmp_path / name, patient, "", arching.spec, arching.spec_text,
                     {"rules": {}, "phases": {}, "disabled": []})
    assert message in str(exc.value)
    assert not (tmp_path / name).exists()


def test_save_refuses_to_take_over_another_patients_file(arching, tmp_path):
    p = tmp_path / "kari.yaml"
    empty = {"rules": {}, "phases": {}, "disabled": []}
    save_profile(p, "Kari", "", arching.spec, arching.spec_text, empty)
    before = p.read_text()
    with pytest.raises(TuneError) as exc:
        save_profile(p, "Ola", "", arching.spec, arching.spec_text, empty)
    assert "profile of 'Kari'" in str(exc.value) and p.read_text() == before


def test_crop_clip_selects_a_time_window():
    from coach.tools.tune.workbench import crop_clip

    clip = ce_clip()
    part = crop_clip(clip, 10.0, 20.0)
    rel = (part.timestamps_ms - clip.timestamps_ms[0]) / 1000.0
    assert rel[0] == pytest.approx(10.0) and rel[-1] == pytest.approx(20.0) and len(part) == 151
    assert crop_clip(clip) is clip
    for a, b, msg in ((20.0, 10.0, "from < to"), (500.0, None, "no frame between")):
        with pytest.raises(TuneError) as exc:
            crop_clip(clip, a, b)
        assert msg in str(exc.value)


def test_read_profile_bad_file_is_one_line(arching, tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("patient: x\nexercises:\n  chair_extension:\n    rules:\n      lumbar_arching: {max_deg: high}\n")
    with pytest.raises(SpecError) as exc:
        read_profile(p, arching.spec)
    assert "bad.yaml:5" in str(exc.value) and "must be a number" in str(exc.value)


# --------------------------------------------------------------------------- server

@pytest.fixture()
def server(arching, tmp_path):
    state = TuneState(arching, save_path=tmp_path / "saved.yaml", source_name="kinematic")
    srv = TuneServer(state)
    srv.start_background()
    yield srv
    srv.shutdown()
    srv.server_close()


def _req(srv, path, body=None, token=True, host=None):
    url = f"http://127.0.0.1:{srv.server_address[1]}{path}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    if token:
        req.add_header("X-Coach-Token", srv.token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_server_binds_loopback_only_and_needs_the_key(server):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:") and f"t={server.token}" in server.url
    # not reachable on another interface of this machine
    other = None
    try:
        other = socket.gethostbyname(socket.gethostname())
    except OSError:
        pass
    if other and not other.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((other, server.server_address[1]), timeout=1).close()
    assert _req(server, "/api/session", token=False)[0] == 403
    assert _req(server, "/", token=False)[0] == 403
    assert _req(server, "/api/session", host="evil.example:80")[0] == 403        # DNS rebinding
    status, body = _req(server, "/api/evaluate", {"overrides": {}}, token=False)
    assert status == 403


def test_server_page_and_api(server, tmp_path):
    status, page = _req(server, f"/?t={server.token}", token=False)
    assert status == 200 and b"<canvas" in page
    assert b"http://" not in page and b"https://" not in page                     # nothing fetched from outside
    status, body = _req(server, "/api/session")
    s = json.loads(body)
    assert status == 200 and s["exercise"]["id"] == "chair_extension" and len(s["landmarks"]) == s["clip"]["frames"]
    status, body = _req(server, "/api/evaluate", {"overrides": {"rules": {"lumbar_arching": {"max_deg": 155}}}})
    r = json.loads(body)
    assert status == 200 and not [e for e in r["events"] if e["kind"] == "cue" and e["rule"] == "lumbar_arching"]
    status, body = _req(server, "/api/evaluate", {"overrides": {"rules": {"lumbar_arching": {"max_deg": "x"}}}})
    assert status == 400 and "must be a number" in json.loads(body)["error"]
    status, body = _req(server, "/api/save", {"path": str(tmp_path / "s.yaml"), "patient": "P1", "note": "n",
                                              "overrides": {"rules": {"lumbar_arching": {"max_deg": 150}}}})
    assert status == 400 and "loosens the safety rule 'lumbar_arching'" in json.loads(body)["error"]
    status, body = _req(server, "/api/save", {"path": str(tmp_path / "s.yaml"), "patient": "P1", "note": "n",
                                              "safety_reason": "stiff back",
                                              "overrides": {"rules": {"lumbar_arching": {"max_deg": 150}}}})
    assert status == 200, body
    assert load_spec("chair_extension", load_profile(tmp_path / "s.yaml")).safety_loosened[0]["reason"] == "stiff back"
    status, body = _req(server, "/api/save", {"path": str(tmp_path / "s.yaml"), "patient": "P1", "note": "n",
                                              "overrides": {"rules": {"lumbar_arching": {"max_deg": 150}},
                                                            "loosen_safety": {"lumbar_arching": "stiff back"}}})
    assert status == 200, body
    assert load_spec("chair_extension", load_profile(tmp_path / "s.yaml")).rules["lumbar_arching"].max == 150
    status, body = _req(server, "/api/load", {"path": str(tmp_path / "s.yaml")})
    assert status == 200 and json.loads(body)["overrides"]["rules"] == {"lumbar_arching": {"max_deg": 150}}
    status, body = _req(server, "/api/load", {"path": str(tmp_path / "nope.yaml")})
    assert status == 400 and "no such profile" in json.loads(body)["error"]


def test_server_port_in_use_is_one_line(arching):
    state = TuneState(arching)
    a = TuneServer(state)
    try:
        with pytest.raises(TuneError) as exc:
            TuneServer(state, port=a.server_address[1])
        assert "choose another --port" in str(exc.value)
    finally:
        a.server_close()


# --------------------------------------------------------------------------- texts the page shows

REPO = Path(__file__).resolve().parent.parent
SPEC_FILES = sorted((REPO / "exercise_specs").glob("*.yaml"))
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _strings(obj, path="$"):
    """Every string in a JSON payload with where it is (keys included)."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield path, str(k)
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, (str, dict, list)):      # (skips the long lists of numbers quickly)
                yield from _strings(v, f"{path}[{i}]")


def _unfilled(payload):
    return [(path, s) for path, s in _strings(payload) if PLACEHOLDER.search(s)]


def _sample_bench(exercise: str, lang: str) -> Workbench:
    from coach.vision.recording import load_clip

    rec = REPO / "samples" / exercise / "good.landmarks.npz"
    if not rec.is_file():        # the panel's texts come from the spec: any recording shows them
        rec = REPO / "samples" / "lying_twist" / "good.landmarks.npz"
    return Workbench(load_clip(rec), exercise, lang=lang)


def _serve(bench):
    import threading

    srv = TuneServer(TuneState(bench, source_name="sample"))
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return srv


def test_every_spec_is_covered():
    assert len(SPEC_FILES) >= 7, SPEC_FILES


@pytest.mark.parametrize("lang", ["en", "nb"])
@pytest.mark.parametrize("spec_file", SPEC_FILES, ids=lambda p: p.stem)
def test_api_payload_has_no_unfilled_placeholders(spec_file, lang):
    """The threshold panel, the phases, the cue list and the overlay show texts with their
    {side} / {other_side} / {min_s} / ... filled in, for every exercise, in both languages."""
    bench = _sample_bench(spec_file.stem, lang)
    srv = _serve(bench)
    try:
        status, body = _req(srv, "/api/session")
        assert status == 200, body
        session = json.loads(body)
        assert not _unfilled(session), _unfilled(session)
        # every rule's cue is there to read (the panel shows it)
        assert all(r["cue"] for r in session["rules"])
        status, body = _req(srv, "/api/evaluate", {"overrides": {}})
        assert status == 200, body
        result = json.loads(body)
        assert not _unfilled(result), _unfilled(result)
        # with values changed from the spec (a patient's profile): still filled, with the new numbers
        phases = {}
        for p in bench.params:
            if p.group == "phases" and p.field == "min_s" and p.default > 5:
                phases.setdefault(p.owner, {})["min_s"] = p.default - 5
        status, body = _req(srv, "/api/evaluate", {"overrides": {"phases": phases}})
        assert status == 200, body
        changed = json.loads(body)
        assert not _unfilled(changed), _unfilled(changed)
    finally:
        srv.shutdown()
        srv.server_close()


def test_panel_texts_name_each_side_and_the_values_in_effect():
    bench = _sample_bench("lying_twist", "en")
    session = bench.session_json()
    rules = {r["id"]: r for r in session["rules"]}
    arms = rules["arms_not_t"]
    # a per-side rule: the words the patient hears on each side, in the order they are done
    assert [(c["side"], c["text"]) for c in arms["cues"]] == [
        ("right", "Stretch your right arm straight out at shoulder height."),
        ("left", "Stretch your left arm straight out at shoulder height.")]
    assert arms["cue"] == "Stretch your right arm straight out at shoulder height."
    assert [c["text"] for c in rules["knee_not_crossing"]["cues"]] == [
        "Bring your right knee slowly across to the left.", "Bring your left knee slowly across to the right."]
    assert [c["text"] for c in rules["shoulder_lifting"]["cues"]] == ["Keep both shoulders on the floor."]
    assert rules["hold_too_short"]["cue"] == "Try to hold for at least 30 seconds next time."
    # a changed hold changes the text the page shows
    result = bench.result_json(bench.evaluate({"phases": {"twist": {"min_s": 20, "target_s": 30}}}))
    assert [c["text"] for c in result["texts"]["rules"]["hold_too_short"]] == [
        "Try to hold for at least 20 seconds next time."]
    nb = _sample_bench("cat_cow", "nb").session_json()
    reps = next(r for r in nb["rules"] if r["id"] == "reps_out_of_range")
    assert reps["cue"].startswith("Gjør 10–15 runder") and "{" not in reps["cue"]


# --------------------------------------------------------------------------- CLI + cache

def test_cli_tune_serves_a_recording_then_stops(tmp_path, capsys):
    from coach.vision.recording import save_clip

    rec = save_clip(ce_clip(fault={"recline_deg": 58}, fault_rep=2), tmp_path / "r.npz")
    from coach.cli import main

    assert main(["tune", str(rec), "--exercise", "chair_extension", "--no-browser", "--exit-after", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "open http://127.0.0.1:" in out and "(chair_extension) on r.npz" in out


@pytest.mark.parametrize("argv, message", [
    (["tune", "nope.npz", "--exercise", "chair_extension"], "no such recording"),
    (["tune", "x.npz", "--exercise", "nope"], "unknown exercise"),
])
def test_cli_tune_bad_input(tmp_path, argv, message, capsys):
    from coach.cli import main

    assert main(argv + ["--no-browser", "--exit-after", "0"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("coach: error: ") and err.count("\n") == 1


@pytest.mark.e2e
def test_video_landmarks_are_extracted_once_and_cached(tmp_path, monkeypatch):
    """A short cut of a sample video through the real model; the second call hits the cache."""
    from conftest import cut_video

    from coach.pipeline.runner import load_spec_for
    from coach.tools.tune.cache import landmarks_for

    src = committed(Path(__file__).resolve().parent.parent / "samples" / "lying_twist" / "good.mp4")
    short = cut_video(src, tmp_path / "short.mp4", 20)
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    spec = load_spec_for("lying_twist")
    said = []
    clip1, path1, cached1 = landmarks_for(short, spec, on_status=said.append)
    assert not cached1 and len(clip1) == 20 and path1.parent == tmp_path / "cache" and said
    assert clip1.meta.get("model_sha256")
    # the second time comes from the cache: the model is not run again, nothing is said
    import coach.pipeline.loop as loop

    def no_model(*_a, **_k):
        raise AssertionError("the model ran again on a cached video")

    monkeypatch.setattr(loop, "run", no_model)
    said2 = []
    clip2, path2, cached2 = landmarks_for(short, spec, on_status=said2.append)
    assert cached2 and path2 == path1 and said2 == []
    assert np.array_equal(np.nan_to_num(clip1.landmarks), np.nan_to_num(clip2.landmarks))
