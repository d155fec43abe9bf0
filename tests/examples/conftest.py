"""Running the examples, shortened: their folder on the import path, and where the data sets are."""
import os
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path[:0] = [str(EXAMPLES), str(EXAMPLES / "data")]   # the examples import their neighbours


def datasets_root() -> Path:
    return Path(os.environ.get("CHAINRULE_DATASETS", EXAMPLES.parent / ".." / "shared" / "datasets"))


@pytest.fixture
def dataset():
    """dataset(name) -> its folder, or the test is skipped saying where it was looked for."""
    def find(name: str) -> str:
        path = datasets_root() / name
        if not path.is_dir():
            pytest.skip(f"data set {name} not found at {path} (set CHAINRULE_DATASETS to the folder holding it)")
        return str(path)
    return find
