"""`coach eval`'s breakdown: splits from the corpus manifest, variation bins, timing, camera
placement, mistake sizes, mirrored clips — on hand-made results and on a small corpus
made here from the committed sample recordings."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from coach.cli import main
from coach.cli.eval import report_lines
from coach.tools.scoring import (
    ClipResult,
    ScoreReport,
    azimuth_bin,
    match_hold_starts,
    score_clips,
    summarise,
    variation_bins,
    view_class,
)
from coach.vision.recording import load_clip, save_clip
from tests.conftest import SAMPLES
from tests.test_mirror import _mirrored_clip


# --------------------------------------------------------------------------- pieces
def test_variation_bins_of_a_manifest_entry():
    entry = {"camera": {"height_class": "floor", "azimuth_deg": -14.2, "mirrored": True},
             "body": {"sex": "woman", "build": "slim", "age_group": "old", "height_m": 1.81},
             "style": {"tempo": 0.7, "side_first": None, "start_in_position": True}, "kind": "good"}
    assert variation_bins(entry, fps=24.0) == {
        "camera_height": "floor", "azimuth": "10-20", "mirrored": "yes", "fps": "24-30", "sex": "woman",
        "build": "slim", "age": "old", "body_height": ">=1.80", "tempo": "<0.9 quick", "side_first": "no sides",
        "start_in_position": "yes"}
    assert variation_bins({}, fps=10.0) == {}  # a clip outside the corpus has no variation bins
    assert [azimuth_bin(a) for a in (0, 9.99, -10, 19.9, 20, 30, -30, 61)] == \
        ["0-10", "0-10", "10-20", "10-20", "20-30", "20-30", "20-30", ">30 (off)"]
    assert view_class(entry, "good") == "floor/10-20"
    assert view_class(entry, "camera_off") == "off-view" and view_class({}, "good") == "studio"


def test_hold_starts_pair_by_side_and_nearest_time():
    true = [("left", 10_000.0), ("right", 50_000.0), ("-", 90_000.0)]
    coach = [("left", 8_000.0), ("left", 12_500.0), ("right", 80_000.0), ("-", 91_000.0)]
    got = match_hold_starts(true, coach)
    assert got == [
        {"side": "left", "true_ms": 10_000.0, "coach_ms": 8_000.0},   # 2 s before beats 2.5 s after
        {"side": "right", "true_ms": 50_000.0, "coach_ms": None},     # 30 s later: not this hold's start
        {"side": "-", "true_ms": 90_000.0, "coach_ms": 91_000.0},
    ]
    # a start of the other side is never taken, however close
    assert match_hold_starts([("left", 1000.0)], [("right", 1000.0)])[0]["coach_ms"] is None


def _clip(**kw) -> ClipResult:
    base = dict(name="c", exercise="lying_twist", mistake=None, source="x", frames=600, tracked=1.0, duration_s=60.0,
                predicted=[], truth_cues=[], matches=[], holds={}, reps={}, measure_errors={}, measure_units={})
    base.update(kw)
    return ClipResult(**base)


def _cue(t, rule, severity="form", repeat=False):
    return {"t_ms": t, "rule": rule, "side": None, "severity": severity, "repeat": repeat}


def test_summary_of_hand_made_results():
    good = _clip(kind="good", duration_s=120.0, predicted=[
        _cue(1000, "a", "safety"), _cue(2000, "b", "form"), _cue(3000, "b", "form", repeat=True),
        _cue(4000, "c", "pace"), _cue(5000, "s", "setup")],
        holds={"left": (30.0, 27.0), "right": (30.0, 30.0)}, reps={"-": (10, 7)},
        hold_starts=[{"side": "left", "true_ms": 0.0, "coach_ms": 1500.0},
                     {"side": "right", "true_ms": 0.0, "coach_ms": None}],
        sides_truth=["left", "right"], sides_coach=["right", "left"], coach_unsupported=True)
    small = _clip(kind="mistake", size="just_past", truth_cues=[{"t_ms": 0, "rule": "a"}], predicted=[],
                  matches=[])
    big = _clip(kind="mistake", size="obvious", truth_cues=[{"t_ms": 0, "rule": "a"}],
                predicted=[_cue(500, "a"), _cue(9000, "z", "count")], matches=[(0, 0)])
    off = _clip(kind="camera_off", camera_supported=False, duration_s=30.0, coach_unsupported=False,
                predicted=[_cue(100, "b")])
    s = summarise([good, small, big, off])
    # wrong cues: every correction said on good form (repeats too), per minute of good form
    assert s["wrong_cues_good"] == 4 and s["wrong_cues_per_min_good"] == pytest.approx(2.0)
    assert s["wrong_cues_per_min_good_by_severity"] == pytest.approx(
        {"safety": 0.5, "form": 1.0, "pace": 0.5, "count": 0.0, "setup": 0.5})
    # cue scores: good 3 unmatched non-repeat corrections + big 1 + off 1 = 5 fp; tp 1; fn 1
    assert (s["tp"], s["fp"], s["fn"]) == (1, 5, 1)
    assert s["precision"] == pytest.approx(1 / 6) and s["recall"] == pytest.approx(0.5)
    assert s["f1"] == pytest.approx(2 * (1 / 6) * 0.5 / (1 / 6 + 0.5))
    assert s["recall_just_past"] == 0.0 and s["recall_obvious"] == 1.0
    assert s["corrections_per_min_camera_off"] == pytest.approx(2.0)
    assert s["camera_unsupported_fraction_camera_off"] == 0.0  # it never asked to move the camera
    assert s["camera_unsupported_fraction_supported"] == pytest.approx(1 / 3)  # but did on a good one
    assert s["hold_error_s_mean"] == pytest.approx(1.5) and s["hold_error_s_max"] == 3.0
    assert s["hold_start_error_s_mean"] == pytest.approx(1.5) and s["hold_starts_missed"] == 1
    assert s["rep_count_error_mean"] == 3 and s["reps_exact_fraction"] == 0.0
    assert s["sides_followed_fraction"] == 0.0 and s["sides_clips"] == 1
    # what the 5 wrong cues were said to: good form 3 (a, b, c; the repeat and the set-up
    # cue are not wrong cues), another mistake 1 (z in the clip of a), a camera to move 1
    assert s["wrong_by_kind"] == {"own_mistake_off_window": 0, "other_mistake": 1, "good_form": 3,
                                  "camera_off": 1}
    late = _clip(kind="mistake", size="obvious", truth_cues=[{"t_ms": 0, "rule": "a"}],
                 predicted=[_cue(9000, "a")], matches=[])
    assert summarise([late])["wrong_by_kind"]["own_mistake_off_window"] == 1


def test_dev_test_gap_and_groups():
    dev = _clip(split="dev", truth_cues=[{"t_ms": 0, "rule": "a"}], predicted=[_cue(0, "a")], matches=[(0, 0)],
                kind="mistake", dims={"mirrored": "no"})
    test = _clip(split="test", truth_cues=[{"t_ms": 0, "rule": "a"}], kind="mistake", dims={"mirrored": "yes"})
    report = ScoreReport(clips=[test, dev])
    assert list(report.split_summary()) == ["dev", "test"]
    assert report.dev_test_gap() == {"f1_dev": 1.0, "f1_test": 0.0, "gap": 1.0}
    assert report.dimension_summary()["mirrored"]["yes"]["recall"] == 0.0
    assert ScoreReport(clips=[dev]).dev_test_gap() is None
    lines = report_lines(report.to_dict(), 1.0, 3.0)
    assert "F1 dev 1.00, F1 test 0.00, gap +1.00" in lines
    assert any(line.startswith("mirrored: yes") for line in lines)


# --------------------------------------------------------------------------- a small corpus
def _mirror_truth(truth: dict) -> dict:
    """The truth of the same clip filmed by a mirroring camera (as the renderer writes it):
    the picture flipped, landmarks keeping their anatomical names."""
    t = copy.deepcopy(truth)
    w = t["video"]["image_wh"][0]
    t["landmarks"]["xy_px"] = [[None if p is None else [w - 1 - p[0], p[1]] for p in row]
                               for row in t["landmarks"]["xy_px"]]
    t["camera"]["K"][0][2] = w - 1 - t["camera"]["K"][0][2]
    t["camera"]["world_to_camera"][0] = [-v for v in t["camera"]["world_to_camera"][0]]
    t["camera"]["mirrored"] = True
    return t


def _entry(cid, split, exercise, kind, mirrored=False, azimuth=5.0, height="floor"):
    return {"id": cid, "order": 0, "split": split, "exercise": exercise, "kind": kind, "mistake": None, "size": None,
            "camera": {"view": "side", "height_class": height, "azimuth_deg": azimuth, "mirrored": mirrored,
                       "supported": kind != "camera_off"},
            "body": {"sex": "man", "age_group": "young", "build": "average", "height_m": 1.7},
            "style": {"tempo": 1.0, "side_first": "right", "start_in_position": False}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """samples/corpus-like folder: knee_to_chest good in dev, the same clip filmed mirrored
    in test, and a shoulder-lifting lying twist in test marked camera_off."""
    root = tmp_path_factory.mktemp("corpus")
    src = SAMPLES / "knee_to_chest" / "good"
    truth = json.load(gzip.open(str(src) + ".truth.json.gz"))
    clips = []

    def put(cid, split, exercise, truth_dict, recording):
        d = root / split / exercise
        d.mkdir(parents=True, exist_ok=True)
        with gzip.open(d / f"{cid}.truth.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(truth_dict, fh)
        save_clip(recording, d / f"{cid}.landmarks.npz")

    put("dev_ktc_good", "dev", "knee_to_chest", truth, load_clip(str(src) + ".landmarks.npz"))
    clips.append(_entry("dev_ktc_good", "dev", "knee_to_chest", "good"))
    put("test_ktc_good_m", "test", "knee_to_chest", _mirror_truth(truth),
        _mirrored_clip(load_clip(str(src) + ".landmarks.npz")))
    clips.append(_entry("test_ktc_good_m", "test", "knee_to_chest", "good", mirrored=True, azimuth=-25.0))
    off = json.load(gzip.open(SAMPLES / "lying_twist" / "shoulder_lifting.truth.json.gz"))
    off["clip"]["kind"] = "camera_off"
    off["clip"]["mistake"] = None
    off["expected"] = {"camera_supported": False}
    off["events"] = [e for e in off["events"] if e["kind"] != "cue"]  # nothing to correct: a camera to move
    off["mistakes"] = []
    put("test_lt_off", "test", "lying_twist", off, load_clip(SAMPLES / "lying_twist" / "shoulder_lifting.landmarks.npz"))
    clips.append(_entry("test_lt_off", "test", "lying_twist", "camera_off", azimuth=75.0))
    (root / "manifest.json").write_text(json.dumps({"format": "coach-synth-corpus-manifest", "version": 1,
                                                    "clips": clips}), encoding="utf-8")
    return root


def test_split_option_takes_the_split_from_the_manifest(corpus, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["eval", str(corpus), "--split", "test", "--json", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(Path(c["clip"]).name for c in data["clips"]) == ["test_ktc_good_m", "test_lt_off"]
    assert list(data["splits"]) == ["test"] and data["dev_vs_test"] is None
    assert data["variation"]["azimuth"].keys() == {"20-30", ">30 (off)"}
    assert "test " in printed and "F1 dev" not in printed


def test_mirrored_clip_is_run_as_its_user_would_and_camera_off_expects_no_correction(corpus, tmp_path):
    report = score_clips([corpus])
    by = {Path(c.name).name: c for c in report.clips}
    plain, mirrored, off = by["dev_ktc_good"], by["test_ktc_good_m"], by["test_lt_off"]
    assert plain.split == "dev" and mirrored.split == "test" and mirrored.mirrored and not plain.mirrored
    # turned back, the mirrored clip is coached like the plain one: no correction, same sides
    assert mirrored.predicted == plain.predicted == []
    assert mirrored.sides_coach == plain.sides_coach == ["right", "left"] == mirrored.sides_truth
    assert mirrored.hold_starts == plain.hold_starts
    # and its measures agree with its (mirrored) truth as well as the plain clip's do
    for name, errs in plain.measure_errors.items():
        assert np.mean(mirrored.measure_errors[name]) == pytest.approx(np.mean(errs), abs=0.02), name
    # camera_off: its shoulder-lifting cues are wrong cues, and no side_skipped is expected
    assert off.kind == "camera_off" and not off.camera_supported and off.view == "off-view"
    assert off.truth_cues == []  # not even "remember the left side"
    corrections = [p for p in off.predicted if p["severity"] in ("safety", "form", "pace", "count")]
    assert corrections and off.wrong_cues == corrections
    s = report.split_summary()["test"]
    assert s["camera_off_clips"] == 1 and s["camera_unsupported_fraction_camera_off"] == 0.0
    assert s["corrections_per_min_camera_off"] > 0
    assert report.dev_test_gap() is not None


def test_a_camera_event_counts_as_judging_the_placement_unsupported(corpus, monkeypatch):
    """The contract with the engine: an event kind="camera", data state "unsupported"."""
    from coach.engine import ExerciseEngine, Event

    real = ExerciseEngine.update

    def update(self, frame):
        events = real(self, frame)
        if frame.timestamp_ms == 0.0:
            events.append(Event(timestamp_ms=0.0, kind="camera", exercise_id=self.spec.id,
                                data={"state": "unsupported"}))
        return events

    monkeypatch.setattr(ExerciseEngine, "update", update)
    report = score_clips([corpus], splits=["test"])
    assert all(c.coach_unsupported for c in report.clips)
    assert report.split_summary()["test"]["camera_unsupported_fraction_camera_off"] == 1.0


# --------------------------------------------------------------------------- why a miss
def _traced(rule_id: str, readings: list[tuple[float, int, str]], side_at=lambda t: None):
    """A RuleTrace fed the engine's snapshots of one rule: (t_ms, level, state) per frame
    (level -1: the rule absent from the snapshot, i.e. not judged), in a step of side_at(t)."""
    from types import SimpleNamespace

    from coach.engine.exercise import RuleStatus
    from coach.tools.scoring import RuleTrace

    trace = RuleTrace()
    for t, level, state in readings:
        rules = [] if level < 0 else [RuleStatus(rule_id, "form", state, 0.0, None, None, None, 0.0, level)]
        engine = SimpleNamespace(snapshot=lambda rules=rules, side=side_at(t): SimpleNamespace(rules=rules, side=side))
        trace.write(SimpleNamespace(pose=SimpleNamespace(timestamp_ms=t), engine=engine))
    return trace


def test_a_missed_mistake_is_told_by_where_its_rules_reading_was():
    """`coach eval` says why each missed cue was missed, from the rule's own reading over the
    mistake: never past its bound for persist_s, past it but never by the margin, past the
    margin (or at fault) yet not said, not judged at all; a timing rule has no reading."""
    import dataclasses

    from coach.spec import load_spec
    from coach.tools.scoring import MISS_CAUSES, miss_cause

    rule = dataclasses.replace(load_spec("seated_rotation").rules["slumped"], persist_s=1.0)
    assert rule.kind == "measure"
    frames = [i * 100.0 for i in range(60)]   # 6 s at 10 fps

    def cause(level_at, state_at=lambda t: "ok", start=0.0, end=6000.0) -> str:
        trace = _traced(rule.id, [(t, level_at(t), state_at(t)) for t in frames])
        c = miss_cause(trace, rule, start, end)
        assert c in MISS_CAUSES
        return c

    assert cause(lambda t: 0) == "inside_bound"
    # past the bound, but 0.5 s at a time: shorter than persist_s
    assert cause(lambda t: 1 if int(t // 500) % 2 else 0) == "inside_bound"
    assert cause(lambda t: 1 if 1000 <= t < 3000 else 0) == "inside_margin"
    # past bound + margin for 0.8 s of 2 s past the bound: still not the evidence a fault needs
    assert cause(lambda t: 2 if 1000 <= t < 1800 else 1 if 1000 <= t < 3000 else 0) == "inside_margin"
    assert cause(lambda t: 2 if 1000 <= t < 2500 else 0) == "not_said"
    assert cause(lambda t: 0, lambda t: "fault" if 2000 <= t < 2200 else "ok") == "not_said"
    assert cause(lambda t: -1) == "not_judged"
    # the reading past the margin only outside the mistake's time: inside its bound then
    assert cause(lambda t: 2 if t < 2000 else 0, start=3000.0) == "inside_bound"
    # a mistake on the left: the right step's fault (the person had not started that side) is
    # not the left's; the left step read it inside the bound
    trace = _traced(rule.id, [(t, 2 if t < 3000 else 0, "fault" if 1000 <= t < 3000 else "ok") for t in frames],
                    side_at=lambda t: "right" if t < 3000 else "left")
    assert miss_cause(trace, rule, 0.0, 6000.0, side="left") == "inside_bound"
    assert miss_cause(trace, rule, 0.0, 6000.0, side="right") == miss_cause(trace, rule, 0.0, 6000.0) == "not_said"
    assert miss_cause(_traced("x", []), load_spec("seated_rotation").rules["hold_too_short"], 0, 1) == "timing"
    assert miss_cause(_traced("x", []), None, 0, 1) == "timing"


def test_a_rule_at_rest_is_not_judged_and_a_tracker_tells_how_far_past_its_bound():
    from coach.engine.rules import MARGIN_FACTOR, RuleTracker
    from coach.spec import load_spec

    rule = load_spec("seated_rotation").rules["slumped"]    # min -0.10, error 0.012, form
    tr = RuleTracker(rule)
    margin = rule.error * MARGIN_FACTOR["form"]
    assert rule.min is not None and margin > 0
    assert tr.level(float("nan")) == -1
    assert tr.level(rule.min + 0.01) == 0
    assert tr.level(rule.min - margin / 2) == 1
    assert tr.level(rule.min - margin * 2) == 2
    assert RuleTracker(rule, evidence=False).level(rule.min - margin / 2) == 2   # no margin
    tr.rest(-1.0)
    assert tr.resting
    tr.judge(0.0, -1.0, None)
    assert not tr.resting


def test_eval_reports_why_mistakes_were_missed(tmp_path, capsys):
    """A real corpus clip: feet left on the floor in the hang, filmed from the front. The
    feet's rule is judged from the side only (its spec's views), so its miss is "not judged"
    — not a reading inside the bound."""
    from coach.spec import load_spec

    clip = SAMPLES / "corpus" / "dev" / "passive_hang" / "dev_passive_hang_feet_on_ground_ob.truth.json.gz"
    truth = json.load(gzip.open(clip))
    assert truth["camera"]["view"] == "front" and load_spec("passive_hang").rules["feet_on_ground"].views == ("side",)
    out = tmp_path / "r.json"
    assert main(["eval", str(clip), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    (c,) = data["clips"]
    assert c["matched"] == [] and c["missed"] == [{"rule": "feet_on_ground", "side": None, "cause": "not_judged"}]
    assert data["overall"]["missed_by_cause"]["not_judged"] == 1 == data["overall"]["fn"]
    assert data["rules"]["passive_hang/feet_on_ground"]["missed_by_cause"] == {"not_judged": 1}
    assert "dev: not judged 1" in printed and "missed: not judged 1" in printed
    assert data["overall"]["wrong_by_kind"] == {"own_mistake_off_window": 0, "other_mistake": 0, "good_form": 0,
                                                "camera_off": 0} and "dev: none" in printed
