"""The data the coach ships: the exercise specs and the pose model.

The repository's ``exercise_specs/`` and ``models/`` are the source of truth. A wheel
(``pip install .``) carries copies of them in this package (``coach/data/exercise_specs``,
``coach/data/models``), made by the build step in ``setup.py``; a source checkout or an
editable install reads the repository's folders themselves. Nothing here is ever
committed but this file.

    folder("exercise_specs")   # -> a Path to the folder of spec YAML files
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from coach.errors import CoachError

SHIPPED = ("exercise_specs", "models")


def folder(name: str) -> Path:
    """The shipped folder ``name`` (one of SHIPPED): in the installed package, else in the
    source checkout. CoachError when neither exists (a broken install)."""
    if name not in SHIPPED:
        raise ValueError(f"name must be one of {SHIPPED}, got {name!r}")
    # pip installs a wheel as plain files, so the package folder is a real directory
    installed = Path(str(resources.files("coach.data").joinpath(name)))
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise CoachError(f"{name}: folder not found in the installed package ({installed}) nor in a source checkout "
                     f"({checkout}); reinstall coach (pip install .)")
