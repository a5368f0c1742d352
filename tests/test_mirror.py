"""--mirrored: the camera mirrors the picture (a selfie camera). The pose model names sides
by how the body looks, so the coach turns the pose back before smoothing: x -> 1 - x,
left and right landmarks swapped, world x -> -x, depth kept."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from coach.cli import main
from coach.pipeline.loop import run
from coach.pipeline.mirror import unmirror
from coach.pose import Landmark, PoseClip, PoseFrame
from coach.session.safety import CONTRAINDICATIONS
from coach.vision.recording import RecordingWriter, load_clip, save_clip
from tests.conftest import SAMPLES

L = Landmark


def _frame(ts: float = 0.0) -> PoseFrame:
    """A hand-made pose as the model gives it for a mirrored picture: all NaN except a few
    points with distinct values."""
    lm = np.full((33, 5), np.nan)
    world = np.full((33, 3), np.nan)
    lm[L.LEFT_WRIST] = [0.30, 0.40, -0.10, 0.90, 0.95]   # the model's "left" wrist, left of the picture
    lm[L.RIGHT_WRIST] = [0.70, 0.45, 0.05, 0.60, 0.65]
    lm[L.NOSE] = [0.50, 0.20, -0.20, 0.99, 0.99]
    lm[L.MOUTH_LEFT] = [0.48, 0.25, -0.2, 0.8, 0.8]
    lm[L.LEFT_EYE_INNER] = [0.49, 0.18, -0.2, 0.7, 0.7]
    world[L.LEFT_WRIST] = [-0.40, 0.10, 0.20]
    world[L.RIGHT_WRIST] = [0.35, 0.12, -0.05]
    world[L.NOSE] = [0.01, -0.50, -0.10]
    mask = np.zeros((4, 6), np.float32)
    mask[:, :2] = 1.0  # the person on the left of the mirrored picture
    return PoseFrame(timestamp_ms=ts, landmarks=lm, world=world, image_wh=(640, 480), mask=mask)


def test_unmirror_moves_swaps_and_keeps_depth():
    f = _frame()
    g = unmirror(f)
    # the model's left wrist at x 0.30 is the person's RIGHT wrist, at x 0.70 in the real picture
    assert np.allclose(g.landmarks[L.RIGHT_WRIST], [0.70, 0.40, -0.10, 0.90, 0.95])
    assert np.allclose(g.landmarks[L.LEFT_WRIST], [0.30, 0.45, 0.05, 0.60, 0.65])
    assert np.allclose(g.landmarks[L.NOSE], [0.50, 0.20, -0.20, 0.99, 0.99])
    assert np.allclose(g.landmarks[L.MOUTH_RIGHT], [0.52, 0.25, -0.2, 0.8, 0.8])
    assert np.isnan(g.landmarks[L.MOUTH_LEFT]).all()
    assert np.allclose(g.landmarks[L.RIGHT_EYE_INNER], [0.51, 0.18, -0.2, 0.7, 0.7])
    assert np.allclose(g.world[L.RIGHT_WRIST], [0.40, 0.10, 0.20])  # world x negated, y and z kept
    assert np.allclose(g.world[L.LEFT_WRIST], [-0.35, 0.12, -0.05])
    assert np.allclose(g.world[L.NOSE], [-0.01, -0.50, -0.10])
    assert g.mask[:, -2:].all() and not g.mask[:, :-2].any()  # the mask flipped with the picture
    assert g.timestamp_ms == f.timestamp_ms and g.image_wh == f.image_wh
    # the input is untouched, and turning back twice gives the frame again
    assert f.landmarks[L.LEFT_WRIST, 0] == 0.30
    twice = unmirror(g)
    assert np.allclose(twice.landmarks, f.landmarks, equal_nan=True)
    assert np.allclose(twice.world, f.world, equal_nan=True)


def test_unmirror_keeps_a_frame_without_a_person_empty():
    g = unmirror(PoseFrame.empty(5.0, (640, 480)))
    assert not g.detected and np.isnan(g.world).all()


class _Keep:
    def __init__(self) -> None:
        self.frames: list[PoseFrame] = []

    def update(self, frame: PoseFrame) -> list:
        self.frames.append(frame)
        return []

    def finish(self, timestamp_ms: float) -> list:
        return []


def test_the_pipeline_turns_poses_back_before_smoothing_and_records_them_turned_back(tmp_path):
    frames = [_frame(i * 100.0) for i in range(5)]
    engine = _Keep()
    rec = RecordingWriter(tmp_path / "r.npz", meta={"turned_back": True})

    class Smoother:
        seen: list[PoseFrame] = []

        def update(self, frame):
            self.seen.append(frame)
            return frame

    smoother = Smoother()
    run(frames, smoother=smoother, engine=engine, recorder=rec, mirrored=True)
    rec.close()
    assert all(s.landmarks[L.RIGHT_WRIST, 0] == pytest.approx(0.70) for s in smoother.seen)
    assert all(e.landmarks[L.RIGHT_WRIST, 0] == pytest.approx(0.70) for e in engine.frames)
    assert load_clip(tmp_path / "r.npz").landmarks[0, L.RIGHT_WRIST, 0] == pytest.approx(0.70, abs=1e-3)
    # and without the option nothing is changed
    engine = _Keep()
    run(frames, engine=engine)
    assert engine.frames[0].landmarks[L.LEFT_WRIST, 0] == 0.30


def _mirrored_clip(clip: PoseClip) -> PoseClip:
    """What the model would have given for the mirrored picture (written out here, by names)."""
    order = [int(Landmark[n.replace("LEFT_", "TMP_").replace("RIGHT_", "LEFT_").replace("TMP_", "RIGHT_")])
             if "LEFT_" in n or "RIGHT_" in n else
             int(Landmark[{"MOUTH_LEFT": "MOUTH_RIGHT", "MOUTH_RIGHT": "MOUTH_LEFT"}.get(n, n)])
             for n in (lm.name for lm in Landmark)]
    lm = clip.landmarks[:, order].copy()
    lm[..., 0] = 1.0 - lm[..., 0]
    world = clip.world[:, order].copy()
    world[..., 0] = -world[..., 0]
    return PoseClip(clip.timestamps_ms, lm, world, clip.image_wh, meta={"source": "mirrored by the test"})


def _events(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]


def test_replay_of_a_mirrored_recording_with_mirrored_gives_the_same_events(tmp_path, capsys):
    """Knee to chest, right knee then left, seen through a selfie camera: with --mirrored the
    coach follows the same sides at the same moments as from the real picture; without it,
    it takes the right knee for the left one (it follows that "left" side first, without
    correcting good form, since it follows whichever side the person starts with)."""
    original = SAMPLES / "knee_to_chest" / "good.landmarks.npz"
    mirrored = save_clip(_mirrored_clip(load_clip(original)), tmp_path / "mirrored.npz")
    runs = {}
    for name, path, extra in (("real", original, []), ("mirrored", mirrored, ["--mirrored"]),
                              ("unaware", mirrored, [])):
        out = tmp_path / name
        assert main(["replay", str(path), "-e", "knee_to_chest", "--quiet", "--out", str(out), *extra]) == 0
        runs[name] = _events(out)
    capsys.readouterr()
    assert runs["mirrored"] == runs["real"]  # v2 values are multiples of 1/4096: 1 - (1 - x) == x exactly
    def cues(events):
        return [(e["rule_id"], e["side"]) for e in events if e["kind"] == "cue"]

    def holds(events):
        return [e["side"] for e in events if e["kind"] == "hold" and e["data"].get("state") == "started"]

    assert cues(runs["real"]) == [] == cues(runs["unaware"])
    assert holds(runs["real"])[:2] == ["right", "left"] and holds(runs["unaware"])[:2] == ["left", "right"]


def test_mirrored_refused_for_a_recording_already_turned_back(tmp_path, capsys):
    clip = load_clip(SAMPLES / "passive_hang" / "good.landmarks.npz")
    clip.meta = {**clip.meta, "turned_back": True}
    path = save_clip(clip, tmp_path / "tb.npz")
    code = main(["replay", str(path), "-e", "passive_hang", "--quiet", "--out", str(tmp_path / "o"), "--mirrored"])
    err = capsys.readouterr().err
    assert code == 2 and "already turned back" in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> tuple[Path, Path]:
    """The first 6 s of the lying-twist sample, and the same picture mirrored (ffmpeg hflip)."""
    src = SAMPLES / "lying_twist" / "good.mp4"
    d = tmp_path_factory.mktemp("mirror")
    plain, flipped = d / "plain.mp4", d / "flipped.mp4"
    for out, vf in ((plain, "null"), (flipped, "hflip")):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-t", "6", "-vf", vf, "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", str(out)], check=True)
    return plain, flipped


def test_session_with_mirrored_turns_the_camera_picture_back(tmp_path, monkeypatch, capsys, short_clip):
    """A headless session from a mirrored picture, with the real model: the recorded poses
    are the person's own sides, where the unmirrored picture has them."""
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    program = tmp_path / "p.yaml"
    program.write_text("exercises: [lying_twist]\nintro_s: 1\n", encoding="utf-8")
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"screening": {t: False for t in CONTRAINDICATIONS}}), encoding="utf-8")
    recs = {}
    for name, video, extra in (("plain", short_clip[0], []), ("flipped", short_clip[1], ["--mirrored"])):
        recs[name] = tmp_path / f"{name}.npz"
        code = main(["session", "--program", str(program), "--camera", str(video), "--fast", "--no-window",
                     "--out", str(tmp_path / name), "--answers", str(answers), "--mute",
                     "--record-landmarks", str(recs[name]), *extra])
        assert code == 0, capsys.readouterr().err
    plain, flipped = load_clip(recs["plain"]), load_clip(recs["flipped"])
    assert flipped.meta.get("turned_back") is True and "turned_back" not in plain.meta
    n = min(len(plain), len(flipped))
    both = [i for i in range(n) if plain.frame(i).detected and flipped.frame(i).detected]
    assert len(both) > 0.8 * n
    for j in (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_SHOULDER, L.RIGHT_HIP):
        dx_px = np.abs(plain.landmarks[both, j, 0] - flipped.landmarks[both, j, 0]) * plain.image_wh[0]
        assert np.median(dx_px) < 12, (j.name, np.median(dx_px))  # same side, same place (model noise aside)


@pytest.mark.parametrize("command", [["replay", "x.npz"], ["live"], ["measure", "x.npz"]])
def test_every_coaching_command_takes_mirrored(command):
    from coach.cli import build_parser
    from coach.cli.common import run_options

    args = build_parser().parse_args([*command, "-e", "lying_twist", "--mirrored"])
    assert args.mirrored is True
    assert run_options(args).mirrored is True
    assert build_parser().parse_args([*command, "-e", "lying_twist"]).mirrored is False
