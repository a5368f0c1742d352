import zipfile

import pytest

from coach.vision.model import ModelError, check_model_file, sha256_of
from tests.conftest import MODEL

EXPECTED_SHA256 = "d659c5e628aa52067cc426aaf2054090f91b1fdec5d635fb65b739d574cb4050"


def test_committed_model_matches_notice():
    assert sha256_of(MODEL) == EXPECTED_SHA256
    text = (MODEL.parent / "README.md").read_text()
    assert EXPECTED_SHA256 in text
    assert "Apache" in text


def test_missing_model(tmp_path):
    with pytest.raises(ModelError, match="not found.*build_pose_model.py"):
        check_model_file(tmp_path / "nope.task")


def test_empty_model(tmp_path):
    p = tmp_path / "empty.task"
    p.write_bytes(b"")
    with pytest.raises(ModelError, match="empty"):
        check_model_file(p)


def test_truncated_model(tmp_path):
    p = tmp_path / "cut.task"
    p.write_bytes(MODEL.read_bytes()[: 1_000_000])
    with pytest.raises(ModelError, match="truncated|not a pose-landmarker"):
        check_model_file(p)


def test_foreign_zip(tmp_path):
    p = tmp_path / "other.task"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ModelError, match="missing pose_detector.tflite"):
        check_model_file(p)


def test_foreign_bytes_in_bundle_shape(tmp_path):
    """A ZIP with the right member names but garbage inside: MediaPipe itself rejects it,
    and the estimator turns that into a ModelError, not a crash."""
    from coach.vision.estimator import EstimatorConfig, PoseEstimator

    p = tmp_path / "garbage.task"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("pose_detector.tflite", b"x" * 1000)
        z.writestr("pose_landmarks_detector.tflite", b"y" * 1000)
    with pytest.raises(ModelError, match="could not load"):
        PoseEstimator(EstimatorConfig(model_path=str(p)))
