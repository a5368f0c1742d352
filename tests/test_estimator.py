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


# --------------------------------------------------------------------------- people in view
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402

from coach.vision.estimator import (  # noqa: E402
    HEAD_MATCH_TORSO, PeopleSeen, overlaps, people_in_view,
)

PHOTOS = Path(__file__).resolve().parent / "fixtures" / "real_photos"
WH = (640, 480)


def skeleton(dx: float = 0.0, dy: float = 0.0, scale: float = 1.0, vis: float = 0.9) -> np.ndarray:
    """A standing person (normalised landmarks), nose at (0.5 + dx, 0.2 + dy); torso 0.3 high."""
    lm = np.full((33, 5), np.nan)
    pts = {0: (0.5, 0.2), 11: (0.55, 0.3), 12: (0.45, 0.3), 13: (0.57, 0.45), 14: (0.43, 0.45),
           15: (0.58, 0.58), 16: (0.42, 0.58), 23: (0.54, 0.6), 24: (0.46, 0.6), 25: (0.54, 0.75),
           26: (0.46, 0.75), 27: (0.54, 0.9), 28: (0.46, 0.9)}
    for i, (x, y) in pts.items():
        lm[i] = (0.5 + (x - 0.5) * scale + dx, 0.2 + (y - 0.2) * scale + dy, 0.0, vis, vis)
    return lm


def test_people_in_view_one_person_found_in_both_turns():
    main = skeleton()
    seen = people_in_view(main, [(1, skeleton(0.005)), (2, skeleton(-0.005))], WH)
    assert seen == PeopleSeen(1)


def test_people_in_view_a_second_head_both_turns_agree_on_is_a_person():
    main, other = skeleton(), skeleton(dx=0.3)
    found = [(1, skeleton(0.002)), (2, skeleton()), (1, other), (2, skeleton(dx=0.303))]
    seen = people_in_view(main, found, WH)
    assert seen.people == 2 and len(seen.others) == 1
    assert abs(seen.others[0][0, 0] - 0.8) < 0.01          # the other one, not the coached person


def test_people_in_view_a_head_seen_in_one_turn_only_is_not_a_person():
    """MediaPipe's extra low-confidence skeletons of one person put a head on a knee, at a
    different place in each turn: they must not count."""
    main = skeleton()
    found = [(1, skeleton()), (2, skeleton()), (1, skeleton(dx=0.05, dy=0.55)), (2, skeleton(dx=-0.1, dy=0.4))]
    assert people_in_view(main, found, WH).people == 1
    # Twice in the same turn is not two turns either.
    found = [(1, skeleton()), (2, skeleton()), (1, skeleton(dx=0.3)), (1, skeleton(dx=0.3))]
    assert people_in_view(main, found, WH).people == 1


def test_people_in_view_heads_must_match_within_the_radius():
    main = skeleton()                      # torso 0.3 * 480 = 144 px
    radius = HEAD_MATCH_TORSO * 144 / 640  # in x, normalised
    near = [(1, skeleton()), (2, skeleton()), (1, skeleton(dx=0.3)), (2, skeleton(dx=0.3 + 0.8 * radius))]
    far = [(1, skeleton()), (2, skeleton()), (1, skeleton(dx=0.3)), (2, skeleton(dx=0.3 + 1.2 * radius))]
    assert people_in_view(main, near, WH).people == 2
    assert people_in_view(main, far, WH).people == 1


def test_people_in_view_nobody_coached_or_nothing_found():
    assert people_in_view(np.full((33, 5), np.nan), [(1, skeleton())], WH).people == 0
    assert people_in_view(skeleton(), [], WH) == PeopleSeen(1)


def test_overlaps_boxes_and_shared_joints():
    main = skeleton()
    assert overlaps(main, skeleton(dx=0.05), WH)                 # boxes almost the same
    assert not overlaps(main, skeleton(dx=0.3), WH)              # side by side
    assert not overlaps(main, skeleton(dx=0.2), WH)              # close side by side: hands 25 px apart
    # a small person whose box covers little of main's but whose joints sit on main's legs
    other = skeleton(dy=0.45, scale=0.5)
    assert overlaps(main, other, WH)
    assert not overlaps(main, np.full((33, 5), np.nan), WH)


def test_people_check_config_is_validated():
    with pytest.raises(ValueError, match="people_check_frames"):
        EstimatorConfig(people_check_frames=-1)
    with pytest.raises(ValueError, match="people_check_confidence"):
        EstimatorConfig(people_check_confidence=0.0)


def _photo(name: str) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(PHOTOS / name)), cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("name", ["Lying_Crossover_0.jpg", "Lying_Crossover_1.jpg"])
def test_two_people_overlapping_are_flagged(name):
    """A helper kneels over the lying person: MediaPipe's one skeleton mixes the two. The
    estimator must say two people are there and that they overlap."""
    with PoseEstimator(EstimatorConfig()) as est:
        frames = [est.process(_photo(name), i * 100.0) for i in range(3)]
    assert all(f.detected and f.people == 2 and f.people_overlap for f in frames), \
        [(f.people, f.people_overlap) for f in frames]
    assert est.people_checks == 1


def test_one_person_is_one_and_the_check_runs_every_n_frames(portrait_rgb):
    with PoseEstimator(EstimatorConfig(people_check_frames=3)) as est:
        frames = [est.process(portrait_rgb, i * 100.0) for i in range(7)]
        assert est.people_checks == 3                     # frames 0, 3 and 6
    assert all(f.people == 1 and not f.people_overlap for f in frames)
    with PoseEstimator(EstimatorConfig(people_check_frames=0)) as est:
        est.process(_photo("Lying_Crossover_0.jpg"), 0.0)
        assert est.people_checks == 0


def test_nobody_found_counts_zero_people():
    with PoseEstimator(EstimatorConfig()) as est:
        frame = est.process(np.zeros((240, 320, 3), np.uint8), 0.0)
    assert frame.people == 0 and not frame.people_overlap and est.people_checks == 0


def test_people_in_view_a_skeleton_built_on_the_persons_legs_is_not_a_person():
    """Both turns can agree on an extra skeleton made of the person's legs: its shoulders on
    the person's hips, its head on the knees. Not a second person."""
    main = skeleton()                                       # hips at y 0.6, knees at 0.75
    legs = skeleton(dy=0.55, scale=0.5)                     # nose at 0.75, shoulders at 0.6
    found = [(1, skeleton()), (2, skeleton()), (1, legs), (2, legs)]
    assert people_in_view(main, found, WH) == PeopleSeen(1)
    apart = skeleton(dx=0.3)                                # someone beside: shoulders 1.3 torsos from the hips
    assert people_in_view(main, [(1, skeleton()), (2, skeleton()), (1, apart), (2, apart)], WH).people == 2
