"""Build models/pose_landmarker_full.task from the mediapipe==0.10.21 wheel on PyPI.

Google's model storage (where pose_landmarker_*.task live) is unreachable here, but the
0.10.21 wheel (Apache-2.0) ships the two TFLite models the pose landmarker runs:
pose_detection.tflite and pose_landmark_full.tflite. mediapipe 1.x's Tasks API loads them
as a `.task` bundle (a plain ZIP of pose_detector.tflite + pose_landmarks_detector.tflite)
once each model carries TFLite metadata describing its image input's normalisation.
mediapipe 1.x's own metadata writer is broken (it imports a missing native module), so this
script writes the metadata with the flatbuffer object API mediapipe ships.

Usage (needs network access to PyPI only, and `pip install flatbuffers`):
    python models/build_pose_model.py                 # downloads the wheel with pip
    python models/build_pose_model.py --wheel PATH    # uses a wheel you already have
The output is byte-for-byte reproducible (fixed ZIP timestamps); its SHA-256 is printed
and must match models/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEEL_SPEC = "mediapipe==0.10.21"
DETECTOR = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARKER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
ZIP_DATE = (2025, 1, 31, 0, 0, 0)


def _with_metadata(model_bytes: bytes, name: str, mean: float, std: float) -> bytes:
    """Return the TFLite model with image-input metadata (NormalizationOptions) added."""
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAs(model_bytes, 0))
    subgraph = model.subgraphs[0]

    image_meta = md.TensorMetadataT()
    image_meta.name = "image"
    image_meta.description = "RGB input image"
    image_meta.content = md.ContentT()
    image_meta.content.contentPropertiesType = md.ContentProperties.ImageProperties
    image_meta.content.contentProperties = md.ImagePropertiesT()
    image_meta.content.contentProperties.colorSpace = md.ColorSpaceType.RGB
    norm = md.ProcessUnitT()
    norm.optionsType = md.ProcessUnitOptions.NormalizationOptions
    norm.options = md.NormalizationOptionsT()
    norm.options.mean = [mean]
    norm.options.std = [std]
    image_meta.processUnits = [norm]

    outputs = []
    for index in subgraph.outputs:
        out = md.TensorMetadataT()
        tensor_name = subgraph.tensors[index].name
        out.name = tensor_name.decode() if isinstance(tensor_name, bytes) else str(tensor_name)
        outputs.append(out)

    sub_meta = md.SubGraphMetadataT()
    sub_meta.inputTensorMetadata = [image_meta]
    sub_meta.outputTensorMetadata = outputs

    meta = md.ModelMetadataT()
    meta.name = name
    meta.description = f"{name} from {WHEEL_SPEC} (Apache-2.0), metadata added by coach"
    meta.version = "1"
    meta.license = "Apache-2.0"
    meta.minParserVersion = "1.0.0"
    meta.subgraphMetadata = [sub_meta]

    builder = flatbuffers.Builder(1024)
    builder.Finish(meta.Pack(builder), file_identifier=b"M001")
    meta_bytes = bytes(builder.Output())

    buffer = tfl.BufferT()
    buffer.data = list(meta_bytes)
    model.buffers.append(buffer)
    entry = tfl.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(model.buffers) - 1
    model.metadata = (model.metadata or []) + [entry]

    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def build(wheel: Path, out: Path) -> str:
    with zipfile.ZipFile(wheel) as whl:
        detector = whl.read(DETECTOR)
        landmarker = whl.read(LANDMARKER)
    members = {
        "pose_detector.tflite": _with_metadata(detector, "pose_detector", 127.5, 127.5),
        "pose_landmarks_detector.tflite": _with_metadata(landmarker, "pose_landmarks_detector", 0.0, 255.0),
    }
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as bundle:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            bundle.writestr(info, data)
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def download_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", WHEEL_SPEC, "-d", str(dest)],
        check=True,
    )
    return next(dest.glob("mediapipe-0.10.21-*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="path to a mediapipe-0.10.21 wheel (else pip downloads it)")
    parser.add_argument("--out", type=Path, default=HERE / "pose_landmarker_full.task")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        digest = build(wheel, args.out)
    print(f"{args.out}  sha256={digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
