"""The `chainrule` command: help everywhere, train (built-in example and JSON config) into bundles,
evaluate and predict on files, serve; failures exit 1 with a message saying what was wrong."""
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from chainrule.cli.examples import EXAMPLES
from chainrule.cli.main import main
from chainrule.data import write_idx
from chainrule.io.bundle import load_bundle

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args, timeout=60):
    """The command in a fresh interpreter, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "chainrule.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["serve"]])
def test_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: chainrule") and "--help" in result.stdout
    if command:
        assert command[0] in result.stdout.splitlines()[0]


def test_console_script_is_installed():
    script = shutil.which("chainrule")
    if script is None:
        pytest.skip("the chainrule console script is not on PATH (pip install -e . installs it)")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+\S*\n", result.stdout)


def _accuracy(bundle, x, y):
    return float(np.mean(bundle.predict(x).argmax(axis=1) == y))


# -- a built-in example ------------------------------------------------------------------------------

def test_train_builtin_example_then_print_config(tmp_path, capsys):
    out = tmp_path / "blobs.bundle"
    assert main(["train", "blobs-mlp", "--out", str(out), "--quiet", "--epochs", "5"]) == 0
    assert f"saved {out}" in capsys.readouterr().out
    bundle = load_bundle(out)
    assert bundle.class_names == ["class 0", "class 1", "class 2"]
    assert bundle.metadata["training"]["epochs"] == 5
    assert bundle.metadata["metrics"]["test_accuracy"] > 0.8
    assert main(["train", "blobs-mlp", "--print-config", "--epochs", "7"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["epochs"] == 7 and printed["model"] == EXAMPLES["blobs-mlp"]["model"]


# -- a JSON config on a CSV file ------------------------------------------------------------------------

@pytest.fixture
def csv_data(tmp_path):
    """Two classes split by a line in raw units of very different scales, with a header row."""
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(100, 20, 240), rng.normal(0, 0.01, 240)])
    y = np.where((x[:, 0] - 100) / 20 + x[:, 1] / 0.01 > 0, "dog", "cat")
    path = tmp_path / "pets.csv"
    lines = ["weight,ears,kind"] + [f"{a:.6f},{b:.8f},{k}" for (a, b), k in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")
    return path, x, y


def _config(tmp_path, csv_path, **changes):
    config = {"data": {"kind": "csv", "path": str(csv_path), "target": "kind", "test_fraction": 0.25},
              "model": {"type": "Sequential", "children": [
                  ["0", {"type": "Linear", "args": {"in_features": 2, "out_features": 8}}],
                  ["1", {"type": "Tanh"}],
                  ["2", {"type": "Linear", "args": {"in_features": 8, "out_features": 2}}]]},
              "optimizer": {"type": "Adam", "lr": 0.05}, "epochs": 15, "batch_size": 16, "seed": 1, **changes}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_train_from_config_then_evaluate_and_predict_csv(tmp_path, csv_data, capsys):
    csv_path, x, y = csv_data
    out = tmp_path / "pets.bundle"
    assert main(["train", "--config", str(_config(tmp_path, csv_path)), "--out", str(out), "-q"]) == 0
    bundle = load_bundle(out)
    assert bundle.class_names == ["cat", "dog"] and bundle.feature_names == ["weight", "ears"]
    labels = (y == "dog").astype(np.int64)
    expected = _accuracy(bundle, x, labels)
    assert expected > 0.9
    capsys.readouterr()
    assert main(["evaluate", str(out), str(csv_path), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["samples"] == 240 and metrics["accuracy"] == pytest.approx(expected)
    p = bundle.predict(x)
    assert metrics["cross_entropy"] == pytest.approx(-np.mean(np.log(p[np.arange(240), labels])), rel=1e-5)

    rows = tmp_path / "new.csv"
    rows.write_text("ears,weight\n0.005,130\n-0.02,70\n")  # columns in another order: matched by name
    assert main(["predict", str(out), str(rows), "--json", "--top", "1"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = bundle.results(np.array([[130, 0.005], [70, -0.02]]), top=1)
    assert [g["input"] for g in got] == [f"{rows}[0]", f"{rows}[1]"]
    assert [g["label"] for g in got] == [w["label"] for w in want] == ["dog", "cat"]
    assert got[0]["probabilities"][0]["probability"] == pytest.approx(want[0]["probabilities"][0]["probability"])

    bare = tmp_path / "bare.csv"
    bare.write_text("130,0.005\n")  # no header: the columns in training order
    assert main(["predict", str(out), str(bare)]) == 0
    assert re.fullmatch(rf"{re.escape(str(bare))}: dog \(\d+\.\d%\)  cat \(\d+\.\d%\)\n", capsys.readouterr().out)


def test_regression_config(tmp_path, capsys):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 3))
    target = x @ np.array([1.5, -2.0, 0.5]) + 3
    path = tmp_path / "reg.csv"
    path.write_text("a,b,c,t\n" + "".join(f"{a},{b},{c},{t}\n" for (a, b, c), t in zip(x, target)))
    config = _config(tmp_path, path, epochs=40, model={"type": "Linear", "args": {"in_features": 3, "out_features": 1}})
    data = json.loads(config.read_text())
    data["data"].update(target="t", task="regression")
    config.write_text(json.dumps(data))
    out = tmp_path / "reg.bundle"
    assert main(["train", "--config", str(config), "--out", str(out), "-q"]) == 0
    bundle = load_bundle(out)
    assert bundle.class_names is None and bundle.output == "values"
    capsys.readouterr()
    assert main(["evaluate", str(out), str(path), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    pred = bundle.predict(x)[:, 0].astype(np.float64)
    assert metrics["mse"] == pytest.approx(np.mean((pred - target) ** 2), rel=1e-5)
    assert metrics["r2"] > 0.9


# -- images: an MNIST-format folder -----------------------------------------------------------------------

@pytest.fixture
def mnist_dir(tmp_path):
    """A tiny MNIST-format data set: digit k is a bright square at a position of its own."""
    rng = np.random.default_rng(3)

    def make(n):
        y = rng.integers(0, 4, n).astype(np.uint8)
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 4 + 5 * k:10 + 5 * k, 6:22] = 250
        return x, y

    root = tmp_path / "mnist"
    root.mkdir()
    for prefix, n in (("train", 300), ("t10k", 80)):
        x, y = make(n)
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", x)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", y)
    return root


def test_train_mnist_example_then_evaluate_and_predict_images(tmp_path, mnist_dir, capsys):
    Image = pytest.importorskip("PIL.Image")
    out = tmp_path / "digits.bundle"
    assert main(["train", "mnist-mlp", "--data", str(mnist_dir), "--epochs", "2", "--out", str(out), "-q"]) == 0
    bundle = load_bundle(out)
    assert bundle.image_mode == "L" and bundle.input_shape == (28, 28) and len(bundle.class_names) == 10
    from chainrule.data import read_idx
    x = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")
    y = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    capsys.readouterr()
    assert main(["evaluate", str(out), str(mnist_dir), "--json", "--limit", "50"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["samples"] == 50 and metrics["accuracy"] == pytest.approx(_accuracy(bundle, x[:50], y[:50]))
    assert metrics["accuracy"] > 0.9

    Image.fromarray(x[0]).save(tmp_path / "digit.png")
    np.save(tmp_path / "batch.npy", x[1:3])
    assert main(["predict", str(out), str(tmp_path / "digit.png"), str(tmp_path / "batch.npy"), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [g["input"] for g in got] == [str(tmp_path / "digit.png"), f"{tmp_path / 'batch.npy'}[0]",
                                         f"{tmp_path / 'batch.npy'}[1]"]
    assert [g["index"] for g in got] == list(bundle.predict(x[:3]).argmax(axis=1))
    assert [g["index"] for g in got] == list(y[:3])


def test_evaluate_an_image_folder_and_an_npz_file(tmp_path, mnist_dir):
    Image = pytest.importorskip("PIL.Image")
    out = tmp_path / "digits.bundle"
    assert main(["train", "mnist-mlp", "--data", str(mnist_dir), "--epochs", "1", "--out", str(out), "-q"]) == 0
    bundle = load_bundle(out)
    from chainrule.data import read_idx
    x = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[:12]
    y = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:12].astype(np.int64)
    folder = tmp_path / "folder"
    for i, (image, label) in enumerate(zip(x, y)):
        (folder / bundle.class_names[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / bundle.class_names[label] / f"{i}.png")
    np.savez(tmp_path / "test.npz", x=x, y=y)
    from chainrule.cli.evaluation import metrics
    from chainrule.cli.inputs import read_labelled
    for data in (folder, tmp_path / "test.npz"):
        xs, ys = read_labelled(bundle, str(data))
        assert sorted(ys.tolist()) == sorted(y.tolist())
        assert metrics(bundle, xs, ys)["accuracy"] == pytest.approx(_accuracy(bundle, x, y))


# -- failures ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def blobs_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("blobs") / "b.bundle"
    assert main(["train", "blobs-mlp", "--out", str(out), "-q", "--epochs", "1"]) == 0
    return out


@pytest.mark.parametrize("args, message", [
    (["predict", "{bundle}", "{tmp}/missing.npy"], "no such file"),
    (["predict", "{tmp}/missing.bundle", "x.npy"], "No such file"),
    (["predict", "{bundle}", "{tmp}/wrong.npy"], r"expected input of shape \(N, 4\) or \(4\), got \(3,\)"),
    (["predict", "{bundle}", "{tmp}/notes.txt"], "unsupported input"),
    (["predict", "{bundle}", "{tmp}/text.csv"], "categorical"),
    (["evaluate", "{bundle}", "{tmp}/text.csv"], "name the target column with --target"),
    (["evaluate", "{bundle}", "{tmp}/notes.txt"], "expected an MNIST folder"),
    (["train"], "give either an EXAMPLE name or --config"),
    (["train", "--config", "{tmp}/notes.txt"], "not valid JSON"),
    (["train", "--config", "{tmp}/unknown_field.json"], "unknown config fields"),
    (["train", "--config", "{tmp}/bad_optimizer.json"], "optimizer type must be one of"),
    (["train", "--config", "{tmp}/bad_model.json"], "does not run on input"),
    (["train", "mnist-mlp", "--data", "{tmp}/nowhere"], "Dataset not found"),
])
def test_failures_exit_1_with_a_message(tmp_path, blobs_bundle, capsys, args, message):
    np.save(tmp_path / "wrong.npy", np.zeros(3))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "text.csv").write_text("a,b,c,d\nx,y,z,w\n")
    base = json.loads(json.dumps(EXAMPLES["blobs-mlp"]))
    for name, change in (("unknown_field", {"epochz": 3}), ("bad_optimizer", {"optimizer": {"type": "eval"}}),
                         ("bad_model", {"model": {"type": "Linear", "args": {"in_features": 7, "out_features": 3}}})):
        (tmp_path / f"{name}.json").write_text(json.dumps({**base, **change}))
    argv = [a.format(bundle=blobs_bundle, tmp=tmp_path) for a in args]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"chainrule {args[0]}: error:") and re.search(message, err), err


def test_unknown_example_is_a_usage_error():
    result = run("train", "no-such-example")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_serve_command_answers_until_stopped(blobs_bundle):
    proc = subprocess.Popen([sys.executable, "-m", "chainrule.cli.main", "serve", str(blobs_bundle), "--port", "0"],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url + "health", timeout=10) as response:
            assert json.load(response) == {"status": "ok"}
        request = urllib.request.Request(url + "predict", data=json.dumps({"inputs": [50, 60, 70, 80]}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            got = json.load(response)["predictions"][0]
        assert got == load_bundle(blobs_bundle).results([50, 60, 70, 80])[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()
