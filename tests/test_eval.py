"""`coach eval` on the committed sample set (recorded landmarks: no model, a few seconds).

The thresholds below are floors under today's scores (see the README and the issue
notes), so a regression in the estimator's recordings, the measures, the specs or the
engine makes this fail."""

from __future__ import annotations

import json

import pytest

from coach.cli import main
from coach.tools.scoring import ScoreReport, _match, names_side
from tests.conftest import SAMPLES

EXERCISES = ("cat_cow", "chair_extension", "crossed_leg_rotation", "knee_to_chest", "lying_twist",
             "passive_hang", "seated_rotation")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "eval.json"
    code = main(["eval", str(SAMPLES), "--split", "samples", "--json", str(out), "--quiet"])
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_exercise_is_scored_and_tracked(report):
    assert set(report["exercises"]) == set(EXERCISES)
    for ex, e in report["exercises"].items():
        assert e["clips"] >= 6, ex
        assert e["tracked_fraction"] >= 0.95, (ex, e["tracked_fraction"])


def test_good_form_gets_no_corrections(report):
    for ex, e in report["exercises"].items():
        assert e["false_cues_per_min_good"] == 0.0, ex


def test_holds_and_reps_of_good_clips(report):
    for ex, e in report["exercises"].items():
        if e["hold_error_s_mean"] is not None:
            assert e["hold_error_s_mean"] <= 1.0, (ex, e)
        if e["reps_exact_fraction"] is not None:
            assert e["reps_exact_fraction"] == 1.0, (ex, e)


def test_overall_cue_scores_do_not_regress(report):
    rules = report["rules"]
    tp = sum(s["tp"] for s in rules.values())
    fp = sum(s["fp"] for s in rules.values())
    fn = sum(s["fn"] for s in rules.values())
    assert tp / (tp + fn) >= 0.6 and tp / (tp + fp) >= 0.45, (tp, fp, fn)
    # rules that are caught today on the studio's clips (lying_twist/shoulder_lifting and
    # passive_hang/feet_on_ground are not since issue 13: MediaPipe's reading of those studio
    # mistakes is under bound + the measure's known error)
    for rule in ("lying_twist/arms_not_t", "chair_extension/lumbar_arching", "chair_extension/hands_not_behind_head",
                 "cat_cow/wrists_not_under_shoulders", "knee_to_chest/other_foot_lifted"):
        assert rules[rule]["recall"] == 1.0, rule


def test_matching_counts_repeats_and_tolerance():
    truth = [{"t_ms": 10_000.0, "rule": "r", "side": "left"}]
    mistakes = [{"rule": "r", "side": "left", "onset_ms": 9_000.0, "end_ms": 20_000.0}]
    pred = [
        {"t_ms": 7_900.0, "rule": "r", "side": "left"},    # > 1 s before the onset: a false cue
        {"t_ms": 12_500.0, "rule": "r", "side": "left"},   # within 3 s after the true cue: match
        {"t_ms": 18_000.0, "rule": "r", "side": "left"},   # while the mistake lasts: a repeat
        {"t_ms": 12_000.0, "rule": "r", "side": "right"},  # other side: not this mistake
    ]
    matches, repeats = _match(truth, pred, mistakes, 1.0, 3.0, 30_000.0)
    assert matches == [(0, 1)] and repeats == {2}
    assert ScoreReport().rule_scores() == {}


def test_a_cue_that_names_no_side_matches_the_mistake_of_either_side(tmp_path):
    """"Slower — follow your breath" is right for a too-fast lowering whichever side the coach
    was on: the person hears no side. A cue naming a side must name the right one."""
    assert not names_side({"en": "Slower — follow your breath.", "nb": "Roligere — følg pusten."})
    assert names_side({"en": "Turn your upper body gently a little more to the left.", "nb": "x"})
    # corpus dev: the person brings the LEFT knee over too fast while the coach still waits
    # for the right one; its "Slower" (tagged right) is the hit
    clip = SAMPLES / "corpus" / "dev" / "lying_twist" / "dev_lying_twist_too_fast_ob2.truth.json.gz"
    out = tmp_path / "fast.json"
    assert main(["eval", str(clip), "--json", str(out), "--quiet"]) == 0
    (c,) = json.loads(out.read_text(encoding="utf-8"))["clips"]
    (k,) = [i for i, t in enumerate(c["truth_cues"]) if t["rule"] == "too_fast"]
    assert c["truth_cues"][k]["side"] == "left"
    (j,) = [p for i, p in c["matched"] if i == k]
    assert c["cues"][j]["rule"] == "too_fast" and c["cues"][j]["side"] is None


def test_true_poses_feed_the_truths_joints_with_no_margin(tmp_path):
    """`--true-poses`: the coach fed the renderer's joints (turned back on a mirrored clip,
    sides named anatomically) and no evidence margin. The measures then read the truth (their
    error is the smoothing's only), and on the mirrored good lying twist of corpus dev (left
    side first) the coach follows the sides in the truth's order."""
    clip = SAMPLES / "corpus" / "dev" / "lying_twist" / "dev_lying_twist_good_01.truth.json.gz"
    out = tmp_path / "true.json"
    assert main(["eval", str(clip), "--true-poses", "--json", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    (c,) = data["clips"]
    assert c["mirrored"] and c["source"].endswith(".truth.json.gz")
    assert c["sides"]["truth"] == ["left", "right"] and c["sides"]["coach"] == c["sides"]["truth"], c["sides"]
    def p90(report: dict, unit: str) -> dict[str, float]:
        return {n: m["p90"] for n, m in report["measures"].items() if m["unit"] == unit and m["p90"] is not None}

    assert len(p90(data, "body")) >= 5 and max(p90(data, "body").values()) < 0.03, p90(data, "body")
    # the recording's run of the same clip reads MediaPipe's joints: errors of several units
    rec = tmp_path / "rec.json"
    assert main(["eval", str(clip), "--json", str(rec), "--quiet"]) == 0
    rec_data = json.loads(rec.read_text(encoding="utf-8"))
    assert max(p90(rec_data, "body").values()) > 0.1, p90(rec_data, "body")
