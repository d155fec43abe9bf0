"""Where the real data sets are: CHAINRULE_DATASETS, else ../shared/datasets beside the repository."""
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def datasets_root():
    root = Path(os.environ.get("CHAINRULE_DATASETS",
                               Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"))
    if not root.is_dir():
        pytest.skip(f"real data sets not found at {root} (set CHAINRULE_DATASETS to the folder holding "
                    f"mnist/, fashion-mnist/ and cats-vs-dogs/)")
    return root


def dataset_dir(root, name):
    path = root / name
    if not path.is_dir():
        pytest.skip(f"{name} not found in {root}")
    return path
