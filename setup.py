"""The build step that puts the shipped data into the wheel.

The repository's ``exercise_specs/`` and ``models/`` are the source of truth and are never
copied into the source tree; building a wheel (``pip install .``, ``python -m build``)
copies them into the built package as ``coach/data/exercise_specs`` and
``coach/data/models``, where :func:`coach.data.folder` finds them. Everything else is in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# repository folder -> the files of it that ship
SHIPPED = {
    "exercise_specs": ("*.yaml", "schema.md", "schema.json", "RULE_IDS.md"),
    "models": ("*.task", "README.md"),
}


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the repository's folders themselves
            return
        for folder, patterns in SHIPPED.items():
            target = Path(self.build_lib) / "coach" / "data" / folder
            target.mkdir(parents=True, exist_ok=True)
            files = sorted({p for pattern in patterns for p in (HERE / folder).glob(pattern)})
            if not files:
                raise SystemExit(f"setup.py: nothing to ship in {folder}/ (patterns {patterns})")
            for src in files:
                shutil.copy2(src, target / src.name)


setup(cmdclass={"build_py": BuildWithData})
