"""Reps from the person's own movement (coach.engine.turning), on hand-made signals."""

import math

import numpy as np
import pytest

from coach.engine.turning import TurningPoints


def run(counter, values, fps=10.0):
    return [t for i, v in enumerate(values) if (t := counter.update(i * 1000.0 / fps, v)) is not None]


def cycles(n, amp, period_s, fps=10.0, offset=0.0, noise=0.0, seed=0):
    t = np.arange(int(n * period_s * fps)) / fps
    rng = np.random.default_rng(seed)
    # starts at the top (cow) and goes down (cat) first
    return offset + amp * np.cos(2 * math.pi * t / period_s) + rng.normal(0, noise, len(t))


@pytest.mark.parametrize("amp,offset", [(10.0, 0.0), (40.0, -30.0), (25.0, 50.0)])
def test_counts_each_cycle_whatever_the_range_and_offset(amp, offset):
    tp = TurningPoints("down", min_amplitude=12.0)
    turns = run(tp, cycles(10, amp, 6.0, offset=offset, noise=1.0))
    # 10 full cycles down and back; the last bottom is confirmed once it comes back up
    assert tp.reps == 10
    assert all(t.kind == "min" for t in turns if t.rep)


def test_a_movement_smaller_than_the_minimum_is_not_a_rep():
    tp = TurningPoints("down", min_amplitude=12.0)
    run(tp, cycles(10, 4.0, 6.0, noise=0.5))   # +-4 deg: 8 deg excursions
    assert tp.reps == 0


def test_wobbles_inside_a_big_movement_are_not_turns():
    tp = TurningPoints("down", min_amplitude=8.0)
    base = cycles(8, 30.0, 8.0)
    wobble = 5.0 * np.sin(np.arange(len(base)) * 2 * math.pi / 7)  # 5 deg wobble, 0.7 s
    run(tp, base + wobble)
    assert tp.reps == 8


def test_direction_up_counts_at_the_top():
    tp = TurningPoints("up", min_amplitude=10.0)
    turns = run(tp, -cycles(6, 20.0, 5.0))   # starts at the bottom, goes up first
    assert tp.reps == 6
    assert all(t.kind == "max" for t in turns if t.rep)


def test_rep_time_is_the_extreme_and_nan_is_skipped():
    tp = TurningPoints("down", min_amplitude=5.0)
    vals = [0, -5, -10, -20, math.nan, -15, -5, 0]
    turns = run(tp, vals)
    assert tp.reps == 1
    assert turns[0].t_ms == pytest.approx(300.0) and turns[0].value == -20


def test_hysteresis_follows_the_typical_excursion():
    tp = TurningPoints("down", min_amplitude=5.0, range_fraction=0.35)
    run(tp, cycles(3, 30.0, 6.0))             # excursions of 60
    assert tp.hysteresis == pytest.approx(21.0, abs=1.0)


def test_a_tracking_jump_at_the_start_does_not_stop_the_count_for_good():
    # the pose model's first guesses: a signed trunk angle at -167, +177 (upside down), then
    # the person's real leans: 0 to -12 every 10 s. The jumps fill the excursion memory with
    # 344 and 190 deg; a hysteresis of a quarter of those (47 deg) confirms no 12 deg turn
    # again, so without forgetting the count stops at the first lean
    tp = TurningPoints("down", min_amplitude=7.0, range_fraction=0.25)
    leans = cycles(8, 6.0, 10.0, offset=-6.0)         # 0 .. -12, starting at the top
    run(tp, np.concatenate([[-167.0, 177.0, 176.0], leans]))
    assert tp.reps >= 6                               # forgotten 15 s after the last turn
    fresh = TurningPoints("down", min_amplitude=7.0, range_fraction=0.25)
    run(fresh, leans)
    assert fresh.reps == 8
    stuck = TurningPoints("down", min_amplitude=7.0, range_fraction=0.25, stale_s=1e9)
    run(stuck, np.concatenate([[-167.0, 177.0, 176.0], leans]))
    assert stuck.reps <= 1


@pytest.mark.parametrize("kw", [dict(direction="sideways", min_amplitude=5), dict(direction="up", min_amplitude=0),
                                dict(direction="up", min_amplitude=5, range_fraction=1.5)])
def test_arguments_are_checked(kw):
    with pytest.raises(ValueError):
        TurningPoints(**kw)
