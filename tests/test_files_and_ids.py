"""Files and ids: a cut-off JPEG is never coached silently (one photo fails at once; in a
folder the damaged ones are named after the others are coached, exit 2, nothing lost), an
exercise id is always an id (a `cat_cow/` folder where the command runs does not matter)
and a spec file is named by its path with --spec FILE."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.cli import main
from coach.vision.sources import ImageFolderSource, SourceError, image_problem, jpeg_problem, open_source
from tests.conftest import SAMPLES
from needs import committed

REPO = Path(__file__).resolve().parent.parent
RECORDING = SAMPLES / "cat_cow" / "good.landmarks.npz"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def photo_bytes() -> bytes:
    """A frame of the lying-twist sample (a person on the floor) as a JPEG."""
    video = committed(SAMPLES / "lying_twist" / "good.mp4")
    cap = cv2.VideoCapture(str(video))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 200)
    ok, bgr = cap.read()
    cap.release()
    assert ok
    return cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


# --------------------------------------------------------------------------- the check itself
def _jpegs() -> dict[str, bytes]:
    from PIL import Image

    rng = np.random.default_rng(1)
    img = (rng.random((120, 160, 3)) * 255).astype(np.uint8)
    out = {
        "baseline": cv2.imencode(".jpg", img)[1].tobytes(),
        "restart markers": cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_RST_INTERVAL, 2])[1].tobytes(),
        "progressive": cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[1].tobytes(),
    }
    b = io.BytesIO()
    Image.fromarray(img).save(b, "JPEG", progressive=True, optimize=True)
    out["pillow progressive"] = b.getvalue()
    thumb = cv2.imencode(".jpg", img[:30, :40])[1].tobytes()  # an EXIF-like thumbnail: a whole JPEG inside APP1
    app1 = b"Exif\x00\x00" + thumb
    out["with thumbnail"] = out["baseline"][:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 \
        + out["baseline"][2:]
    return out


@pytest.mark.parametrize("kind", list(_jpegs()))
def test_jpeg_check_finds_every_cut(kind):
    data = _jpegs()[kind]
    assert jpeg_problem(data) is None
    assert jpeg_problem(data + b"phone maker's trailer \xff\xd8 data") is None  # data after the end is fine
    end = data.rfind(b"\xff\xd9")
    cuts = range(3, end, max(1, end // 300))
    missed = [k for k in cuts if jpeg_problem(data[:k]) is None]
    assert missed == []
    assert "cut off" in jpeg_problem(data[: len(data) // 2])


def test_image_problem_for_other_files(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert "empty" in image_problem(tmp_path / "empty.jpg")
    png = cv2.imencode(".png", np.zeros((20, 20, 3), np.uint8))[1].tobytes()
    (tmp_path / "ok.png").write_bytes(png)
    assert image_problem(tmp_path / "ok.png") is None  # other formats: OpenCV refuses a cut-off file itself


# --------------------------------------------------------------------------- one photo
def test_a_single_cut_off_photo_fails_loudly(tmp_path, capsys, photo_bytes):
    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(photo_bytes[: len(photo_bytes) // 2])
    half = cv2.imread(str(photo))  # OpenCV decodes it without a word, the lower half grey
    assert half is not None and abs(float(half[-20:].mean()) - 128.0) < 1.0
    code, out, err = run_cli(capsys, "replay", str(photo), "-e", "lying_twist", "--out", str(tmp_path / "run"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(photo) in lines[0] and "cut off" in lines[0] and "copy it again" in lines[0]
    assert out == ""
    assert not (tmp_path / "run" / "summary.json").exists()


@pytest.mark.e2e
def test_a_single_whole_photo_is_coached(tmp_path, capsys, photo_bytes):
    photo = tmp_path / "IMG_0043.jpg"
    photo.write_bytes(photo_bytes)
    src = open_source(photo)
    assert isinstance(src, ImageFolderSource) and len(list(src)) == 1 and src.damaged == []
    code, out, err = run_cli(capsys, "replay", str(photo), "-e", "lying_twist", "--out", str(tmp_path / "run"), "-q")
    assert code == 0, err
    assert "1 frames, person tracked in 100.0 %" in out


# --------------------------------------------------------------------------- a folder
def test_folder_source_leaves_damaged_images_out_and_keeps_the_time_slots(tmp_path):
    for i in range(4):
        img = np.full((30, 40, 3), 40 * i, np.uint8)
        cv2.imwrite(str(tmp_path / f"img{i}.jpg"), img)
    data = (tmp_path / "img1.jpg").read_bytes()
    (tmp_path / "img1.jpg").write_bytes(data[: len(data) - 40])
    (tmp_path / "img2.jpg").write_bytes(b"not a picture at all")
    src = ImageFolderSource(tmp_path)
    frames = list(src)
    assert [f.timestamp_ms for f in frames] == [0.0, 300.0]  # image 3 keeps its slot at 0.3 s
    assert [p.name for p, _ in src.damaged] == ["img1.jpg", "img2.jpg"]
    msg = src.damaged_message()
    assert "2 of 4 images" in msg and "img1.jpg: cut off" in msg and "img2.jpg" in msg and "other 2 were coached" in msg


def test_folder_of_only_damaged_images_fails_at_once(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(SourceError, match="no readable image"):
        ImageFolderSource(tmp_path)


@pytest.mark.e2e
def test_a_folder_with_a_cut_off_photo_coaches_the_rest_then_names_it(tmp_path, capsys, photo_bytes):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("01.jpg", "02.jpg", "03.jpg"):
        (folder / name).write_bytes(photo_bytes)
    (folder / "02.jpg").write_bytes(photo_bytes[: len(photo_bytes) * 2 // 3])
    out_dir = tmp_path / "run"
    code, out, err = run_cli(capsys, "replay", str(folder), "-e", "lying_twist", "--out", str(out_dir), "-q")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(folder / "02.jpg") in lines[0] and "copy it again or remove it" in lines[0]
    assert "2 frames" in out  # the two whole photos were coached ...
    summary = json.loads((out_dir / "summary.json").read_text())  # ... and their results kept
    assert summary["stats"]["frames"] == 2
    assert summary["damaged_images"] == [{"path": str(folder / "02.jpg"), "problem": pytest.approx(
        summary["damaged_images"][0]["problem"])}]
    assert "cut off" in summary["damaged_images"][0]["problem"]


# --------------------------------------------------------------------------- ids and spec files
@pytest.fixture()
def in_a_folder_with_exercise_named_things(tmp_path, monkeypatch):
    """Where a person keeps their recordings: a folder per exercise, even a stray file."""
    (tmp_path / "cat_cow").mkdir()
    (tmp_path / "cat_cow" / "monday.mp4").write_bytes(b"")
    (tmp_path / "lying_twist").write_text("not a spec\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_exercise_id_is_an_id_whatever_is_in_the_folder(in_a_folder_with_exercise_named_things, capsys):
    committed(RECORDING)
    code, out, err = run_cli(capsys, "replay", str(RECORDING), "-e", "cat_cow", "--out", "run", "-q")
    assert code == 0, err
    assert out.startswith("Cat-cow: ")   # the run summary names the exercise (Cat-cow = cat_cow)
    code, out, err = run_cli(capsys, "explain", "lying_twist")
    assert code == 0, err
    from coach.pipeline.runner import exercise_spec

    assert exercise_spec("lying_twist").id == "lying_twist" and exercise_spec("cat_cow").id == "cat_cow"


def test_a_spec_file_is_given_with_spec(in_a_folder_with_exercise_named_things, capsys):
    committed(RECORDING)
    mine = in_a_folder_with_exercise_named_things / "my_specs"
    mine.mkdir()
    text = (REPO / "exercise_specs" / "cat_cow.yaml").read_text(encoding="utf-8")
    (mine / "cat_cow.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "replay", str(RECORDING), "--spec", "my_specs/cat_cow.yaml", "--out", "run", "-q")
    assert code == 0, err
    assert out.startswith("Cat-cow: ")   # the run summary names the exercise (Cat-cow = cat_cow)
    assert json.loads(Path("run/summary.json").read_text())["exercise"] == "cat_cow"


@pytest.mark.parametrize("argv, expected", [
    (["-e", "cat_cow.yaml"], "cat_cow.yaml: unknown exercise id, expecting one of [cat_cow, "),
    (["-e", "yoga"], "yoga: unknown exercise id"),
    (["--spec", "cat_cow"], "cat_cow: a folder, not a spec file"),
    (["--spec", "nothing.yaml"], "nothing.yaml: no such spec file"),
])
def test_wrong_id_or_spec_file_is_one_line(in_a_folder_with_exercise_named_things, capsys, argv, expected):
    code, _out, err = run_cli(capsys, "replay", "x.npz", *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], err
    if argv[0] == "-e" and argv[1].endswith(".yaml"):
        assert "--spec FILE" in lines[0]


def test_id_and_spec_file_together_or_neither_is_a_usage_error(capsys):
    for argv in (["replay", "x.npz"], ["replay", "x.npz", "-e", "cat_cow", "--spec", "a.yaml"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "--spec" in capsys.readouterr().err


def test_help_and_readme_describe_spec_files(capsys):
    with pytest.raises(SystemExit):
        main(["replay", "--help"])
    out = capsys.readouterr().out
    assert "--spec FILE" in out and "--exercise ID" in out
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "--spec my_specs/cat_cow.yaml" in readme and "a `cat_cow/` folder" in readme


def test_session_program_ids_are_ids_too(in_a_folder_with_exercise_named_things, capsys, tmp_path, monkeypatch):
    """`coach session` in the same folder: its programme's ids load the coach's specs (the
    screening then stops it, so no camera is needed)."""
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    from coach.session.safety import CONTRAINDICATIONS

    answers = tmp_path / "a.yaml"
    answers.write_text("screening: {" + ", ".join(f"{t}: {'yes' if t == 'osteoporosis' else 'no'}"
                                                  for t in CONTRAINDICATIONS) + "}\n")
    prog = tmp_path / "p.yaml"
    prog.write_text("exercises: [lying_twist, cat_cow]\n")
    code, out, err = run_cli(capsys, "session", "--program", str(prog), "--answers", str(answers), "--no-window",
                             "--out", str(tmp_path / "out"), "--camera", __file__)
    assert code == 4, err  # blocked by the screening, after both specs loaded
    assert "no such spec file" not in err
