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
