"""One Euro filter and PoseSmoother."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.errors import CoachError
from coach.pose import PRES, VIS, Landmark, PoseFrame
from coach.vision.smoothing import OneEuroFilter, PoseSmoother, SmootherConfig, SmoothingError

# dt at which alpha = 1 / (1 + 1 / (2 pi fc dt)) is exactly 1/2 for fc = 1 Hz: dt = 1/(2 pi) s
HALF_ALPHA_DT_MS = 1000.0 / (2.0 * math.pi)


def _col(v: float) -> np.ndarray:
    return np.array([[v]])


def test_constant_signal_stays_constant() -> None:
    f = OneEuroFilter()
    x = np.arange(12.0).reshape(4, 3)
    for i in range(50):
        out = f.update(x, i * 33.3)
        np.testing.assert_array_equal(out, x)


def test_first_step_uses_timestamps_for_dt() -> None:
    # beta 0: cutoff = min_cutoff = 1 Hz. dt = 1/(2 pi) s -> alpha 1/2 -> 0 + (10-0)/2 = 5
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0, d_cutoff=1.0)
    f.update(_col(0.0), 0.0)
    assert f.update(_col(10.0), HALF_ALPHA_DT_MS)[0, 0] == pytest.approx(5.0)
    # same samples, dt three times longer: alpha = 1 / (1 + 1/3) = 0.75 -> 7.5
    g = OneEuroFilter(min_cutoff=1.0, beta=0.0, d_cutoff=1.0)
    g.update(_col(0.0), 1000.0)
    assert g.update(_col(10.0), 1000.0 + 3 * HALF_ALPHA_DT_MS)[0, 0] == pytest.approx(7.5)


def test_beta_term_by_hand() -> None:
    # min_cutoff 1, beta 1, d_cutoff 1, value_scale 1, dt = 1/(2 pi) s:
    # dx = 10 / dt = 20 pi; dx_hat = 0 + 0.5 * 20 pi = 10 pi; cutoff = 1 + 10 pi
    # alpha = 1 / (1 + 1 / (2 pi (1 + 10 pi) / (2 pi))) = (1 + 10 pi) / (2 + 10 pi)
    f = OneEuroFilter(min_cutoff=1.0, beta=1.0, d_cutoff=1.0)
    f.update(_col(0.0), 0.0)
    expected = 10.0 * (1 + 10 * math.pi) / (2 + 10 * math.pi)
    assert f.update(_col(10.0), HALF_ALPHA_DT_MS)[0, 0] == pytest.approx(expected)


def test_repeated_or_backward_timestamp_holds() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    f.update(_col(0.0), 100.0)
    first = f.update(_col(10.0), 100.0 + HALF_ALPHA_DT_MS)[0, 0]
    with np.errstate(all="raise"):
        again = f.update(_col(50.0), 100.0 + HALF_ALPHA_DT_MS)[0, 0]
        back = f.update(_col(50.0), 90.0)[0, 0]
    assert first == pytest.approx(5.0)
    assert again == pytest.approx(5.0)
    assert back == pytest.approx(5.0)


def test_noise_variance_reduced_on_static_pose() -> None:
    rng = np.random.default_rng(1)
    f = OneEuroFilter()
    sigma = 2.0
    outs = []
    for i in range(300):
        x = 100.0 + rng.normal(0.0, sigma, (33, 2))
        outs.append(f.update(x, i * 1000.0 / 30.0, value_scale=1 / 300.0))
    out = np.array(outs)[60:]
    # an unfiltered signal would give ratio 1; the filter must remove most of the jitter
    ratio = out.std(axis=0).mean() / sigma
    assert ratio < 0.5


def test_step_followed_within_bounded_lag() -> None:
    # 30 fps, 300 px body, step of 100 px. By hand (beta 10, d_cutoff 1):
    # frame 1: dx_hat = 0.1718 * 3000 = 515 px/s -> cutoff ~17.3 Hz -> alpha ~0.78 -> ~78 px
    f = OneEuroFilter()
    dt = 1000.0 / 30.0
    for i in range(30):
        f.update(_col(0.0), i * dt)
    outs = [f.update(_col(100.0), (30 + i) * dt, value_scale=1 / 300.0)[0, 0] for i in range(6)]
    assert outs[0] == pytest.approx(78.0, abs=3.0)
    assert outs[2] > 98.0  # within 2 % after 3 frames (100 ms)
    assert all(b >= a for a, b in zip(outs, outs[1:], strict=False))
    assert outs[-1] <= 100.0 + 1e-9  # no overshoot


def test_nan_row_resets_and_restarts() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    x = np.array([[0.0, 0.0], [0.0, 0.0]])
    f.update(x, 0.0)
    y = np.array([[10.0, 10.0], [np.nan, np.nan]])
    out = f.update(y, HALF_ALPHA_DT_MS)
    np.testing.assert_allclose(out[0], [5.0, 5.0])
    assert np.isnan(out[1]).all()
    # next finite value restarts that row at its input, the other row keeps filtering
    out = f.update(np.array([[10.0, 10.0], [40.0, 40.0]]), 2 * HALF_ALPHA_DT_MS)
    np.testing.assert_allclose(out[0], [7.5, 7.5])
    np.testing.assert_allclose(out[1], [40.0, 40.0])


def test_long_gap_resets() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    f.update(_col(0.0), 0.0)
    assert f.update(_col(10.0), 501.0)[0, 0] == 10.0
    g = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    g.update(_col(0.0), 0.0)
    assert g.update(_col(10.0), 400.0)[0, 0] < 10.0


def test_unreliable_row_holds_then_drifts_slowly() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=50.0, hold_ms=300.0)
    dt = HALF_ALPHA_DT_MS / 2  # ~79.6 ms
    f.update(_col(0.0), 0.0)
    bad = np.array([False])
    # within 300 ms of the last reliable sample: held at 0 although the input jumps
    for k in (1, 2, 3):
        assert f.update(_col(100.0), k * dt, reliable=bad)[0, 0] == 0.0
    # after 300 ms: follows with the min_cutoff alpha only (no beta speed-up):
    # dt = 1/(4 pi) s, fc 1 -> alpha = 1 / (1 + 2) = 1/3 -> 33.3
    assert f.update(_col(100.0), 4 * dt, reliable=bad)[0, 0] == pytest.approx(100.0 / 3)
    # reliable again: the beta term speeds it up (alpha well above 1/3)
    y = f.update(_col(100.0), 5 * dt)[0, 0]
    assert y > 33.4 + (100 - 33.4) / 3


def test_validation_messages_name_argument_range_and_value() -> None:
    with pytest.raises(SmoothingError, match=r"min_cutoff: .*\(0, 1000\].*-1"):
        OneEuroFilter(min_cutoff=-1)
    with pytest.raises(SmoothingError, match="beta"):
        OneEuroFilter(beta=float("nan"))
    with pytest.raises(SmoothingError, match="d_cutoff"):
        OneEuroFilter(d_cutoff="fast")  # type: ignore[arg-type]
    with pytest.raises(SmoothingError, match="min_visibility"):
        SmootherConfig(min_visibility=1.5)
    with pytest.raises(CoachError, match=r"wobble: unknown smoothing setting .*beta"):
        PoseSmoother({"wobble": 3})


def _frame(t: float, shift_px: float = 0.0, noise: np.ndarray | None = None) -> PoseFrame:
    f = PoseFrame(timestamp_ms=t, image_wh=(640, 480))
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, (33, 3))
    base[:, 0] += shift_px / 640.0
    if noise is not None:
        base[:, :2] += noise
    f.landmarks[:, :3] = base
    f.landmarks[:, VIS] = 0.9
    f.landmarks[:, PRES] = 0.95
    f.world[:] = rng.uniform(-0.5, 0.5, (33, 3))
    f.mask = np.zeros((48, 64), dtype=np.float32)
    return f


def test_pose_smoother_passes_through_and_round_trips() -> None:
    s = PoseSmoother()
    a = _frame(0.0)
    out = s.update(a)
    np.testing.assert_allclose(out.landmarks, a.landmarks)  # first frame = input
    b = _frame(33.0, shift_px=64.0)
    b.landmarks[Landmark.NOSE, VIS] = 0.7
    out = s.update(b)
    assert out is not b and out.mask is b.mask
    np.testing.assert_array_equal(out.landmarks[:, VIS], b.landmarks[:, VIS])
    np.testing.assert_array_equal(out.landmarks[:, PRES], b.landmarks[:, PRES])
    np.testing.assert_allclose(out.landmarks[:, 1], b.landmarks[:, 1], atol=1e-12)  # y still
    # x lags behind the 0.1 jump but moved toward it
    dx = out.landmarks[:, 0] - a.landmarks[:, 0]
    assert np.all(dx > 0.0) and np.all(dx < 0.1)
    np.testing.assert_allclose(out.world, b.world)  # world did not move
    assert b.landmarks[0, 0] == pytest.approx(a.landmarks[0, 0] + 0.1)  # input untouched


def test_pose_smoother_reduces_jitter_and_resets_without_person() -> None:
    s = PoseSmoother(SmootherConfig())
    rng = np.random.default_rng(2)
    sigma = 2.0 / 640.0
    xs = []
    for i in range(200):
        f = _frame(i * 1000 / 30, noise=rng.normal(0, sigma, (33, 2)))
        xs.append(s.update(f).landmarks[:, 0])
    ratio = np.array(xs)[50:].std(axis=0).mean() / sigma
    assert ratio < 0.6
    empty = PoseFrame.empty(200 * 1000 / 30, (640, 480))
    assert not s.update(empty).detected
    fresh = _frame(201 * 1000 / 30, shift_px=50.0)
    np.testing.assert_allclose(s.update(fresh).landmarks, fresh.landmarks)


def test_disabled_smoother_is_identity() -> None:
    s = PoseSmoother({"enabled": False})
    f = _frame(0.0)
    assert s.update(f) is f


def _smoothed_apart(frames: list[PoseFrame]) -> list[PoseFrame]:
    """PoseSmoother's arithmetic with one OneEuroFilter for the image and one for the world
    (what it did before both were filtered in one step)."""
    image, world = OneEuroFilter(), OneEuroFilter()
    out = []
    for f in frames:
        if not f.detected:
            image.reset()
            world.reset()
            out.append(f)
            continue
        w, h = f.image_wh
        scale = np.array([w, h, w], dtype=np.float64)
        px = f.landmarks[:, :3] * scale
        reliable = f.landmarks[:, VIS] >= 0.5
        pts = px[reliable, :2]
        size = max(float((pts.max(axis=0) - pts.min(axis=0)).sum()) / 2.0, 1e-6)
        lm = f.landmarks.copy()
        lm[:, :3] = image.update(px, f.timestamp_ms, reliable=reliable, value_scale=1.0 / size) / scale
        out.append(PoseFrame(f.timestamp_ms, lm, world.update(f.world, f.timestamp_ms, reliable=reliable),
                             f.image_wh))
    return out


def test_pose_smoother_one_step_equals_two_filters_bit_for_bit() -> None:
    # image and world filtered in one numpy step (the checker's budget) must give exactly
    # the two filters' numbers, also across the paths that leave that step: a NaN row in
    # either array, unreliable (held) rows, a repeated timestamp, a long gap, nobody
    rng = np.random.default_rng(5)
    frames = []
    t = 0.0
    for i in range(120):
        t += 1000 / 30 if i != 60 else 900.0          # a gap: both filters restart
        if i == 40:
            t -= 1000 / 30                             # a repeated timestamp
        f = _frame(t, shift_px=3.0 * math.sin(i / 7.0), noise=rng.normal(0, 2 / 640, (33, 2)))
        f.world[:] += rng.normal(0, 0.01, (33, 3))
        f.landmarks[:, VIS] = rng.uniform(0.3, 1.0, 33)   # some rows unreliable: held
        if i == 20:
            f.world[Landmark.LEFT_KNEE] = np.nan          # the world filter alone takes its slow path
        if i == 30:
            f.landmarks[Landmark.RIGHT_WRIST, :3] = np.nan  # the image filter alone
        frames.append(f)
    frames.insert(90, PoseFrame.empty(frames[89].timestamp_ms + 10, (640, 480)))
    s = PoseSmoother()
    for got, want in zip([s.update(f) for f in frames], _smoothed_apart(frames)):
        np.testing.assert_array_equal(got.landmarks, want.landmarks)
        np.testing.assert_array_equal(got.world, want.world)


def test_detected_needs_any_finite_landmark() -> None:
    f = _frame(0.0)
    assert f.detected
    f.landmarks[Landmark.NOSE, :3] = np.nan   # the nose is looked at first; others still count
    assert f.detected
    f.landmarks[:, 0] = np.nan
    assert not f.detected
    assert not PoseFrame.empty(0.0, (640, 480)).detected
