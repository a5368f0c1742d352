"""scripts/import_corpus.py (finished corpus clips -> samples/corpus, resumable) and
scripts/convert_recordings.py (version 1 -> 2, with the replay comparison), on small
folders made here."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from coach.vision.recording import load_clip, save_arrays, version1_arrays
from tests.conftest import REPO, SAMPLES


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


imp = _script("import_corpus")
conv = _script("convert_recordings")


def _manifest_entry(cid, split, exercise, kind="good", mirrored=False, frames=0, order=0):
    return {"id": cid, "order": order, "split": split, "exercise": exercise, "kind": kind, "mistake": None,
            "size": None, "frames": frames, "camera": {"mirrored": mirrored}}


def _render(corpus: Path, cid: str, split: str, sample: Path, *, recording=True) -> None:
    """A rendered corpus clip made of a committed sample: video, truth, v1 recording."""
    d = corpus / split / sample.parent.name
    d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(str(sample) + ".mp4", d / f"{cid}.mp4")
    shutil.copyfile(str(sample) + ".truth.json.gz", d / f"{cid}.truth.json.gz")
    if recording:
        save_arrays(d / f"{cid}.landmarks.npz", version1_arrays(load_clip(str(sample) + ".landmarks.npz")))


@pytest.fixture()
def setup(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "samples_corpus"
    out.mkdir()
    clips = [
        _manifest_entry("test_ph_good", "test", "passive_hang", frames=360, order=0),
        _manifest_entry("test_ph_swing", "test", "passive_hang", kind="mistake", mirrored=True, frames=360, order=1),
        _manifest_entry("dev_ph_good", "dev", "passive_hang", frames=360, order=2),
        _manifest_entry("dev_lt_good", "dev", "lying_twist", frames=1070, order=3),
    ]
    (out / "manifest.json").write_text(json.dumps({"format": "coach-synth-corpus-manifest", "clips": clips}))
    _render(corpus, "test_ph_good", "test", SAMPLES / "passive_hang" / "good")
    _render(corpus, "test_ph_swing", "test", SAMPLES / "passive_hang" / "swinging")
    _render(corpus, "dev_ph_good", "dev", SAMPLES / "passive_hang" / "good_varied")
    _render(corpus, "dev_lt_good", "dev", SAMPLES / "lying_twist" / "good", recording=False)  # still recording
    return corpus, out


def test_import_writes_v2_recordings_and_truth_and_resumes(setup, capsys):
    corpus, out = setup
    assert imp.main(["--corpus", str(corpus), "--out", str(out), "--videos", "auto"]) == 0
    printed = capsys.readouterr().out
    assert "3 imported, 0 unchanged, 1 unfinished, 0 failed" in printed
    index = json.loads((out / "index.json").read_text())
    assert list(index["clips"]) == ["test_ph_good", "test_ph_swing", "dev_ph_good"]  # manifest order
    rec = out / "test" / "passive_hang" / "test_ph_good.landmarks.npz"
    with np.load(rec) as data:
        assert int(data["version"]) == 2
    clip = load_clip(rec)
    assert clip.meta["source"] == "samples/corpus/test/passive_hang/test_ph_good.mp4"
    assert (out / "test" / "passive_hang" / "test_ph_good.truth.json.gz").read_bytes() == \
        (corpus / "test" / "passive_hang" / "test_ph_good.truth.json.gz").read_bytes()
    # videos: the mistake clip of the test split (one per exercise, mistakes first), and it is mirrored
    assert index["videos"] == ["test_ph_swing"]
    assert sorted(p.name for p in out.rglob("*.mp4")) == ["test_ph_swing.mp4"]
    # a re-run changes nothing ...
    stamp = rec.stat().st_mtime_ns
    assert imp.main(["--corpus", str(corpus), "--out", str(out)]) == 0
    assert "0 imported, 3 unchanged, 1 unfinished" in capsys.readouterr().out
    assert rec.stat().st_mtime_ns == stamp
    # ... until a clip finishes or a recording is made again
    _render(corpus, "dev_lt_good", "dev", SAMPLES / "lying_twist" / "good")
    src = corpus / "test" / "passive_hang" / "test_ph_good.landmarks.npz"
    os.utime(src, ns=(stamp + 10**9, stamp + 10**9))
    assert imp.main(["--corpus", str(corpus), "--out", str(out)]) == 0
    assert "2 imported, 2 unchanged, 0 unfinished" in capsys.readouterr().out
    # naming other videos removes the ones no longer chosen
    assert imp.main(["--corpus", str(corpus), "--out", str(out), "--videos", "test_ph_good"]) == 0
    assert sorted(p.name for p in out.rglob("*.mp4")) == ["test_ph_good.mp4"]


def test_import_on_another_machine_keeps_the_committed_videos(setup, capsys, tmp_path):
    # the clips imported and their videos committed elsewhere; this machine renders only the
    # rest: the import adds them and keeps the committed videos (it used to stop on the first
    # video whose source was not here, before writing the index)
    corpus, out = setup
    assert imp.main(["--corpus", str(corpus), "--out", str(out), "--videos", "auto"]) == 0
    capsys.readouterr()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(corpus / "dev", elsewhere / "dev")          # only dev is rendered here
    _render(elsewhere, "dev_lt_good", "dev", SAMPLES / "lying_twist" / "good")
    assert imp.main(["--corpus", str(elsewhere), "--out", str(out)]) == 0
    assert "1 imported, 1 unchanged, 2 unfinished, 0 failed" in capsys.readouterr().out
    index = json.loads((out / "index.json").read_text())
    assert "dev_lt_good" in index["clips"] and index["videos"] == ["test_ph_swing"]
    assert sorted(p.name for p in out.rglob("*.mp4")) == ["test_ph_swing.mp4"]
    # a video neither here nor committed is an error that says which
    (out / "test" / "passive_hang" / "test_ph_swing.mp4").unlink()
    with pytest.raises(SystemExit, match="test_ph_swing: neither"):
        imp.main(["--corpus", str(elsewhere), "--out", str(out)])


def test_import_leaves_out_a_clip_whose_recording_does_not_match_its_video(setup, capsys):
    corpus, out = setup
    rec = corpus / "test" / "passive_hang" / "test_ph_good.landmarks.npz"
    arrays = version1_arrays(load_clip(rec))
    for key in ("timestamps_ms", "landmarks", "world"):
        arrays[key] = arrays[key][:-5]
    save_arrays(rec, arrays)
    assert imp.main(["--corpus", str(corpus), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "test_ph_good: recording has 355 frames, the video 360" in captured.err
    assert "test_ph_good" not in json.loads((out / "index.json").read_text())["clips"]
    assert not (out / "test" / "passive_hang" / "test_ph_good.landmarks.npz").exists()


def test_compare_events_verdicts():
    a = [{"timestamp_ms": 100.0, "kind": "cue", "rule_id": "r", "side": None, "data": {"value": 1.2345}},
         {"timestamp_ms": 900.0, "kind": "hold", "rule_id": None, "side": "left", "data": {}}]
    values = [dict(a[0], data={"value": 1.2349}), a[1]]
    later = [a[0], dict(a[1], timestamp_ms=1000.0)]
    other = [a[0], dict(a[1], side="right")]
    assert conv.compare_events(a, a) == ("identical", "")
    verdict, detail = conv.compare_events(a, values)
    assert verdict == "values" and "0.0004" in detail
    assert conv.compare_events(a, later) == ("timing", "1 of 2 events moved, by +100 to +100 ms")
    verdict, detail = conv.compare_events(a, other)
    assert verdict == "events" and "-0.9s hold  left" in detail and "+0.9s hold  right" in detail


def test_convert_replaces_v1_with_v2_and_checks_the_replay(tmp_path, capsys):
    d = tmp_path / "passive_hang"
    d.mkdir()
    v1 = d / "good.landmarks.npz"
    save_arrays(v1, version1_arrays(load_clip(SAMPLES / "passive_hang" / "good.landmarks.npz")))
    assert conv.main(["--check", str(tmp_path)]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.split()[0] in ("identical", "values", "timing") and "cues 0 -> 0" in line
    with np.load(v1) as data:
        assert int(data["version"]) == 2
    assert conv.main([str(tmp_path)]) == 0  # already current: left alone
    assert capsys.readouterr().out.startswith("current")


def test_video_choice_is_short_prefers_mistakes_has_a_mirrored_one_and_stays_put():
    def clip(cid, exercise, kind, frames, mirrored=False):
        return dict(_manifest_entry(cid, "test", exercise, kind=kind, mirrored=mirrored, frames=frames))

    clips = [clip("a_good_long", "a", "good", 900), clip("a_good_short", "a", "good", 500),
             clip("b_good", "b", "good", 800), clip("b_mistake", "b", "mistake", 1000),
             clip("c_good_m", "c", "good", 2000, mirrored=True), clip("c_good", "c", "good", 600),
             clip("dev_a", "a", "good", 10)]
    clips[-1]["split"] = "dev"
    manifest = {"clips": clips}
    index = {"clips": {c["id"]: {"split": c["split"]} for c in clips}, "videos": []}
    # per exercise the shortest test clip, a mistake first; no pick is mirrored, so the shortest
    # mirrored clip comes too
    assert imp.choose_videos(manifest, index) == ["a_good_short", "b_mistake", "c_good", "c_good_m"]
    # a choice made stays against a clip only a little shorter (a), not against a mistake
    # clip (b) or one under 70 % of its length (c; the mirrored one then comes as well)
    index["videos"] = ["a_good_long", "b_good", "c_good_m"]
    clips[1]["frames"] = 700  # 78 % of 900
    assert imp.choose_videos(manifest, index) == ["a_good_long", "b_mistake", "c_good", "c_good_m"]
    clips[1]["frames"] = 600
    assert imp.choose_videos(manifest, index)[0] == "a_good_short"
