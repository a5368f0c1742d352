"""The synthetic sample set and its truth format (no torch, no renderer needed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coach.synth import truth as T
from coach.synth.exercises import EXERCISES
from coach.synth.geometry import project, rot
from coach.synth.motion import PoseSpec, mirror

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CLIPS = sorted(SAMPLES.glob("*/*.mp4"))  # the studio clips (samples/corpus/ has its own tests: test_corpus.py)
MAX_SAMPLES_MB = 120  # the limit for all of samples/; how the corpus fits: samples/README.md


def _ids(paths):
    return [str(p.relative_to(SAMPLES)) for p in paths]


# ----------------------------------------------------------------------------- committed clips
@pytest.mark.parametrize("video", CLIPS, ids=_ids(CLIPS))
def test_clip_has_valid_truth(video: Path) -> None:
    tp = T.truth_path(video)
    assert tp.exists(), f"{video.name} has no truth file {tp.name}"
    tr = T.load(tp)
    assert T.validate(tr) == []
    clip = tr["clip"]
    assert clip["video"] == video.name
    assert clip["exercise"] == video.parent.name
    expected_mistake = None if video.stem.startswith("good") else video.stem
    assert clip["mistake"] == expected_mistake
    if expected_mistake:
        assert expected_mistake in EXERCISES[clip["exercise"]].mistakes
        assert any(e["kind"] == "cue" and e["rule"] == expected_mistake for e in tr["events"])
    else:
        assert not tr["mistakes"] and not any(e["kind"] == "cue" for e in tr["events"])


@pytest.mark.parametrize("video", CLIPS, ids=_ids(CLIPS))
def test_video_matches_truth(video: Path) -> None:
    import cv2
    tr = T.load(T.truth_path(video))
    cap = cv2.VideoCapture(str(video))
    try:
        assert cap.isOpened(), f"OpenCV cannot open {video}"
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = cap.get(cv2.CAP_PROP_FPS)
        wh = [int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))]
    finally:
        cap.release()
    assert n == tr["video"]["frame_count"]
    assert fps == pytest.approx(tr["video"]["fps"], rel=1e-3)
    assert wh == tr["video"]["image_wh"]


@pytest.mark.parametrize("video", CLIPS, ids=_ids(CLIPS))
def test_truth_2d_is_the_projection_of_3d(video: Path) -> None:
    tr = T.load(T.truth_path(video))
    cam = tr["camera"]
    k = np.array(cam["K"])
    pose = np.array(cam["cam_to_world_gl"])
    n = tr["video"]["frame_count"]
    for i in (0, n // 2, n - 1):
        xyz = np.array([p if p is not None else [np.nan] * 3 for p in tr["landmarks"]["xyz_m"][i]], float)
        xy = np.array([p if p is not None else [np.nan] * 2 for p in tr["landmarks"]["xy_px"][i]], float)
        ok = np.isfinite(xyz).all(1)
        assert ok[[11, 12, 23, 24, 25, 26, 27, 28]].all()
        np.testing.assert_allclose(project(xyz[ok], pose, k), xy[ok], atol=0.6)


def test_samples_stay_small() -> None:
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < MAX_SAMPLES_MB * 1e6, f"samples/ is {total / 1e6:.1f} MB (limit {MAX_SAMPLES_MB} MB)"


def test_every_exercise_has_a_good_clip() -> None:
    have = {p.parent.name for p in CLIPS if p.stem == "good"}
    assert have == set(EXERCISES), f"good clips missing for {sorted(set(EXERCISES) - have)}"


# ----------------------------------------------------------------------------- format
def _tiny_truth(n=5, **over):
    xyz = np.zeros((n, 33, 3))
    xyz[:, :, 0] = np.linspace(-0.5, 0.5, 33)
    xyz[:, :, 2] = 1.0 + np.arange(33)[None] * 0.01
    xyz[:, 1] = np.nan
    kw = dict(exercise="lying_twist", mistake=None, sides=["right"], seed=0, variation={}, fps=10.0,
              image_wh=(640, 480), camera=dict(K=np.eye(3).tolist(), world_to_camera=np.eye(4).tolist()),
              xy_px=xyz[..., :2] * 100, xyz_m=xyz, visible=np.ones((n, 33), bool),
              script_values={"hip": np.zeros(n)},
              phases=[dict(phase="setup", side=None, rep=None, start_ms=0, end_ms=n * 100)],
              mistakes=[], events=[dict(time_ms=n * 100, kind="exercise_done", rule=None, side=None)],
              notes=[], video_name="x.mp4", generator="test")
    kw.update(over)
    return T.build(**kw)


def test_tiny_truth_is_valid_and_round_trips(tmp_path) -> None:
    tr = _tiny_truth()
    assert T.validate(tr) == []
    assert tr["landmarks"]["xyz_m"][0][1] is None          # unmapped -> null
    assert tr["landmarks"]["mapped"][1] is False and tr["landmarks"]["mapped"][0] is True
    p = T.write(tr, tmp_path / "x.truth.json.gz")
    assert T.load(p) == tr
    assert T.truth_path(tmp_path / "x.mp4") == p


@pytest.mark.parametrize("breakage, fragment", [
    (lambda t: t.update(version=99), "version"),
    (lambda t: t["video"].update(frame_count=6), "frame"),
    (lambda t: t["phases"].append(dict(phase="dance", side=None, rep=None, start_ms=0, end_ms=10)), "phases[1].phase"),
    (lambda t: t["events"].append(dict(time_ms=1, kind="cue", rule=None, side=None)), "needs a rule id"),
    (lambda t: t["mistakes"].append(dict(rule="x", onset_ms=99999, end_ms=None, size=1)), "onset_ms"),
    (lambda t: t["landmarks"]["xy_px"].pop(), "landmarks.xy_px"),
])
def test_validate_names_the_broken_field(breakage, fragment) -> None:
    tr = _tiny_truth()
    breakage(tr)
    errs = T.validate(tr)
    assert errs and any(fragment in e for e in errs), errs


def test_measures_on_a_known_pose() -> None:
    xyz = np.zeros((1, 33, 3))
    xyz[0, 11] = [0.2, 0, 1.4]     # left shoulder
    xyz[0, 12] = [-0.2, 0, 1.5]    # right shoulder 10 cm higher
    xyz[0, 23] = [0.1, 0, 0.9]
    xyz[0, 24] = [-0.1, 0, 0.9]
    xyz[0, 25] = [0.1, -0.4, 0.9]  # left thigh horizontal forward
    xyz[0, 27] = [0.1, -0.4, 0.5]  # left shin vertical
    xyz[0, 26] = [-0.1, 0, 0.5]
    xyz[0, 28] = [-0.1, 0, 0.1]
    m = T.measures(xyz)
    assert m["left_knee_deg"][0] == pytest.approx(90, abs=1e-6)
    assert m["right_knee_deg"][0] == pytest.approx(180, abs=1e-6)
    assert m["shoulder_line_tilt_deg"][0] == pytest.approx(-np.degrees(np.arctan2(0.1, 0.4)))
    assert m["trunk_incline_deg"][0] == pytest.approx(0, abs=1e-6)
    assert m["hip_line_tilt_deg"][0] == pytest.approx(0)


# ----------------------------------------------------------------------------- scripts
@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_scripts_build_for_every_mistake_and_side(ex_id: str) -> None:
    ex = EXERCISES[ex_id]
    for mistake in (None, *ex.mistakes):
        for side in ("both", *ex.sides):
            s = ex.script(ex.plan_sides(side, mistake), mistake)
            dur_ms = s.t_s * 1000
            assert 15_000 < dur_ms < 200_000
            assert [m["rule"] for m in s.mistakes] == ([mistake] if mistake else [])
            for m in s.mistakes:
                assert 0 <= m["onset_ms"] <= dur_ms
            for e in s.events:
                assert 0 <= e["time_ms"] <= dur_ms + 1
            phases = s.phases()
            assert phases[0]["start_ms"] == 0 and phases[-1]["end_ms"] == round(dur_ms)
            # the pose function accepts every frame's parameters
            p, _ = s.at(s.t_s / 2)
            spec = ex.pose({**p, "t": 1.0, "breath": 0.3, "sway": -0.2, "sway2": 0.1})
            assert isinstance(spec, PoseSpec)


def test_good_holds_follow_the_article() -> None:
    ex = EXERCISES["lying_twist"]
    s = ex.script(ex.plan_sides("both", None), None)
    holds = [p for p in s.phases() if p["phase"] == "hold"]
    assert [h["side"] for h in holds] == ["right", "left"]
    assert all(30_000 <= h["end_ms"] - h["start_ms"] <= 60_000 for h in holds)


def test_mirror_is_an_involution() -> None:
    spec = PoseSpec(aims={"upperarm01.L": ("dir", np.array([1.0, 0.2, 0.1]), "spine01"),
                          "upperarm01.R": ("ik", ("joint", "lowerleg01.L", [0.1, 0, 0]), np.array([0, 1.0, 0]))},
                    local={"clavicle.L": rot([0, 1, 0], 20)}, world_rot=rot([1, 0, 0], -90), anchor="lying")
    back = mirror(mirror(spec))
    np.testing.assert_allclose(back.aims["upperarm01.L"][1], spec.aims["upperarm01.L"][1])
    np.testing.assert_allclose(back.local["clavicle.L"], spec.local["clavicle.L"])
    once = mirror(spec)
    assert once.aims["upperarm01.R"][2] == "spine01" and once.aims["upperarm01.L"][1][1] == "lowerleg01.R"


def test_mistake_ids_match_rule_ids_md() -> None:
    table = (ROOT / "exercise_specs" / "RULE_IDS.md").read_text()
    rows = dict(re.findall(r"^\|\s*(\w+)\s*\|\s*([\w, ]+?)\s*\|\s*$", table, re.M))
    for ex_id, ex in EXERCISES.items():
        assert ex_id in rows, f"{ex_id} missing from RULE_IDS.md"
        assert list(ex.mistakes) == [r.strip() for r in rows[ex_id].split(",")]


def test_import_needs_no_renderer() -> None:
    code = ("import sys, coach.synth, coach.synth.truth, coach.synth.exercises; "
            "bad = [m for m in ('torch', 'anny', 'pyrender') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
