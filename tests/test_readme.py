"""The README's self-contained examples run as printed (the first four Python blocks), and its Deploy commands work."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

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


def _deploy_commands():
    """The command lines of the README's Deploy section, in order."""
    with open(os.path.join(ROOT, "README.md")) as f:
        section = f.read().split("## Deploy\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_deploy_walk_from_training_to_a_served_model(tmp_path):
    """Train, predict and serve with the README's commands (MNIST from the local copy instead of --download,
    on fewer images), then ask the server as its curl line does."""
    pytest.importorskip("PIL")
    mnist = os.path.join(os.environ.get("CHAINRULE_DATASETS", os.path.join(ROOT, "..", "shared", "datasets")), "mnist")
    if not os.path.isdir(mnist):
        pytest.skip(f"MNIST not found at {mnist}")
    install, train, predict, serve, curl = _deploy_commands()
    assert install.startswith("pip install") and curl.startswith("curl")
    cli = [sys.executable, "-m", "chainrule.cli.main"]
    env = dict(os.environ, PYTHONPATH=ROOT)
    shutil.copytree(os.path.join(ROOT, "examples", "data"), tmp_path / "examples" / "data")

    def run(line, **kw):
        args = line.split()[1:]  # without the leading `chainrule`
        return subprocess.run(cli + args, capture_output=True, text=True, cwd=tmp_path, env=env, **kw)

    out = run(train.replace("--download", f"--data {mnist} --limit 3000 --quiet"), timeout=300)
    assert out.returncode == 0, out.stderr
    out = run(predict, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(":", 1)[1].split()[0] == "7"  # the most likely class of the digit: a seven

    port = _free_port()
    server = subprocess.Popen(cli + serve.replace("8000", str(port)).split()[1:], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        health = f"http://127.0.0.1:{port}/health"
        for _ in range(200):
            try:
                with urllib.request.urlopen(health, timeout=2) as r:
                    assert json.load(r) == {"status": "ok"}
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"the server did not come up: {server.stderr}")
        body = (tmp_path / "examples" / "data" / "digit.png").read_bytes()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body,
                                         headers={"Content-Type": "image/png"})
        with urllib.request.urlopen(request, timeout=30) as r:
            assert json.load(r)["predictions"][0]["index"] == 7
    finally:
        server.terminate()
        server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
