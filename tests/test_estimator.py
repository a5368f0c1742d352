"""The real model on a real photo: detection, rotated retries mapped back, person choice."""

import numpy as np
import pytest

from coach.vision.estimator import EstimatorConfig, PoseEstimator, _ROT_CW, _ROT_CCW, choose_person
from coach.pose import Landmark


@pytest.fixture(scope="module")
def upright(portrait_rgb):
    with PoseEstimator(EstimatorConfig(rotate_retry=False, masks=True)) as est:
        frame = est.process(portrait_rgb, 0.0)
    assert frame.detected
    return frame


def test_detects_person_in_photo(upright, portrait_rgb):
    h, w = portrait_rgb.shape[:2]
    assert upright.image_wh == (w, h)
    nose = upright.xy_px[Landmark.NOSE]
    ls, rs = upright.xy_px[Landmark.LEFT_SHOULDER], upright.xy_px[Landmark.RIGHT_SHOULDER]
    # Grace Hopper faces the camera: her left shoulder is on the image's right.
    assert ls[0] > nose[0] > rs[0]
    assert nose[1] < ls[1] and nose[1] < rs[1]
    assert upright.mask is not None and upright.mask.shape == (h, w)
    assert 0.1 < float((upright.mask > 0.5).mean()) < 0.9
    assert np.isfinite(upright.world[Landmark.LEFT_SHOULDER]).all()


@pytest.mark.parametrize("k, forced", [(1, _ROT_CW), (-1, _ROT_CCW)])
def test_rotated_detection_maps_back(portrait_rgb, upright, k, forced):
    """Lay the photo on its side, make the estimator turn it upright, and check the
    landmarks come back in the lying image's coordinates."""
    lying = np.ascontiguousarray(np.rot90(portrait_rgb, k=k))  # k=1: counter-clockwise
    with PoseEstimator(EstimatorConfig(rotate_retry=True, masks=True)) as est:
        est._active_rotation = forced
        frame = est.process(lying, 0.0)
    assert frame.detected and frame.image_wh == (lying.shape[1], lying.shape[0])
    h, w = portrait_rgb.shape[:2]
    # Where the upright landmarks land after the same rotation (pixel coordinates).
    x, y = upright.xy_px[:, 0], upright.xy_px[:, 1]
    if k == 1:  # CCW: (x, y) -> (y, w - 1 - x)
        expected = np.stack([y, (w - 1) - x], axis=1)
    else:  # CW: (x, y) -> (h - 1 - y, x)
        expected = np.stack([(h - 1) - y, x], axis=1)
    body = [Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_EYE, Landmark.RIGHT_EYE]
    err = np.linalg.norm(frame.xy_px[body] - expected[body], axis=1)
    assert err.max() < 12.0, err
    assert frame.mask is not None and frame.mask.shape == lying.shape[:2]


def test_no_person_gives_empty_frame():
    black = np.zeros((240, 320, 3), np.uint8)
    with PoseEstimator(EstimatorConfig()) as est:
        frame = est.process(black, 5.0)
    assert not frame.detected
    assert frame.timestamp_ms == 5.0 and frame.image_wh == (320, 240)


def test_rejects_non_rgb():
    with PoseEstimator(EstimatorConfig()) as est:
        with pytest.raises(ValueError, match="RGB uint8"):
            est.process(np.zeros((10, 10), np.uint8), 0.0)


def test_choose_person_largest_central_then_follows_lock():
    wh = (640, 480)
    small_centre = np.array([300, 220, 340, 260.0])
    big_edge = np.array([0, 0, 200, 300.0])
    big_centre = np.array([220, 100, 420, 400.0])
    assert choose_person([small_centre, big_centre], wh, None) == 1
    assert choose_person([big_edge, big_centre], wh, None) == 1
    # Locked on the small person: keep following them even though another is bigger.
    assert choose_person([big_centre, small_centre + 5], wh, small_centre) == 1
