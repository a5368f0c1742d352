"""Scene faults, end to end with the real model on pictures built from the real samples:
no person, two people, half the body out of frame, very dark / very bright, too far away,
and a skeleton implausible for the posture (head below the hips while seated).

The rule throughout: when the coach cannot see, it says so ("cant_see"), and it never
gives a form correction that the clear picture would not have given.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coach.vision.recording import load_clip

from fixtures_faults import (
    empty_room, need_ffmpeg, read_events, read_frames, run_cli, sample, scale_pixels, shrink_and_pad,
    transform_video, trim, two_people, write_frames,
)

pytestmark = pytest.mark.e2e

SECONDS = 12.0  # long enough for a "can't see" cue (cant_see_s) and the first form cues


def coach(capsys, video: Path, out: Path, exercise: str = "seated_rotation", *extra: str):
    rec = out.with_suffix(".npz")
    code, _o, err = run_cli(["replay", str(video), "-e", exercise, "--out", str(out), "-q",
                             "--record-landmarks", str(rec), *extra], capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return summary, read_events(out / "events.jsonl"), load_clip(rec)


END_OF_RUN_RULES = {"hold_too_short", "side_skipped"}  # said when the (short) clip ends mid-exercise


def cue_rules(events) -> set[str]:
    """Rules of the corrections given while coaching (not the end-of-run count remarks)."""
    return {e.get("rule_id") for e in events if e["kind"] == "cue" and e.get("rule_id") not in END_OF_RUN_RULES}


def cant_see(events) -> list[dict]:
    return [e for e in events if e["kind"] == "cant_see"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """12 s of seated_rotation, its frames, and how the coach coached the clear picture."""
    need_ffmpeg()
    d = tmp_path_factory.mktemp("scene")
    clip = trim(sample("seated_rotation"), d / "clear.mp4", SECONDS)
    from coach.cli import main

    rec = d / "clear.npz"
    assert main(["replay", str(clip), "-e", "seated_rotation", "--out", str(d / "clear"), "-q",
                 "--record-landmarks", str(rec)]) == 0
    events = read_events(d / "clear" / "events.jsonl")
    return {"dir": d, "clip": clip, "events": events, "rec": load_clip(rec), "frames": read_frames(clip)}


def test_clear_picture_baseline(base):
    """The reference the fault tests compare against: the person is tracked throughout."""
    assert np.isfinite(base["rec"].landmarks[:, 0, 0]).mean() > 0.95


# --------------------------------------------------------------------------- no person
@pytest.mark.parametrize("kind", ["empty_room", "black"])
def test_no_person_says_cant_see_and_no_form_cue(capsys, tmp_path, base, kind):
    if kind == "empty_room":
        frames = [np.hstack([empty_room(f), empty_room(f)]) for f in base["frames"]]
    else:
        frames = [np.zeros_like(f) for f in base["frames"]]
    video = write_frames(tmp_path / f"{kind}.mp4", frames)
    summary, events, rec = coach(capsys, video, tmp_path / "out")
    assert summary["stats"]["tracked_frames"] == 0
    assert not cue_rules(events), cue_rules(events)
    assert cant_see(events), [e["kind"] for e in events]


# --------------------------------------------------------------------------- half the body out of frame
def test_half_body_out_of_frame_says_cant_see_your_knees(capsys, tmp_path, base):
    """The bottom of the picture cut away at the hips (a camera too low / too close):
    the knees are out of frame. Expected: a "can't see" cue, and no form cue the clear
    picture did not give."""
    h = base["frames"][0].shape[0]
    hips_y = np.nanmedian(base["rec"].xy_px[:, [23, 24], 1])
    knees_y = np.nanmedian(base["rec"].xy_px[:, [25, 26], 1])
    cut = int((hips_y + knees_y) / 2) + 10  # below the hips, above the knees
    assert hips_y < cut < knees_y < h
    video = transform_video(base["clip"], tmp_path / "cut.mp4", lambda bgr, _i: bgr[:cut], seconds=SECONDS)
    summary, events, rec = coach(capsys, video, tmp_path / "out")
    false_cues = cue_rules(events) - cue_rules(base["events"]) - {"body_in_view"}
    assert not false_cues, false_cues
    view = [e for e in events if e["kind"] in ("cue", "cant_see")
            and (e["kind"] == "cant_see" or e.get("rule_id") == "body_in_view")]
    said = " ".join(json.dumps(e.get("text", ""), ensure_ascii=False) for e in view).lower()
    print("half body:", [(e["timestamp_ms"], e["kind"], e.get("rule_id")) for e in view])
    assert view, "no can't-see / move-into-view cue with the knees out of frame"
    assert "kne" in said, said  # "knees" / "knærne"
    hidden = rec.landmarks[:, [25, 26], 3]
    assert np.nanmax(hidden) == 0.0  # the guessed knees are marked unseen


# --------------------------------------------------------------------------- lighting and distance
@pytest.mark.parametrize("name, fn, min_tracked", [
    ("very_dark", scale_pixels(0.15), 0.0),
    ("very_bright", scale_pixels(1.6, 110), 0.0),
    ("too_far", shrink_and_pad(0.3), 0.0),
    ("pitch_dark", scale_pixels(0.03), 0.0),
    ("tiny_far_away", shrink_and_pad(0.12), 0.0),
])
def test_hard_pictures_never_give_a_false_form_cue(capsys, tmp_path, base, name, fn, min_tracked):
    video = transform_video(base["clip"], tmp_path / f"{name}.mp4", fn, seconds=SECONDS)
    summary, events, rec = coach(capsys, video, tmp_path / "out")
    tracked = summary["stats"]["tracked_fraction"]
    false_cues = cue_rules(events) - cue_rules(base["events"])
    print(f"{name}: tracked {tracked:.2f}, cues {sorted(cue_rules(events))}, cant_see {len(cant_see(events))}")
    assert tracked >= min_tracked
    assert not false_cues, (name, tracked, false_cues)
    if tracked < 0.5:
        assert cant_see(events), f"{name}: person mostly not seen but no can't-see cue"


# --------------------------------------------------------------------------- two people
@pytest.mark.parametrize("max_people", [1, 2])
def test_second_person_walking_in_does_not_take_over(capsys, tmp_path, base, max_people):
    """Person A (seated_rotation) on the left from the start; person B (chair_extension,
    another body) appears on the right 4 s in. The coach must stay on A: every tracked
    frame's hips lie in the left half."""
    video = two_people(base["clip"], sample("chair_extension"), tmp_path / "two.mp4", seconds=SECONDS,
                       b_from_s=4.0, b_crop=lambda bgr: np.ascontiguousarray(bgr[:, 120:440]))
    summary, events, rec = coach(capsys, video, tmp_path / "out", "seated_rotation", "--max-people", str(max_people))
    hips_x = np.nanmean(rec.xy_px[:, [23, 24], 0], axis=1)
    seen = np.isfinite(hips_x)
    after = seen & (rec.timestamps_ms >= 4000)
    print(f"max_people={max_people}: tracked {seen.mean():.2f}, after B {after.sum()} frames, "
          f"hips x {np.nanmin(hips_x):.0f}..{np.nanmax(hips_x):.0f}")
    assert seen[rec.timestamps_ms < 4000].mean() > 0.9
    assert after.sum() > 0.8 * (rec.timestamps_ms >= 4000).sum(), "A lost once B came in"
    assert np.all(hips_x[seen] < 320), "the coach jumped to the other person"


# --------------------------------------------------------------------------- wrong skeletons
# On the rendered samples MediaPipe never produced a wrong skeleton: 0 rejections by the
# plausibility check over 4 640 frames (crossed_leg_rotation good + legs_not_crossed,
# chair_extension good, lying_twist good, seated_rotation good, passive_hang good). The
# picture turned upside down gives a skeleton with the head below the hips, which is what
# the tracker's "head and feet swapped" lock looks like to the coach.
def _upside_down(base, tmp_path, seconds=4.0) -> Path:
    return transform_video(base["clip"], tmp_path / "upside_down.mp4", lambda bgr, _i: bgr[::-1, ::-1].copy(),
                           seconds=seconds, start=2.0)


def test_head_below_hips_rejected_and_tracking_restarted(tmp_path, base):
    from coach.vision.estimator import EstimatorConfig, PoseEstimator
    from coach.vision.plausibility import PlausibilityChecker
    from coach.vision.sources import VideoFileSource

    def run(video, posture):
        with PoseEstimator(EstimatorConfig()) as est:
            est.plausibility = PlausibilityChecker(posture=posture, front_view=True)
            seen = [est.process(f.rgb, f.timestamp_ms).detected for f in VideoFileSource(video)]
            return np.mean(seen), est.restarts, est.plausibility.rejected

    wrong = _upside_down(base, tmp_path)
    seen_no_hint, _, rej_no_hint = run(wrong, None)
    seen_seated, restarts, rejected = run(wrong, "seated")
    upright = transform_video(base["clip"], tmp_path / "upright.mp4", lambda bgr, _i: bgr, seconds=4.0, start=2.0)
    seen_upright, restarts_upright, rej_upright = run(upright, "seated")
    print(f"upside down: tracked {seen_no_hint:.2f} without a posture hint; with 'seated' tracked {seen_seated:.2f}, "
          f"rejected {rejected}, restarts {restarts}; upright with 'seated': tracked {seen_upright:.2f}, "
          f"rejected {rej_upright}")
    assert seen_no_hint > 0.9 and rej_no_hint == 0  # without a hint the wrong body is coached
    assert seen_seated == 0.0 and rejected >= 40 and restarts >= 5
    assert seen_upright > 0.95 and rej_upright == 0 and restarts_upright == 0  # no false rejections


def test_coach_says_cant_see_instead_of_coaching_an_upside_down_seated_body(capsys, tmp_path, base):
    video = _upside_down(base, tmp_path, seconds=6.0)
    summary, events, rec = coach(capsys, video, tmp_path / "out")
    assert summary["stats"]["tracked_frames"] == 0
    assert cant_see(events)


@pytest.mark.parametrize("max_people", [1, 2])
def test_locked_person_hidden_for_a_second_coach_waits_instead_of_jumping(capsys, tmp_path, base, max_people):
    """A is hidden for 1 s (5.0-6.0 s) while B is in view: during that second the coach
    sees "no person" rather than coaching B; A is picked up again afterwards."""
    video = two_people(base["clip"], sample("chair_extension"), tmp_path / "two.mp4", seconds=SECONDS,
                       b_from_s=2.0, b_crop=lambda bgr: np.ascontiguousarray(bgr[:, 120:440]), a_gone_s=(5.0, 6.0))
    summary, events, rec = coach(capsys, video, tmp_path / "out", "seated_rotation", "--max-people", str(max_people))
    hips_x = np.nanmean(rec.xy_px[:, [23, 24], 0], axis=1)
    t = rec.timestamps_ms
    seen = np.isfinite(hips_x)
    on_b = seen & (hips_x >= 320)
    print(f"max_people={max_people}: frames on B {on_b.sum()} (at {t[on_b][:3]}), "
          f"A back after the gap {(seen & (t >= 6500) & (hips_x < 320)).mean():.2f}")
    assert not on_b.any(), f"jumped to B at {t[on_b][:5]} ms"
    assert (seen & (t >= 6500)).sum() > 0.8 * (t >= 6500).sum(), "A not picked up again"
