"""XOR and the 8-3-8 encoder, run in full (they take about a second)."""
import re
import subprocess
import sys

import pytest

from conftest import EXAMPLES


def test_xor_loss_falls_and_predictions_match_the_truth_table():
    out = subprocess.run([sys.executable, str(EXAMPLES / "xor.py")], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    losses = [float(v) for v in re.findall(r"loss (\d+\.\d+)", out)]
    assert len(losses) > 5 and losses[-1] < losses[0] / 10
    predictions = [float(v) for v in re.search(r"predictions: \[(.*)\]", out).group(1).split(",")]
    assert [round(p) for p in predictions] == [0, 1, 1, 0]


def test_encoder_838_learns_eight_distinct_codes_and_recalls_every_pattern():
    import encoder_838
    result = encoder_838.main(["--quiet"])
    assert result["distinct_codes"] == 8   # each pattern its own code in the 3 hidden units
    assert result["recalled"] == 8         # and the decoder gets every pattern back from it


def test_a_count_below_one_is_refused_naming_the_flag(capsys):
    import encoder_838
    with pytest.raises(SystemExit, match="--epochs must be a positive number, got 0"):
        encoder_838.main(["--epochs", "0"])
