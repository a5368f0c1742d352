import numpy as np
import pytest

from coach.vision.plausibility import PlausibilityChecker
from coach.pose import Landmark as L
from coach.pose import PoseFrame

# A standing person facing the camera; world metres (y down, x = image right).
STANDING = {
    L.NOSE: (0.0, -0.65, 0), L.LEFT_EAR: (0.07, -0.63, 0), L.RIGHT_EAR: (-0.07, -0.63, 0),
    L.LEFT_SHOULDER: (0.18, -0.45, 0), L.RIGHT_SHOULDER: (-0.18, -0.45, 0),
    L.LEFT_ELBOW: (0.22, -0.17, 0), L.RIGHT_ELBOW: (-0.22, -0.17, 0),
    L.LEFT_WRIST: (0.24, 0.08, 0), L.RIGHT_WRIST: (-0.24, 0.08, 0),
    L.LEFT_HIP: (0.1, 0.0, 0), L.RIGHT_HIP: (-0.1, 0.0, 0),
    L.LEFT_KNEE: (0.11, 0.45, 0), L.RIGHT_KNEE: (-0.11, 0.45, 0),
    L.LEFT_ANKLE: (0.11, 0.88, 0), L.RIGHT_ANKLE: (-0.11, 0.88, 0),
}


def frame_from(points: dict, ts=0.0) -> PoseFrame:
    world = np.zeros((33, 3))
    for k, v in points.items():
        world[int(k)] = v
    # Image: 1 m = 200 px, centred at (320, 240) on a 640x480 image.
    lm = np.zeros((33, 5))
    lm[:, 0] = (320 + 200 * world[:, 0]) / 640
    lm[:, 1] = (240 + 200 * world[:, 1]) / 480
    lm[:, 2] = 0
    lm[:, 3] = 0.99
    lm[:, 4] = 0.99
    return PoseFrame(timestamp_ms=ts, landmarks=lm, world=world, image_wh=(640, 480))


def test_plain_body_passes_for_every_posture_hint():
    for posture in (None, "standing", "seated", "hanging"):
        checker = PlausibilityChecker(posture=posture, front_view=True)
        assert checker.check(frame_from(STANDING)).ok


def test_head_below_hips_rejected_when_upright_expected():
    upside_down = {k: (x, -y, z) for k, (x, y, z) in STANDING.items()}
    assert not PlausibilityChecker(posture="seated").check(frame_from(upside_down)).ok
    assert "head below" in PlausibilityChecker(posture="hanging").check(frame_from(upside_down)).reason
    # Lying people may have their head anywhere.
    assert PlausibilityChecker(posture="lying").check(frame_from(upside_down)).ok


def test_shoulders_on_the_knees_rejected():
    wrong = dict(STANDING)
    wrong[L.LEFT_SHOULDER] = (0.11, 0.05, 0)  # torso collapsed to 5 cm
    wrong[L.RIGHT_SHOULDER] = (-0.11, 0.05, 0)
    v = PlausibilityChecker().check(frame_from(wrong))
    assert not v.ok and "torso" in v.reason


def test_limb_length_jump_rejected_after_history():
    checker = PlausibilityChecker()
    for i in range(5):
        assert checker.check(frame_from(STANDING, ts=i * 100)).ok
    crossed = dict(STANDING)
    crossed[L.LEFT_KNEE] = (-0.4, -0.2, 0.5)  # knee jumps onto the other side, far away
    v = checker.check(frame_from(crossed, ts=600))
    assert not v.ok and v.reason == "bone lengths jumped (l_thigh, l_shin)"
    assert checker.rejected == 1
    # The honest body is accepted again straight after.
    assert checker.check(frame_from(STANDING, ts=700)).ok


def test_left_right_flip_rejected_in_front_view():
    checker = PlausibilityChecker(front_view=True)
    assert checker.check(frame_from(STANDING)).ok
    swapped = dict(STANDING)
    for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_KNEE, L.RIGHT_KNEE),
                 (L.LEFT_ANKLE, L.RIGHT_ANKLE), (L.LEFT_ELBOW, L.RIGHT_ELBOW), (L.LEFT_WRIST, L.RIGHT_WRIST)):
        swapped[a], swapped[b] = STANDING[b], STANDING[a]
    v = checker.check(frame_from(swapped, ts=100))
    assert not v.ok and "swapped" in v.reason


def test_shoulders_and_hips_opposite_rejected():
    twisted = dict(STANDING)
    twisted[L.LEFT_HIP], twisted[L.RIGHT_HIP] = STANDING[L.RIGHT_HIP], STANDING[L.LEFT_HIP]
    v = PlausibilityChecker(front_view=True).check(frame_from(twisted))
    assert not v.ok and "opposite" in v.reason


def test_empty_frame_is_not_judged():
    assert PlausibilityChecker(posture="seated").check(PoseFrame.empty(0, (640, 480))).ok


def test_bad_arguments():
    with pytest.raises(ValueError, match="posture must be one of"):
        PlausibilityChecker(posture="upside")
    with pytest.raises(ValueError, match="max_jump"):
        PlausibilityChecker(max_jump=0)


def test_a_lasting_change_is_accepted_after_a_few_frames():
    """MediaPipe's depth can shift for good (a new pose): after 5 rejected frames in a row
    the new lengths become the reference instead of blinding the coach for the rest of the clip."""
    checker = PlausibilityChecker()
    for i in range(5):
        assert checker.check(frame_from(STANDING, ts=i * 100)).ok
    moved = dict(STANDING)
    moved[L.LEFT_KNEE] = (-0.4, -0.2, 0.5)
    verdicts = [checker.check(frame_from(moved, ts=600 + i * 100)).ok for i in range(8)]
    assert verdicts[:4] == [False] * 4
    assert all(verdicts[4:])
