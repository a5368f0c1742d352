"""The corpus in samples/corpus/: what is committed is complete, samples/ fits in 120 MB,
and `coach eval` on the test and dev splits (recordings, no model) does not fall below
today's scores. The end-to-end test runs the real model on the few committed videos.

A missing file is a failure, never a skip: samples/corpus/index.json (written by
scripts/import_corpus.py) lists what is committed.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from coach.cli import main
from tests.conftest import REPO, SAMPLES

CORPUS = SAMPLES / "corpus"
LIMIT_MB = 120.0

# Today's scores, the floors (and, for errors, ceilings) of test_eval_does_not_regress.
# Measured 2026-12-06 with scripts/eval_floors.py on the clips then imported (all 95 test
# clips, 87 dev: the dev good-form clips came in last), after issue 13, the session-4 engine changes, the seated turn read from the
# shoulders' width (front_turn), the crossed-leg drop from the knees-up height, switch_s 6 s
# and the seated shoulders' tilt against the start's vertical (tilt_from_start); then the
# crossed-leg side told by the pelvis's roll (side_from with positive_side, learnt in the
# start position, a hold moved to the side that shows in its first 8 s). That added one
# cue ("hold too short") on a dev camera-off clip (2.03 -> 2.18 a minute). Then the chair's
# hands bound carrying MediaPipe's error (a just-past dev mistake inside it is no longer
# caught) and the knee-to-chest far knee accepted at visibility 0.3; then a glance back at
# the screen during a seated turn (test: one more wrong cue, precision 0.452 -> 0.448), and
# the lying twist's knee allowed 7 s above the hip on its way over.
# Then the chair's lean counted from the trunk's own signed lean, its facing told by the knees
# (test: precision 0.448 -> 0.484, wrong cues on good form 0.38 -> 0.28 a minute).
# Then the cat/cow elbow error from the 87 dev clips (11.9, was the studio's 8.6): dev only moved.
# Then five errors from the 87 dev clips where they were larger than the studio's.
# Then the settling time counted toward a hold's length for 'hold too short'.
# Then 16 more dev clips and the last 13 val clips imported (dev 103, val 50).
# Then a rep's hold judged only on reps of twice the minimum amplitude.
# Then the last 26 dev clips imported: the corpus is complete (dev 129, val 50, test 95).
# Then the camera gate's clearing, side probes run ahead, position cues on lasting evidence
# and not while moving, pauses said as cues, count_error (2026-12-07; dev F1 0.618).
# Then set-up cues of the start position muted once the next step is under way, a cue that
# names no side matched on either side, safety evidence for all of persist_s, the first
# camera verdict on most of a window, a hold's cues a later step does not judge held while
# it is recognised (2026-12-07; dev F1 0.629, test 0.560).
# Then entry-only position rules, and the hang followed from the bar with its grip told
# unpaused, a side tried before the other not reminded (2026-12-07; dev F1 0.635, test 0.560).
# Then position cues wait idle_s after someone comes back out of the position (2026-12-07;
# dev F1 0.651, test 0.576).
# Then the seated turn's shoulder width measured against the torso, not the hips (2026-12-07;
# dev F1 0.643, hold error 0.82 -> 0.30 s, sides followed 0.96 -> 1.0; test F1 0.586).
# Then the camera bound (camera.max_off_deg) and position cues on evidence when said
# (dev F1 0.658, test 0.604); then the seated shrug over the torso's length, hold-start
# references learnt in a hold the person was followed into, and points MediaPipe rates dim
# behind the body read down to visibility 0.2 (2026-12-07; dev F1 0.679, test 0.626; the dev
# hold-start error 1.202 -> 1.204 s: a good twist's left hold starts 0.13 s later).
# Then the camera bound 43 -> 38 deg for a body on the floor (2026-12-07; dev unchanged; test
# camera_off clips refused 0.857 -> 1.0, their corrections per minute 0.706 -> 0, precision
# 0.671 -> 0.708, F1 0.625 -> 0.641). Then the seated turn's direction kept while the
# shoulders still read the trunk turned (2026-12-07; dev precision 0.852 -> 0.863, F1 0.678
# -> 0.687; test unchanged). Then the lying twist's clock after 2 s in the position (the
# second side waiting for its own knee) and the knee-to-chest far knee read at the near hip
# (2026-12-07; dev hold-start error 1.204 -> 1.037 s; test sides followed 0.95 -> 1.0, no
# hold start missed, whose 18.7 s late start now counts in the mean: 1.163 -> 1.362 s).
# Then (session 16, 2026-12-07) a set-up followed into turning-point reps, the cat-cow's
# hips rocking read as the thigh's swing (its just-past dev clip found 10 s late: dev
# precision 0.863 -> 0.836, F1 0.687 -> 0.684, recall 0.571 -> 0.578, obvious 0.643 -> 0.657)
# and sides tried within the measure's error or by their own evidence (test: reps exact,
# error 0.3 -> 0.0; recall just past 0.488 -> 0.465, obvious 0.682 -> 0.704, F1 unchanged).
# Then (session 17, 2026-12-07) a hold not ended by a reading dipping out inside the
# measure's error, the step's instruction said again (not a correction) to someone who has
# not moved, the form judged while settling in the position (dev precision 0.836 -> 0.887,
# F1 0.684 -> 0.711; test precision 0.708 -> 0.772, F1 0.641 -> 0.666, wrong cues on good
# form 0.165 -> 0.133 a minute; one test "hold too short" now late, recall obvious 0.704 -> 0.681).
# Then (session 18, 2026-12-07) a hold without settle_s timed from arriving in the position
# to beginning to leave it (dev hold error 0.302 -> 0.218 s, hold-start error 1.037 -> 0.95 s;
# test hold error 1.162 -> 1.034 s, hold-start error 1.362 -> 1.34 s; no cue changed).
# Re-measure after importing more clips or improving the
# coach — never tune on the test split.
FLOORS = {'dev': {'clips': 129,
                  'tracked_fraction': 0.992,
                  'precision': 0.887,
                  'recall': 0.593,
                  'f1': 0.711,
                  'recall_just_past': 0.5,
                  'recall_obvious': 0.671,
                  'wrong_cues_per_min_good': 0.016,
                  'corrections_per_min_camera_off': 0.0,
                  'camera_unsupported_fraction_camera_off': 1.0,
                  'camera_unsupported_fraction_supported': 0.0,
                  'hold_start_error_s_mean': 0.95,
                  'hold_starts_missed': 0.0,
                  'hold_error_s_mean': 0.218,
                  'rep_count_error_mean': 0.167,
                  'sides_followed_fraction': 1.0},
          'test': {'clips': 95,
                   'tracked_fraction': 0.994,
                   'precision': 0.772,
                   'recall': 0.586,
                   'f1': 0.666,
                   'recall_just_past': 0.488,
                   'recall_obvious': 0.681,
                   'wrong_cues_per_min_good': 0.133,
                   'corrections_per_min_camera_off': 0.0,
                   'camera_unsupported_fraction_camera_off': 1.0,
                   'camera_unsupported_fraction_supported': 0.0,
                   'hold_start_error_s_mean': 1.34,
                   'hold_starts_missed': 0.0,
                   'hold_error_s_mean': 1.034,
                   'rep_count_error_mean': 0.0,
                   'sides_followed_fraction': 1.0}}
LOWER_IS_BETTER = {"wrong_cues_per_min_good", "corrections_per_min_camera_off", "camera_unsupported_fraction_supported",
                   "hold_start_error_s_mean", "hold_starts_missed", "hold_error_s_mean", "rep_count_error_mean"}


@pytest.fixture(scope="module")
def index() -> dict:
    path = CORPUS / "index.json"
    assert path.is_file(), f"{path} is missing: run scripts/import_corpus.py"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return {c["id"]: c for c in json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["clips"]}


def test_every_imported_clip_is_complete_and_nothing_else_is_there(index, manifest):
    expected = set()
    for cid, entry in index["clips"].items():
        clip = manifest[cid]
        assert (entry["split"], entry["exercise"], entry["kind"]) == (clip["split"], clip["exercise"], clip["kind"])
        folder = CORPUS / clip["split"] / clip["exercise"]
        for suffix in (".landmarks.npz", ".truth.json.gz"):
            path = folder / (cid + suffix)
            assert path.is_file(), f"{path} is listed in index.json but missing"
            expected.add(path)
        with np.load(folder / (cid + ".landmarks.npz")) as data:  # the compact format
            assert int(data["version"]) == 2 and data["landmarks_q"].shape[2] == entry["frames"], cid
    assert 1 <= len(index["videos"]) <= 9  # at most 8 + one mirrored
    for cid in index["videos"]:
        clip = manifest[cid]
        assert clip["split"] == "test", cid
        expected.add(CORPUS / clip["split"] / clip["exercise"] / (cid + ".mp4"))
    assert any(manifest[cid]["camera"]["mirrored"] for cid in index["videos"])
    present = {p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("manifest.json", "index.json")}
    assert present == expected, (sorted(map(str, present - expected)), sorted(map(str, expected - present)))


def _size_mb(paths) -> float:
    return sum(os.path.getsize(p) for p in paths) / 1e6


def test_samples_fit_in_120_mb_now_and_with_the_whole_corpus(index, manifest):
    files = [p for p in SAMPLES.rglob("*") if p.is_file()]
    now = _size_mb(files)
    assert now < LIMIT_MB, now
    # the whole corpus at the size per frame of its recordings and truth measured so far
    clips = index["clips"].values()
    frames = sum(e["frames"] for e in clips)
    rec_per_frame = sum(e["bytes"]["landmarks"] for e in clips) / frames
    truth_per_frame = sum(e["bytes"]["truth"] for e in clips) / frames
    corpus_now = _size_mb(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".mp4"
                          and p.name not in ("manifest.json", "index.json"))
    whole = sum(c["frames"] for c in manifest.values()) * (rec_per_frame + truth_per_frame) / 1e6
    projected = now - corpus_now + whole
    assert rec_per_frame < 130, rec_per_frame  # measured 106 B a frame on the first clips
    assert projected < LIMIT_MB, (now, whole, projected)


@pytest.fixture(scope="module", params=["test", "dev"])
def split_report(request, tmp_path_factory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("eval") / f"{request.param}.json"
    assert main(["eval", str(CORPUS), "--split", request.param, "--json", str(out), "--quiet"]) == 0
    return request.param, json.loads(out.read_text(encoding="utf-8"))


def test_eval_does_not_regress(split_report):
    split, data = split_report
    s = data["splits"][split]
    floors = FLOORS[split]
    assert s["clips"] == floors["clips"], "more clips imported: re-measure FLOORS (scripts/eval_floors.py)"
    worse = []
    for key, bound in floors.items():
        if key == "clips":
            continue
        value = s[key]
        if value is None or (value > bound + 1e-9 if key in LOWER_IS_BETTER else value < bound - 1e-9):
            worse.append(f"{key}: {value} (today {bound})")
    assert not worse, f"{split}: " + "; ".join(worse)


def test_eval_reports_every_part_of_the_breakdown(split_report):
    split, data = split_report
    assert set(data) >= {"splits", "exercises", "rules", "sizes", "variation", "measures", "clips", "dev_vs_test"}
    assert {c["split"] for c in data["clips"]} == {split}
    variation = data["variation"]
    for dim in ("camera_height", "azimuth", "mirrored", "fps", "sex", "build", "age", "body_height", "tempo",
                "side_first", "start_in_position"):
        assert variation.get(dim), dim
    sev = data["splits"][split]["wrong_cues_per_min_good_by_severity"]
    assert set(sev) == {"safety", "form", "pace", "count", "setup"}
    assert all(m["views"] for m in data["measures"].values())


@pytest.mark.e2e
def test_eval_with_the_real_model_on_the_committed_videos(index, manifest, tmp_path):
    """The chosen test clips through the real model (`coach eval --video`), mirrored ones
    with --mirrored: the person is tracked, and the coach says what it says from the
    clips' recordings (made by the same model) — within a cue, for the estimator may have
    changed since they were recorded."""
    videos = [CORPUS / manifest[c]["split"] / manifest[c]["exercise"] / (c + ".mp4") for c in index["videos"]]
    for v in videos:
        assert v.is_file(), f"{v} is missing"
    out_video, out_rec = tmp_path / "video.json", tmp_path / "rec.json"
    assert main(["eval", *map(str, videos), "--video", "--json", str(out_video), "--quiet"]) == 0
    assert main(["eval", *map(str, videos), "--json", str(out_rec), "--quiet"]) == 0
    by_video = {c["clip"]: c for c in json.loads(out_video.read_text(encoding="utf-8"))["clips"]}
    by_rec = {c["clip"]: c for c in json.loads(out_rec.read_text(encoding="utf-8"))["clips"]}
    assert by_video.keys() == by_rec.keys() and len(by_video) == len(videos)
    assert any(c["mirrored"] for c in by_video.values())
    for name, v in by_video.items():
        r = by_rec[name]
        assert v["source"].endswith(".mp4") and r["source"].endswith(".landmarks.npz")
        assert v["tracked_fraction"] >= 0.9 and abs(v["tracked_fraction"] - r["tracked_fraction"]) <= 0.03, name
        assert abs(len(v["matched"]) - len(r["matched"])) <= 1, name
        assert abs(len(v["cues"]) - len(r["cues"])) <= 2, (name, v["cues"], r["cues"])
        assert v["sides"] == r["sides"], name

