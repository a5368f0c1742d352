"""Camera azimuth and posture from one skeleton (coach.measures.body), on hand-built bodies."""

import math

import numpy as np
import pytest

from coach.measures.body import (
    ViewEstimate, image_azimuth_deg, lateral_azimuth_deg, posture_fit, view_class,
)
from tests.skeletons import frame_for

POSTURES = ("lying", "all_fours", "seated", "hanging")


@pytest.mark.parametrize("name", ["lying", "all_fours", "seated", "hanging", "standing"])
def test_azimuth_side_and_front(name):
    assert lateral_azimuth_deg(frame_for(name, "side")) == pytest.approx(90, abs=1)
    assert lateral_azimuth_deg(frame_for(name, "front")) == pytest.approx(0, abs=1)


@pytest.mark.parametrize("az", [-30, -10, 15, 25])
def test_azimuth_turned_camera_is_folded_and_sign_free(az):
    side = lateral_azimuth_deg(frame_for("seated", "side", azimuth_deg=az))
    front = lateral_azimuth_deg(frame_for("seated", "front", azimuth_deg=az))
    assert side == pytest.approx(90 - abs(az), abs=1)
    assert front == pytest.approx(abs(az), abs=1)


def test_azimuth_does_not_care_about_swapped_labels():
    a = lateral_azimuth_deg(frame_for("lying", "side", azimuth_deg=20))
    b = lateral_azimuth_deg(frame_for("lying", "side", azimuth_deg=20, mirrored_labels=True))
    assert a == pytest.approx(b, abs=1e-6)


@pytest.mark.parametrize("az", [0, 20, 40, 70, 90])
def test_image_azimuth_matches_for_an_upright_body(az):
    fr = frame_for("standing", "front", azimuth_deg=az)
    # the picture's estimate is only approximate (perspective), within a few degrees
    assert image_azimuth_deg(fr) == pytest.approx(az, abs=6)


def test_view_class_boundaries_and_hysteresis():
    assert view_class(10) == "front" and view_class(45) == "oblique" and view_class(75) == "side"
    assert view_class(55, previous="side") == "side"        # within the hysteresis of side
    assert view_class(50, previous="side") == "oblique"
    assert view_class(35, previous="front") == "front"
    assert view_class(math.nan, previous="side") == "side"
    assert view_class(math.nan) is None


def test_view_estimate_uses_the_median_of_its_window():
    est = ViewEstimate(window_s=2.0, min_frames=5)
    view = None
    for i in range(20):
        az = 80 if i % 7 else 5    # an outlier now and then does not flip the view
        view = est.update(frame_for("lying", "side", azimuth_deg=90 - az, timestamp_ms=i * 100.0))
    assert view == "side"
    assert est.azimuth_deg == pytest.approx(80, abs=1)


def test_view_estimate_needs_frames_before_it_says_anything():
    est = ViewEstimate(min_frames=5)
    for i in range(4):
        assert est.update(frame_for("lying", "side", timestamp_ms=i * 100.0)) is None


def test_the_first_view_verdict_rests_on_most_of_a_window():
    """A person still settling reads anything for a moment: the first verdict waits for
    readings spanning 3/4 of the window, so half a second of "oblique" from someone filmed
    from their feet (then read as front) is not locked in by the hysteresis."""
    est = ViewEstimate(window_s=2.0, min_frames=5, hysteresis_deg=10.0)
    views = []
    for i in range(60):   # 10 fps: 0.6 s reading 50 deg (settling), then 20 deg
        az = 50 if i < 6 else 20
        views.append(est.update(frame_for("lying", "side", azimuth_deg=90 - az, timestamp_ms=i * 100.0)))
    assert views[:15] == [None] * 15          # not before 1.5 s of readings
    assert views[-1] == "front" and "oblique" not in views


@pytest.mark.parametrize("view", ["side", "front"])
@pytest.mark.parametrize("pitch", [0, 25])
@pytest.mark.parametrize("name", POSTURES)
def test_each_posture_fits_itself_and_no_other(name, view, pitch):
    fr = frame_for(name, view, pitch_deg=pitch, azimuth_deg=20)
    fits = {p: posture_fit(fr, p) for p in POSTURES}
    assert fits[name] is True, fits
    assert [p for p, ok in fits.items() if ok] == [name], fits


def test_posture_unknown_without_trunk():
    fr = frame_for("lying", "side")
    fr.world[[11, 12]] = np.nan
    assert posture_fit(fr, "lying") is None


def test_posture_name_is_checked():
    with pytest.raises(ValueError, match="posture must be one of"):
        posture_fit(frame_for("lying", "side"), "sleeping")


def test_each_posture_reads_only_its_parts(monkeypatch):
    # posture_fit and the posture gate work out only POSTURE_PARTS[p] of the axes: reading a
    # part left out (NaN) would change the verdict silently. Every posture judged on every
    # hand-built body (also with a hand raised, a knee unseen) as on the full axes.
    from coach.engine import gates
    from coach.measures.body import AXES_PARTS, POSTURE_CHECKS, POSTURE_PARTS, axes_fit, body_axes
    frames = []
    for name in ("lying", "all_fours", "seated", "hanging", "standing"):
        for view in ("side", "front"):
            for pitch in (0, 25, 60):
                for az in (0, 20, 70):
                    fr = frame_for(name, view, pitch_deg=pitch, azimuth_deg=az)
                    frames.append(fr)
                    hand = frame_for(name, view, pitch_deg=pitch, azimuth_deg=az)
                    hand.world[15] = hand.world[0] - np.array([0.0, 0.5, 0.0])   # left wrist above the head
                    knee = frame_for(name, view, pitch_deg=pitch, azimuth_deg=az)
                    knee.landmarks[25:27, 3] = 0.1                               # knees not seen
                    frames += [hand, knee]
    verdicts = set()
    clearly_out = {}
    for fr in frames:
        full = body_axes(fr)
        for p in POSTURE_CHECKS:
            part = body_axes(fr, parts=POSTURE_PARTS[p])
            assert axes_fit(part, p) == axes_fit(full, p)
            verdicts.add(axes_fit(full, p))
            clearly_out[id(fr), p] = gates.clearly_out(fr, p)
    monkeypatch.setattr(gates, "POSTURE_PARTS", {p: AXES_PARTS for p in POSTURE_CHECKS})
    for fr in frames:
        for p in POSTURE_CHECKS:
            assert gates.clearly_out(fr, p) is clearly_out[id(fr), p]
            verdicts.add(clearly_out[id(fr), p])
    assert {True, False} <= verdicts   # both verdicts occur
