"""Model bundles: predictions after save/load are identical and apply exactly the training preprocessing
(checked against closed forms and PyTorch), inputs are validated, and truncated, corrupted or hostile
files are refused with a BundleError."""
import io
import json
import threading

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.data import MinMaxScaler, StandardScaler, transforms as T
from chainrule.io.bundle import BUNDLE_KEY, Bundle, BundleError, InputError, load_bundle, save_bundle
from chainrule.io.serialization import read_safetensors, write_safetensors
from chainrule.nn import spec as S
from tests.conftest import requires_torch

CLASSES = ["setosa", "versicolor", "virginica"]


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    for t in model.state_dict().values():
        if t.dtype.kind == "f":
            t.numpy()[...] = rng.normal(0, 0.5, t.shape)
    return model


@pytest.fixture
def data(rng):
    """Raw features far from standardized (so a forgotten scaler shows), split train / new."""
    x = rng.normal([5, -20, 300, 0.01], [1, 4, 50, 0.002], size=(60, 4)).astype(np.float32)
    return x[:40], x[40:]


@pytest.fixture
def tabular(tmp_path, data):
    train, _ = data
    model = _randomize(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)))
    path = tmp_path / "iris.bundle"
    bundle = save_bundle(model, path, (4,), preprocess=[StandardScaler().fit(train)], class_names=CLASSES,
                         feature_names=["a", "b", "c", "d"], target="species",
                         metadata={"metrics": {"test_accuracy": 0.93}})
    return bundle, path


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_round_trip_gives_identical_predictions_with_the_training_preprocessing(tabular, data):
    bundle, path = tabular
    train, new = data
    loaded = load_bundle(path)
    p = loaded.predict(new)
    np.testing.assert_array_equal(p, bundle.predict(new))
    assert p.dtype == np.float32 and p.shape == (20, 3)
    # closed form in float64 from the raw data: standardize with the training mean and population std
    z = (new.astype(np.float64) - train.mean(axis=0)) / train.std(axis=0)
    w = {k: v.numpy().astype(np.float64) for k, v in loaded.model.state_dict().items()}
    h = np.tanh(z @ w["0.weight"].T + w["0.bias"])
    np.testing.assert_allclose(p, _softmax(h @ w["2.weight"].T + w["2.bias"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)


def test_metadata_names_and_description_survive(tabular):
    _, path = tabular
    loaded = load_bundle(path)
    assert loaded.class_names == CLASSES and loaded.feature_names == ["a", "b", "c", "d"]
    assert loaded.target == "species" and loaded.input_shape == (4,) and loaded.input_dtype == "float32"
    assert loaded.metadata["metrics"] == {"test_accuracy": 0.93}
    assert loaded.metadata["library_version"] == cr.__version__
    assert json.loads(json.dumps(loaded.info()))["class_names"] == CLASSES
    assert not loaded.model.training


def test_results_list_labels_and_sorted_probabilities(tabular, data):
    bundle, _ = tabular
    p = bundle.predict(data[1][:2])
    results = bundle.results(data[1][:2], top=2)
    for row, probs in zip(results, p):
        best = int(probs.argmax())
        assert row["index"] == best and row["label"] == CLASSES[best]
        assert [c["index"] for c in row["probabilities"]] == list(np.argsort(-probs)[:2])
        assert row["probabilities"][0]["probability"] == pytest.approx(float(probs[best]))


def test_weights_are_plain_safetensors(tabular):
    bundle, path = tabular
    plain = cr.load(path)
    for key, value in bundle.model.state_dict().items():
        np.testing.assert_array_equal(plain["model." + key].numpy(), value.numpy())
    numpy_st = pytest.importorskip("safetensors.numpy")
    assert set(numpy_st.load_file(str(path))) == set(plain)


def test_float64_model_and_min_max_scaler(tmp_path, data):
    train, new = data
    model = _randomize(nn.Sequential(nn.Linear(4, 2))).double()
    path = tmp_path / "reg.bundle"
    bundle = save_bundle(model, path, 4, preprocess=[MinMaxScaler((-1, 1)).fit(train)])
    loaded = load_bundle(path)
    assert loaded.output == "values" and loaded.model[0].weight.dtype == np.float64
    out = loaded.predict(new)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, bundle.predict(new))
    lo, hi = train.min(axis=0).astype(np.float64), train.max(axis=0).astype(np.float64)
    z = (new - lo) / (hi - lo) * 2 - 1
    w, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    np.testing.assert_allclose(out, z @ w.T + b, rtol=1e-5)
    assert loaded.results(new[:1]) == [{"values": out[0].tolist()}]


def test_log_probability_output_is_exponentiated(tmp_path, data):
    model = _randomize(nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1)))
    bundle = save_bundle(model, tmp_path / "m.bundle", (4,), class_names=CLASSES, output="log_probabilities")
    p = load_bundle(tmp_path / "m.bundle").predict(data[1])
    np.testing.assert_array_equal(p, bundle.predict(data[1]))
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)


def _image_model():
    return _randomize(nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                    nn.Linear(3 * 4 * 4, 4)), seed=3)


@requires_torch
def test_image_bundle_matches_pytorch_on_raw_pixels(tmp_path, rng):
    import torch
    model = _image_model()
    path = tmp_path / "img.bundle"
    save_bundle(model, path, (8, 8), image_mode="L", class_names=list("abcd"),
                preprocess=T.Compose([T.ToTensor(), T.Normalize([0.25], [0.5])]))
    raw = rng.integers(0, 256, (5, 8, 8), dtype=np.uint8)
    p = load_bundle(path).predict(raw)
    ref = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(48, 4))
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    x = (torch.from_numpy(raw).float()[:, None] / 255 - 0.25) / 0.5
    with torch.no_grad():
        expected = torch.softmax(ref(x), dim=1).numpy()
    np.testing.assert_allclose(p, expected, rtol=1e-4, atol=1e-6)


def test_read_image_decodes_converts_and_resizes(tmp_path, rng):
    Image = pytest.importorskip("PIL.Image")
    bundle = Bundle(_image_model(), (8, 8), image_mode="L", class_names=list("abcd"), preprocess=[T.ToTensor()])
    gray = rng.integers(0, 256, (8, 8), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, format="PNG")
    np.testing.assert_array_equal(bundle.read_image(buf.getvalue()), gray)
    rgb = np.zeros((16, 24, 3), np.uint8)
    rgb[..., 1] = 200  # pure green: luminance 0.587 * 200
    Image.fromarray(rgb).save(tmp_path / "green.png")
    out = bundle.read_image(tmp_path / "green.png")
    assert out.shape == (8, 8) and out.dtype == np.uint8
    assert np.all(np.abs(out.astype(int) - round(0.587 * 200)) <= 1)
    with pytest.raises(InputError, match="cannot read the image"):
        bundle.read_image(b"\x89PNG\r\n\x1a\nnot really")


def test_images_above_the_pixel_limit_are_refused_before_decoding(monkeypatch):
    Image = pytest.importorskip("PIL.Image")
    import chainrule.io.bundle as bundle_module
    monkeypatch.setattr(bundle_module, "MAX_IMAGE_PIXELS", 100)
    bundle = Bundle(_image_model(), (8, 8), image_mode="L", class_names=list("abcd"), preprocess=[T.ToTensor()])
    buf = io.BytesIO()
    Image.new("L", (20, 20)).save(buf, format="PNG")
    with pytest.raises(InputError, match="20 x 20 pixels, more than 100 allowed"):
        bundle.read_image(buf.getvalue())


def test_read_image_refuses_for_a_tabular_model(tabular):
    with pytest.raises(InputError, match="not images"):
        tabular[0].read_image(b"")


# -- input validation ---------------------------------------------------------------------------------

def test_one_sample_or_a_batch(tabular, data):
    bundle, _ = tabular
    one = data[1][0]
    assert bundle.as_batch(one).shape == (1, 4)
    assert bundle.as_batch(one.tolist()).dtype == np.float32
    np.testing.assert_allclose(bundle.predict(one), bundle.predict(data[1])[:1], rtol=1e-6)


@pytest.mark.parametrize("raw, message", [
    ([1, 2, 3], r"expected input of shape \(N, 4\) or \(4\), got \(3,\)"),
    ([[1, 2, 3, 4], [1, 2]], "not a regular array|mixed"),
    ([["a", "b", "c", "d"]], "expected numbers"),
    ([[True, False, True, False]], "expected numbers"),
    ([[1, 2, float("nan"), 4]], "NaN"),
    (np.zeros((0, 4)), "no samples"),
    ({"x": 1}, "expected numbers"),
])
def test_bad_inputs_are_input_errors(tabular, raw, message):
    with pytest.raises(InputError, match=message):
        tabular[0].predict(raw)


def test_pixel_inputs_must_be_whole_numbers_in_range():
    bundle = Bundle(_image_model(), (8, 8), image_mode="L", class_names=list("abcd"), preprocess=[T.ToTensor()])
    with pytest.raises(InputError, match=r"0\.\.255"):
        bundle.predict(np.full((8, 8), 256))
    with pytest.raises(InputError, match="whole numbers"):
        bundle.predict(np.full((8, 8), 0.5))
    assert bundle.as_batch(np.full((8, 8), 255.0)).dtype == np.uint8


def test_predict_from_many_threads_is_consistent(tabular, data):
    bundle, _ = tabular
    expected = bundle.predict(data[1])
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(bundle.predict(data[1]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 80
    assert all(np.array_equal(r, expected) for r in results)
    assert cr.is_grad_enabled()


# -- making a bundle: inconsistent settings are refused up front -----------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"input_shape": (4,), "class_names": ["a", "b"]}, "outputs of shape \\(3,\\) per sample but there are 2"),
    ({"input_shape": (5,), "class_names": CLASSES}, "does not run on input of shape \\(N, 5\\)"),
    ({"input_shape": (4,), "output": "probabilities"}, "give class_names"),
    ({"input_shape": (4,), "output": "scores", "class_names": CLASSES}, "output must be one of"),
    ({"input_shape": (4,), "image_mode": "CMYK", "class_names": CLASSES}, "image_mode must be"),
    ({"input_shape": (2, 2), "image_mode": "RGB", "class_names": CLASSES}, r"needs input_shape \(H, W, 3\)"),
    ({"input_shape": (0,), "class_names": CLASSES}, "positive ints"),
    ({"input_shape": (4,), "input_dtype": "object", "class_names": CLASSES}, "input_dtype"),
    ({"input_shape": (4,), "feature_names": ["a"], "class_names": CLASSES}, "1 feature_names"),
    ({"input_shape": (4,), "preprocess": [lambda x: x], "class_names": CLASSES}, "stores ToTensor"),
    ({"input_shape": (4,), "metadata": {"bad": object()}, "class_names": CLASSES}, "JSON values"),
])
def test_inconsistent_bundles_are_refused_when_made(tmp_path, options, message):
    model = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(BundleError, match=message):
        save_bundle(model, tmp_path / "x.bundle", options.pop("input_shape"), **options)
    assert not (tmp_path / "x.bundle").exists()


def test_unregistered_custom_module_cannot_be_bundled(tmp_path):
    class Mine(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(S.SpecError, match="register"):
        save_bundle(nn.Sequential(nn.Linear(4, 3), Mine()), tmp_path / "x.bundle", (4,), class_names=CLASSES)


class Residual(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return x + self.fc(x)


def test_custom_module_is_resolved_only_through_the_registry(tmp_path, data):
    S.register(Residual)
    try:
        model = _randomize(nn.Sequential(Residual(4), nn.Linear(4, 3)))
        bundle = save_bundle(model, tmp_path / "res.bundle", (4,), class_names=CLASSES)
        np.testing.assert_array_equal(load_bundle(tmp_path / "res.bundle").predict(data[1]),
                                      bundle.predict(data[1]))
    finally:
        S.unregister("Residual")
    with pytest.raises(BundleError, match="unknown layer type 'Residual'"):
        load_bundle(tmp_path / "res.bundle")
    loaded = load_bundle(tmp_path / "res.bundle", custom={"Residual": Residual})
    np.testing.assert_array_equal(loaded.predict(data[1]), bundle.predict(data[1]))


# -- hostile and damaged files ---------------------------------------------------------------------------

def _rewrite(src, dst, edit=None, arrays_edit=None):
    """A copy of bundle `src` at `dst` with its JSON document and/or arrays changed."""
    arrays, header = read_safetensors(src.read_bytes())
    doc = json.loads(header[BUNDLE_KEY])
    if edit:
        edit(doc)
    if arrays_edit:
        arrays_edit(arrays)
    header[BUNDLE_KEY] = json.dumps(doc)
    with open(dst, "wb") as f:
        write_safetensors(arrays, f, header)
    return dst


def _set(path, value):
    def edit(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


HOSTILE = {
    "unknown layer": (_set(["spec", "children", 0, 1, "type"], "subprocess.Popen"), None, "unknown layer type"),
    "bad layer argument": (_set(["spec", "children", 0, 1, "args", "in_features"], "4"), None, "cannot build"),
    "extra layer argument": (_set(["spec", "children", 0, 1, "args", "__class__"], 1), None, "unknown argument"),
    "weights of another shape": (_set(["spec", "children", 0, 1, "args", "out_features"], 9), None,
                                 "do not match the architecture"),
    "missing weight": (None, lambda a: a.pop("model.2.bias"), "Missing key"),
    "extra weight": (None, lambda a: a.update({"model.9.weight": np.zeros(2, np.float32)}), "Unexpected key"),
    "integer weight": (None, lambda a: a.update({"model.0.bias": np.zeros(8, np.int32)}), "is int32"),
    "mixed float dtypes": (None, lambda a: a.update({"model.0.bias": np.zeros(8, np.float64)}), "mix floating"),
    "wrong class count": (_set(["class_names"], ["a", "b"]), None, "there are 2 class_names"),
    "class names not strings": (_set(["class_names"], [1, 2, 3]), None, "class_names must be strings"),
    "field of the wrong type": (_set(["input_shape"], "4"), None, "'input_shape' is missing or of the wrong type"),
    "input shape the model refuses": (lambda doc: doc.update(input_shape=[5], feature_names=None), None,
                                      "does not run on input"),
    "feature names of another count": (_set(["feature_names"], ["a"]), None, "1 feature_names"),
    "absurd input shape": (_set(["input_shape"], [-1]), None, "positive ints"),
    "future format": (_set(["format_version"], 99), None, "format version 99"),
    "unknown preprocessing": (_set(["preprocess", 0, "type"], "PickledFunction"), None, "unknown type"),
    "scaler state of another size": (None, lambda a: a.update({"preprocess.0.mean_": np.zeros(3)}),
                                     "preprocessing step 0 .*shape"),
    "scaler state naming a missing array": (_set(["preprocess", 0, "state", "mean_"], {"array": "nope"}), None,
                                            "names an array the file does not hold"),
    "scaler state with unknown keys": (_set(["preprocess", 0, "state", "evil"], 1), None, "unexpected keys"),
    "bad input dtype": (_set(["input_dtype"], "object"), None, "input_dtype"),
    "spec not an object": (_set(["spec"], "Linear"), None, "expected an object"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bundles_are_refused(tabular, tmp_path, case):
    edit, arrays_edit, message = HOSTILE[case]
    path = _rewrite(tabular[1], tmp_path / "bad.bundle", edit, arrays_edit)
    with pytest.raises(BundleError, match=message):
        load_bundle(path)


def test_not_a_bundle(tmp_path, tabular):
    cr.save({"w": cr.zeros(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(BundleError, match="not a chainrule bundle"):
        load_bundle(tmp_path / "plain.safetensors")
    arrays, header = read_safetensors(tabular[1].read_bytes())
    header[BUNDLE_KEY] = "{not json"
    with open(tmp_path / "nojson.bundle", "wb") as f:
        write_safetensors(arrays, f, header)
    with pytest.raises(BundleError, match="not valid JSON"):
        load_bundle(tmp_path / "nojson.bundle")
    header[BUNDLE_KEY] = "[" * 100000 + "]" * 100000
    with open(tmp_path / "deep.bundle", "wb") as f:
        write_safetensors(arrays, f, header)
    with pytest.raises(BundleError):
        load_bundle(tmp_path / "deep.bundle")
    (tmp_path / "pickle.bundle").write_bytes(b"\x80\x04\x95" + b"\x00" * 64)
    with pytest.raises(BundleError, match="not a valid safetensors file"):
        load_bundle(tmp_path / "pickle.bundle")


def test_truncated_files_are_refused(tabular, tmp_path):
    data = tabular[1].read_bytes()
    for cut in (0, 7, 8, 100, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.bundle").write_bytes(data[:cut])
        with pytest.raises(BundleError):
            load_bundle(tmp_path / "cut.bundle")


def test_corrupted_bytes_never_crash_the_loader(tabular, tmp_path):
    """Every flipped byte gives either a BundleError or a valid bundle (a flip inside the weights)."""
    data = bytearray(tabular[1].read_bytes())
    rng = np.random.default_rng(1)
    path = tmp_path / "flip.bundle"
    outcomes = set()
    for position in rng.integers(0, len(data), 60):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            load_bundle(path)
            outcomes.add("loaded")
        except BundleError:
            outcomes.add("refused")
    assert "refused" in outcomes


def test_bundling_leaves_the_training_mode_alone_and_predicts_in_eval_mode(tmp_path, data):
    model = _randomize(nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.BatchNorm1d(16), nn.Linear(16, 3)))
    model.train()
    model[2].running_var.numpy()[...] = np.linspace(0.5, 2, 16)
    running = model[2].running_mean.numpy().copy()
    bundle = save_bundle(model, tmp_path / "m.bundle", (4,), class_names=CLASSES)
    first, second = bundle.predict(data[1]), bundle.predict(data[1])
    assert model.training and np.array_equal(first, second)  # no dropout noise: evaluation mode
    np.testing.assert_array_equal(model[2].running_mean.numpy(), running)  # running statistics untouched
    np.testing.assert_array_equal(load_bundle(tmp_path / "m.bundle").predict(data[1]), first)
