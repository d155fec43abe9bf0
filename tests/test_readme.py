"""The README's self-contained examples run as printed (the first four Python blocks)."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_blocks():
    with open(os.path.join(ROOT, "README.md")) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_readme_examples_run():
    blocks = _python_blocks()
    assert len(blocks) >= 4
    namespace: dict = {}
    for block in blocks[:4]:  # tensors and autograd, a custom Function, the CNN, the LSTM
        exec(compile(block, "README.md", "exec"), namespace)


def test_xor_example_learns():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "xor.py")], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    losses = [float(line.split()[-1]) for line in out.stdout.splitlines() if line.startswith("step")]
    assert losses[-1] < 0.01 and losses[-1] < losses[0]
