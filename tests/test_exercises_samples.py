"""The specs on the synthetic studio's sample clips, through their ground-truth landmarks.

``samples/<exercise>/<name>.truth.json.gz`` holds the true 2D/3D landmarks of every frame
of a rendered clip, with the studio's camera. Feeding them to the engine (a perfect pose
estimator; joints hidden behind the body keep a high visibility, as MediaPipe reports
them) checks each spec against the studio's camera views: a good clip coaches through
set-up, holds or reps and both sides with no cue; a mistake clip gets its rule's cue near
the studio's expected time. The model is not run here (see the e2e tests for that).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from coach.engine import ExerciseEngine
from coach.pose import PoseFrame
from coach.spec import load_spec

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def truth_frames(path: Path) -> tuple[dict, list[PoseFrame]]:
    d = json.load(gzip.open(path))
    fps = d["video"]["fps"]
    w, h = d["video"]["image_wh"]
    w2c = np.array(d["camera"]["world_to_camera"], dtype=float)
    fx = float(np.array(d["camera"]["K"], dtype=float)[0, 0])
    frames = []
    for i, (xy, xyz, bits) in enumerate(zip(d["landmarks"]["xy_px"], d["landmarks"]["xyz_m"],
                                          d["landmarks"]["visible_bits"])):
        lm = np.full((33, 5), np.nan)
        cam = np.full((33, 3), np.nan)
        for j in range(33):
            if xy[j] is None or xyz[j] is None:
                continue
            cam[j] = (w2c @ np.array([*xyz[j], 1.0]))[:3]
            lm[j] = (xy[j][0] / w, xy[j][1] / h, 0.0, 0.99 if (bits >> j) & 1 else 0.95, 0.99)
        for a, b in ((1, 2), (3, 2), (4, 5), (6, 5)):   # inner/outer eye corners: the eye
            if np.isnan(lm[a, 0]):
                lm[a], cam[a] = lm[b], cam[b]
        hip = 0.5 * (cam[23] + cam[24])
        lm[:, 2] = (cam[:, 2] - hip[2]) * fx / w / np.maximum(cam[:, 2], 1e-6)
        frames.append(PoseFrame(timestamp_ms=i * 1000.0 / fps, landmarks=lm, world=cam - hip, image_wh=(w, h)))
    return d, frames


def clips(kind: str) -> list[tuple[str, str]]:
    out = []
    for p in sorted(SAMPLES.glob("*/*.truth.json.gz")):
        name = p.name.split(".")[0]
        if (kind == "good") == name.startswith("good"):
            out.append((p.parent.name, name))
    return out


def run(exercise: str, name: str):
    d, frames = truth_frames(SAMPLES / exercise / f"{name}.truth.json.gz")
    eng = ExerciseEngine(load_spec(exercise))
    events = []
    for f in frames:
        events.extend(eng.update(f))
    events.extend(eng.finish(frames[-1].timestamp_ms))
    return d, eng, events


GOOD = clips("good")
MISTAKES = clips("mistake")

# Mistakes the current specs do not catch on the true landmarks, with the reason. A clip
# listed here that starts passing fails the run (strict xfail): then remove it.
KNOWN_MISSES = {
    # Clips rendered after the specs were tuned (measured 2026-11-26; see the issue notes):
    ("seated_rotation", "hips_turning"): "the pelvis turn takes the knees along (true hip-knee yaw 8 deg; MediaPipe "
                                         "reads 11-25 deg with still hips); hip width from the front: cos(30 deg)",
    # Evidence before a cue (issue 13): a fault needs its bound + the measure's known error
    # (x1.5 for safety); the studio's mistakes were sized just past the old bounds, which
    # were placed between sample readings. Each is smaller than what the article's meaning
    # plus the measure's error asks for:
    ("chair_extension", "hold_too_short"): "told from the 2nd rep (18 s), not the 1st (8 s): the rep's hold is timed "
                                            "near the farthest lean (within a quarter of it), which adds ~2 s of lean "
                                            "in and out at this tempo; the 1st 1-s hold reads 3.0 s, at the 3 s bound, "
                                            "the others 2.8-2.9 s",
    ("cat_cow", "neck_overextended"): "a 55 deg neck extension lifts the face less than the 90 deg from the "
                                      "start (+1.5 x 26 error) that only a head thrown right back reaches; the "
                                      "article asks for the head lifted",
    ("crossed_leg_rotation", "knees_apart"): "one knee up: gap 0.80 true, under 0.65 + 0.31 (error): the cue waits "
                                             "for evidence (out of the position at 0.65 still)",
    ("crossed_leg_rotation", "rotation_beyond_limit"): "knees resting at the floor beside the hips are not forcing; "
                                                       "the bound is 0.2 below the hips + 1.5 x 0.18",
    ("knee_to_chest", "head_lifting"): "a 35 deg neck flexion tilts the line +13.5, under 10 + 4.8 (error)",
    ("lying_twist", "head_not_turned"): "facing the ceiling reads 0.28 true, under 0.2 + 0.17 (error): MediaPipe's "
                                        "nose and ears cannot tell",
    ("passive_hang", "elbows_bent"): "the studio's bent elbows read over 150 - 12.5 (error)",
    ("passive_hang", "feet_on_ground"): "the foot's pitch is judged from the side only: from the front the "
                                        "true joints of good hangs read -0.03 to 0.41 against -0.12 for feet flat",
    ("seated_rotation", "rotation_forced"): "3D yaw from the front: error 28 deg, a safety cue past 70 + 42",
    ("seated_rotation", "shoulders_tipping"): "the 15 deg tip reads 11 against the start's vertical (true joints; "
                                              "MediaPipe 12 as a change), under 10 + 7.2 (error); the picture's "
                                              "tilt read 16 but read good dev turns as 5-24 (error 37.9)",
    ("seated_rotation", "rotation_too_small"): "a 12 deg turn reads up to 15 deg true (20 MediaPipe), over 23 - 15 "
                                               "(error): out of the position, but the cue waits for evidence",
}


# Cues from other rules than the clip's mistake, seen on the true landmarks (2026-12-06). A
# mistake changes more of the movement than its rule's measure, so a second rule may be right
# to speak; each is listed so that any other rule speaking fails the run and is looked at
# (one of these falling silent is allowed: rep counting from turning points dropped cat/cow's
# reps_out_of_range on hips_shifting). None of them is a safety cue (checked below).
# (side_skipped after a one-sided mistake clip of a two-sided exercise is expected anyway.)
OTHER_CUES = {
    ("cat_cow", "hips_shifting"): {"knees_not_under_hips", "reps_out_of_range"},
    ("chair_extension", "feet_not_flat"): {"reps_out_of_range"},
    ("chair_extension", "hands_not_behind_head"): {"hold_too_short"},
    ("knee_to_chest", "rocking_too_big"): {"other_foot_lifted"},    # at 7.9 s, in all four rocking clips
    ("knee_to_chest", "rocking_too_fast"): {"other_foot_lifted"},
    ("knee_to_chest", "rocking_too_long"): {"other_foot_lifted"},
    ("knee_to_chest", "rocking_too_short"): {"other_foot_lifted"},
    ("seated_rotation", "slumped"): {"shoulders_tipping"},
}


def test_the_sample_clips_are_there():
    """Every exercise has a good clip and mistake clips with ground truth (committed)."""
    exercises = sorted(p.stem for p in (SAMPLES.parent / "exercise_specs").glob("*.yaml"))
    how = "they are committed (git checkout -- samples), or render them with `python -m coach.synth batch --out samples`"
    assert sorted({ex for ex, _ in GOOD}) == exercises, f"good clips with ground truth missing: {how}"
    assert sorted({ex for ex, _ in MISTAKES}) == exercises, f"mistake clips with ground truth missing: {how}"


def test_the_other_cues_listed_are_no_safety_cues():
    for (exercise, _name), rules in OTHER_CUES.items():
        spec = load_spec(exercise)
        assert all(spec.rules[r].severity != "safety" for r in rules), (exercise, rules)


@pytest.mark.parametrize("exercise,name", GOOD)
def test_good_sample_is_coached_through_without_cues(exercise, name):
    d, eng, events = run(exercise, name)
    cues = [(round(e.timestamp_ms), e.rule_id) for e in events if e.kind in ("cue", "cant_see")]
    assert cues == []
    s = eng.summary()
    assert s["completed"], s
    # every hold the studio performed was long enough, on each side it did
    for hold in d["holds"] if s["holds_s"] else []:    # (chair_extension's holds are rep peaks)
        side = hold["side"] or "-"
        got = [v[side] for v in s["holds_s"].values() if side in v]
        assert got and max(got) >= min(hold["duration_s"], 30.0) - 0.5, (hold, s["holds_s"])
    truth_reps = [e for e in d["events"] if e["kind"] == "rep"]
    if truth_reps:
        assert sum(n for v in s["reps"].values() for n in v.values()) == len(truth_reps)


@pytest.mark.parametrize("exercise,name", MISTAKES)
def test_mistake_sample_gets_its_cue(exercise, name, request):
    if (exercise, name) in KNOWN_MISSES:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_MISSES[(exercise, name)], strict=True))
    d, eng, events = run(exercise, name)
    expected = [e for e in d["events"] if e["kind"] == "cue"]
    assert expected
    for exp in expected:
        cues = [e for e in events if e.kind == "cue" and e.rule_id == exp["rule"]]
        assert cues, (exp, [(round(e.timestamp_ms), e.rule_id) for e in events if e.kind == "cue"])
        # said within 3 s (+ the rule's persist_s, which a perfect coach does not wait for) of
        # the moment the studio says a perfect coach would; a hold is over only once the person
        # has been out of its position for release_s, so a "too short" may come that much later
        spec = load_spec(exercise)
        wait_s = spec.rules[exp["rule"]].persist_s
        if spec.rules[exp["rule"]].check == "hold_short":
            wait_s += max((p.release_s for p in spec.phases if p.kind == "hold"), default=0.0)
        assert abs(cues[0].timestamp_ms - exp["time_ms"]) <= 3000 + wait_s * 1000, (exp, cues[0].timestamp_ms)
    # and the other rules stay silent
    others = {e.rule_id for e in events if e.kind in ("cue", "cant_see")} - {exp["rule"] for exp in expected}
    if len(d["clip"]["sides"]) == 1:
        others.discard("side_skipped")    # the clip did one side of a two-sided exercise
    # (a cue listed may stop coming as the coach gets better; a new one fails)
    assert others <= OTHER_CUES.get((exercise, name), set()), \
        [(round(e.timestamp_ms), e.kind, e.rule_id) for e in events if e.rule_id in others]
