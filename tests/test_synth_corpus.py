"""The synthetic corpus plan (coach/synth/corpus.py): splits, coverage, the article's ranges.

Numpy only: plans and motion scripts, no renderer. The article's ranges below are written
out from shared/EXERCISES.md on purpose (not imported from coach.synth), so a change in the
studio's own tables cannot make a good clip leave the article silently.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from coach.synth import corpus as C
from coach.synth.exercises import EXERCISES, MISTAKE_SIZES

PLAN = C.plan()
BY_SPLIT = {s: [c for c in PLAN if c.split == s] for s in C.SPLITS}

# ---- the article (EXERCISES.md), restated for the tests
HOLD_S = {  # per side / per hold: (min, max) seconds
    "lying_twist": (30, 60),            # "hold at least 30 s, preferably up to 60 s"
    "knee_to_chest": (30, None),        # "hold 30 s, switch legs"
    "seated_rotation": (30, None),      # "hold 30 s; switch sides"
    "passive_hang": (20, 30),           # "hold 20-30 s"
    "crossed_leg_rotation": (30, None),  # "hold 30 s"
    "chair_extension": (3, 5),          # "hold 3-5 s"
}
ROCK_S = (30, 60)                       # "hold and rock gently side to side 30-60 s"
REPS = {"cat_cow": (10, 15), "chair_extension": (5, 8)}
CALM_CAT_COW_CYCLE_S = 4.0              # "a full cycle under ~4 s" is too fast
CALM_CHAIR_LEAN_S = 2.0                 # "lean slowly back ... do not throw yourself back"
TWO_SIDED = {"lying_twist", "knee_to_chest", "seated_rotation", "crossed_leg_rotation"}


def test_plan_is_deterministic() -> None:
    again = C.plan()
    assert [c.manifest_entry() for c in again] == [c.manifest_entry() for c in PLAN]
    assert len({c.id for c in PLAN}) == len(PLAN)
    assert len({c.seed for c in PLAN}) == len(PLAN)


def test_splits_use_disjoint_people_and_rooms() -> None:
    test_bodies = {c.body.id for c in BY_SPLIT["test"]}
    test_rooms = {c.room.id for c in BY_SPLIT["test"]}
    other = BY_SPLIT["dev"] + BY_SPLIT["val"]
    assert test_bodies.isdisjoint({c.body.id for c in other})
    assert test_rooms.isdisjoint({c.room.id for c in other})
    assert len(test_bodies) >= 8 and len(test_rooms) >= 6


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_test_split_sizes(ex_id: str) -> None:
    cs = [c for c in BY_SPLIT["test"] if c.exercise == ex_id]
    kinds = Counter(c.kind for c in cs)
    assert kinds["good"] >= 5 and kinds["camera_off"] >= 1
    assert sorted(c.mistake for c in cs if c.kind == "mistake") == sorted(EXERCISES[ex_id].mistakes)
    dev = [c for c in BY_SPLIT["dev"] if c.exercise == ex_id]
    assert Counter(c.kind for c in dev)["good"] >= 6
    assert {c.mistake for c in dev if c.kind == "mistake"} == set(EXERCISES[ex_id].mistakes)
    val = [c for c in BY_SPLIT["val"] if c.exercise == ex_id]
    assert Counter(c.kind for c in val)["good"] >= 2 and Counter(c.kind for c in val)["camera_off"] >= 1


def test_test_sizes_are_balanced() -> None:
    sizes = Counter(c.size for c in BY_SPLIT["test"] if c.kind == "mistake")
    assert abs(sizes["just_past"] - sizes["obvious"]) <= 4, sizes


def test_both_sizes_of_every_mistake_in_dev_and_test() -> None:
    have = {(c.exercise, c.mistake, c.size) for c in BY_SPLIT["dev"] + BY_SPLIT["test"] if c.kind == "mistake"}
    for ex_id, ex in EXERCISES.items():
        for m in ex.mistakes:
            sz = MISTAKE_SIZES[ex_id][m]
            wanted = {"obvious"} if sz.just_past == sz.obvious else {"just_past", "obvious"}
            got = {s for (e, mm, s) in have if e == ex_id and mm == m}
            assert wanted <= got, f"{ex_id}/{m}: sizes {sorted(got)}"


def test_every_mistake_has_two_article_sizes() -> None:
    for ex_id, ex in EXERCISES.items():
        assert set(MISTAKE_SIZES[ex_id]) == set(ex.mistakes)
        for m, sz in MISTAKE_SIZES[ex_id].items():
            assert sz.unit and sz.article, (ex_id, m)
            if m != "side_skipped" and m != "feet_on_ground":
                assert sz.just_past != sz.obvious, (ex_id, m)


def test_variation_covers_the_laptop_world() -> None:
    heights = {"floor": (0.05, 0.2), "chair": (0.40, 0.50), "desk": (0.70, 0.80)}
    for split in ("dev", "test"):
        assert {c.camera.height_class for c in BY_SPLIT[split]} == set(heights)
    for c in PLAN:
        lo, hi = heights[c.camera.height_class]
        assert lo <= c.camera.height_m <= hi
        if c.kind == "camera_off":
            assert 60 <= abs(c.camera.azimuth_deg) <= 90 and not c.camera.supported
        else:
            assert abs(c.camera.azimuth_deg) <= 30 and c.camera.supported
        assert 1.5 <= c.camera.distance_m <= 4.0 and abs(c.camera.roll_deg) <= 4
        assert c.fps in (10, 12, 15, 24, 30)
        assert 1.50 <= c.body.height_m <= 1.95
    low = np.mean([c.fps <= 15 for c in PLAN])
    assert 0.6 <= low <= 0.8, low
    mirrored = np.mean([c.camera.mirrored for c in PLAN])
    assert 0.3 <= mirrored <= 0.5, mirrored
    for split in ("dev", "test"):
        cs = BY_SPLIT[split]
        statures = [c.body.height_m for c in cs]
        assert min(statures) <= 1.53 and max(statures) >= 1.92, (split, min(statures), max(statures))
        assert {c.body.sex for c in cs} == {"woman", "man"}
        assert {c.body.build for c in cs} == {"slim", "average", "heavy"}
        assert {c.body.age_group for c in cs} == {"young", "middle", "old"}
        assert {c.camera.mirrored for c in cs} == {True, False}


def _runs(phases, name):
    """Durations (s) of consecutive runs of one phase, per (side, rep)."""
    return [(p["side"], p["rep"], (p["end_ms"] - p["start_ms"]) / 1000) for p in phases if p["phase"] == name]


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_good_clips_follow_the_article(ex_id: str) -> None:
    goods = [c for c in PLAN if c.exercise == ex_id and c.kind in ("good", "camera_off")]
    assert goods
    for c in goods:
        s = c.script
        assert not s.mistakes and not any(e["kind"] == "cue" for e in s.events), c.id
        ph = s.phases()
        holds = _runs(ph, "hold")
        if ex_id in HOLD_S:
            lo, hi = HOLD_S[ex_id]
            assert holds, c.id
            for side, rep, d in holds:
                assert d >= lo and (hi is None or d <= hi), f"{c.id}: hold {d:.1f} s outside {lo}-{hi}"
        if c.kind == "good" and ex_id in TWO_SIDED:
            assert {h[0] for h in holds} == {"left", "right"}, c.id
            assert list(c.sides) == [h[0] for h in holds][: len(c.sides)] or ex_id == "knee_to_chest"
        if ex_id == "knee_to_chest" and c.kind == "good":
            rock = sum(d for _, _, d in _runs(ph, "rock"))
            assert ROCK_S[0] <= rock <= ROCK_S[1], f"{c.id}: rocking {rock:.1f} s"
        if ex_id in REPS:
            reps = {p["rep"] for p in ph if p["rep"] is not None}
            lo, hi = REPS[ex_id]
            assert lo <= len(reps) <= hi, f"{c.id}: {len(reps)} reps"
        if ex_id == "cat_cow":
            per = Counter()
            for side, rep, d in _runs(ph, "cow") + _runs(ph, "cat"):
                per[rep] += d
            assert min(per.values()) >= CALM_CAT_COW_CYCLE_S, f"{c.id}: a {min(per.values()):.1f} s cycle"
        if ex_id == "chair_extension":
            assert min(d for _, _, d in _runs(ph, "lean")) >= CALM_CHAIR_LEAN_S, c.id


def test_good_holds_sit_at_the_short_end_more_often_than_not() -> None:
    for ex_id, (lo, hi) in HOLD_S.items():
        if hi is None or ex_id == "chair_extension":
            continue
        hs = [c.style.hold_s for c in PLAN if c.exercise == ex_id and c.kind == "good"]
        assert np.median(hs) < (lo + hi) / 2, (ex_id, np.median(hs))


def test_every_mistake_names_its_size_and_amount() -> None:
    for c in PLAN:
        if c.kind != "mistake":
            continue
        entries = [m for m in c.script.mistakes if m["rule"] == c.mistake]
        assert entries, c.id
        for m in entries:
            assert m["size"] == c.size
            assert isinstance(m["amount"], (int, float)) and m["unit"]
        assert any(e["kind"] == "cue" and e["rule"] == c.mistake for e in c.script.events), c.id
        assert len(c.sides) == 1


def test_mistakes_cross_the_article_line() -> None:
    """The amounts recorded for hold, rep and pace mistakes lie outside the article's ranges."""
    for c in PLAN:
        if c.kind != "mistake":
            continue
        m = next(m for m in c.script.mistakes if m["rule"] == c.mistake)
        if c.mistake == "hold_too_short":
            assert m["amount"] < HOLD_S[c.exercise][0]
        if c.mistake == "hold_too_long":
            assert m["amount"] > HOLD_S[c.exercise][1]
        if c.mistake == "rocking_too_short":
            assert m["amount"] < ROCK_S[0]
        if c.mistake == "rocking_too_long":
            assert m["amount"] > ROCK_S[1]
        if c.mistake == "reps_out_of_range":
            lo, hi = REPS[c.exercise]
            reps = {p["rep"] for p in c.script.phases() if p["rep"] is not None}
            assert not (lo <= len(reps) <= hi) and len(reps) == m["amount"]
        if c.exercise == "cat_cow" and c.mistake == "too_fast":
            assert m["amount"] < CALM_CAT_COW_CYCLE_S


def test_render_order_makes_a_partial_run_useful() -> None:
    def group(c):
        if c.split in ("dev", "test") and c.kind == "good":
            return 0
        if c.split in ("dev", "test") and c.kind == "camera_off":
            return 1
        return {"test": 2, "dev": 3, "val": 4}[c.split]
    gs = [group(c) for c in PLAN]
    assert gs == sorted(gs)
    assert [c.order for c in PLAN] == list(range(len(PLAN)))
    assert {c.exercise for c in PLAN[:7]} == set(EXERCISES)   # round-robin over the exercises


def test_manifest(tmp_path) -> None:
    m = C.write_manifest(tmp_path / "manifest.json", PLAN)
    back = json.loads((tmp_path / "manifest.json").read_text())
    assert back == json.loads(json.dumps(m))
    assert back["format"] == C.MANIFEST_FORMAT and len(back["clips"]) == len(PLAN)
    e = back["clips"][0]
    for key in ("id", "split", "exercise", "kind", "mistake", "size", "sides", "seed", "fps", "frames", "path"):
        assert key in e
    for key in ("height_class", "height_m", "azimuth_deg", "distance_m", "roll_deg", "mirrored", "view"):
        assert key in e["camera"]
    for key in ("preset", "height_m", "build", "age_group", "sex"):
        assert key in e["body"]
    for key in ("tempo", "side_first", "start_in_position", "pause_s", "glances", "rom"):
        assert key in e["style"]
    assert back["estimate"]["frames"] == sum(c.frames for c in PLAN)
    assert set(back["splits"]["test"]["bodies"]).isdisjoint(back["splits"]["dev"]["bodies"])


def test_plan_size_is_bounded() -> None:
    est = C.estimate(PLAN)
    assert 200 <= est["clips"] <= 320
    assert est["frames"] <= 320_000


def test_planning_needs_no_renderer() -> None:
    import subprocess
    import sys
    code = ("import sys, coach.synth.corpus as c, coach.synth.__main__; c.plan(); "
            "bad = [m for m in ('torch', 'anny', 'pyrender', 'trimesh') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
