"""StandardScaler and MinMaxScaler: closed forms, dtypes, training-only statistics, errors, and
state saved and loaded without pickle."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import MinMaxScaler, NotFittedError, StandardScaler


@pytest.fixture
def split(rng):
    train = rng.normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    test = rng.normal(3.0, 2.0, size=(10, 4)).astype(np.float32)
    return train, test


def test_standard_scaler_closed_form_uses_training_statistics_only(split):
    train, test = split
    scaler = StandardScaler().fit(train)
    mean = train.astype(np.float64).mean(axis=0)
    std = np.sqrt(((train.astype(np.float64) - mean) ** 2).mean(axis=0))  # population std (ddof 0)
    np.testing.assert_allclose(scaler.mean_, mean)
    np.testing.assert_allclose(scaler.scale_, std)
    out = scaler.transform(test)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (test - mean) / std, rtol=1e-5, atol=1e-6)
    z = scaler.fit_transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_transform(z), train, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype,expected", [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.int64, np.float32), (np.uint8, np.float32)])
@pytest.mark.parametrize("cls", [StandardScaler, MinMaxScaler])
def test_output_dtype_never_silently_promoted(dtype, expected, cls):
    X = (np.arange(12).reshape(6, 2) * 3).astype(dtype)
    scaler = cls().fit(X)
    assert scaler.transform(X).dtype == expected
    assert scaler.inverse_transform(scaler.transform(X)).dtype == expected


def test_tensors_in_give_tensors_out(split):
    train, _ = split
    t = cr.from_numpy(train)
    out = StandardScaler().fit(t).transform(t)
    assert isinstance(out, cr.Tensor) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), StandardScaler().fit_transform(train), rtol=1e-6)


def test_constant_feature_is_not_divided_by_zero():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]], np.float32)
    s = StandardScaler().fit(X)
    assert s.scale_[1] == 1.0
    np.testing.assert_array_equal(s.transform(X)[:, 1], 0.0)
    m = MinMaxScaler().fit(X)
    np.testing.assert_array_equal(m.transform(X)[:, 1], 0.0)


def test_standard_scaler_without_mean_or_std():
    X = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(StandardScaler(with_mean=False).fit_transform(X), X / np.array([1.0, 2.0]))
    np.testing.assert_allclose(StandardScaler(with_std=False).fit_transform(X), X - np.array([2.0, 4.0]))


def test_min_max_scaler_closed_form_and_clip(split):
    train, test = split
    lo, hi = -1.0, 2.0
    scaler = MinMaxScaler(feature_range=(lo, hi)).fit(train)
    mn, mx = train.min(axis=0), train.max(axis=0)
    expected = (test - mn) / (mx - mn) * (hi - lo) + lo
    np.testing.assert_allclose(scaler.transform(test), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scaler.fit_transform(train).min(axis=0), lo, atol=1e-6)
    np.testing.assert_allclose(scaler.fit_transform(train).max(axis=0), hi, atol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test, rtol=1e-5, atol=1e-5)
    clipped = MinMaxScaler(feature_range=(lo, hi), clip=True).fit(train).transform(train * 10)
    assert clipped.min() >= lo and clipped.max() <= hi


@pytest.mark.parametrize("cls", [StandardScaler, MinMaxScaler])
@pytest.mark.parametrize("method", ["transform", "inverse_transform", "state_dict"])
def test_use_before_fit_is_a_clear_error(cls, method):
    with pytest.raises(NotFittedError, match=f"not fitted yet.*before '{method}'") as e:
        getattr(cls(), method)(*([np.zeros((2, 2))] if method != "state_dict" else []))
    assert isinstance(e.value, ValueError) and isinstance(e.value, AttributeError)


@pytest.mark.parametrize("cls", [StandardScaler, MinMaxScaler])
def test_bad_inputs(cls):
    scaler = cls().fit(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4 features"):
        scaler.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected a 2D array.*reshape\(-1, 1\)"):
        cls().fit(np.zeros(5))
    bad = np.ones((4, 3))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="holds nan at row 2, column 1"):
        cls().fit(bad)
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="holds inf at row 2, column 1"):
        scaler.transform(np.hstack([bad, bad[:, :1]]))
    with pytest.raises(TypeError, match="encode categorical columns"):
        cls().fit(np.array([["a", "b"]]))


def test_min_max_scaler_rejects_empty_range():
    with pytest.raises(ValueError, match="Minimum of desired feature range must be smaller"):
        MinMaxScaler(feature_range=(1, 0))


@pytest.mark.parametrize("cls,kwargs", [(StandardScaler, {}), (StandardScaler, {"with_mean": False}),
                                        (MinMaxScaler, {"feature_range": (-1, 1), "clip": True})])
def test_save_and_load_reproduce_the_training_transformation(tmp_path, split, cls, kwargs):
    train, test = split
    scaler = cls(**kwargs).fit(train)
    path = tmp_path / "scaler.npz"
    scaler.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scaler.npz"]  # no temporary file left
    with np.load(path, allow_pickle=False) as f:  # readable without pickle
        assert all(f[name].dtype != object for name in f.files)
    loaded = cls.load(path)
    np.testing.assert_array_equal(loaded.transform(test), scaler.transform(test))
    for name, value in kwargs.items():
        assert getattr(loaded, name) == value


def test_state_dict_is_plain_and_round_trips(split):
    train, test = split
    scaler = MinMaxScaler((0, 10)).fit(train)
    state = scaler.state_dict()
    assert all(isinstance(v, (np.ndarray, int, float, bool, tuple)) for v in state.values())
    other = MinMaxScaler().load_state_dict(state)
    np.testing.assert_array_equal(other.transform(test), scaler.transform(test))
    state["scale_"] = state["scale_"][:2]
    with pytest.raises(ValueError, match=r"scale_ has shape \(2,\), expected \(4,\)"):
        MinMaxScaler().load_state_dict(state)
    with pytest.raises(KeyError, match=r"missing keys \['min_'\]"):
        MinMaxScaler().load_state_dict({k: v for k, v in scaler.state_dict().items() if k != "min_"})


def test_loading_the_wrong_class_is_refused(tmp_path, split):
    StandardScaler().fit(split[0]).save(tmp_path / "s.npz")
    with pytest.raises(ValueError, match="holds a StandardScaler, not a MinMaxScaler"):
        MinMaxScaler.load(tmp_path / "s.npz")


def test_scaler_state_travels_in_a_model_checkpoint(tmp_path, split):
    """Saved beside the weights with chainrule.save, loaded back for deployment."""
    train, test = split
    scaler = StandardScaler().fit(train)
    checkpoint = {"model": {"weight": cr.randn(2, 4)}, "scaler": scaler.state_dict()}
    cr.save(checkpoint, tmp_path / "checkpoint.safetensors")
    restored = cr.load(tmp_path / "checkpoint.safetensors")
    deployed = StandardScaler().load_state_dict(restored["scaler"])
    np.testing.assert_array_equal(deployed.transform(test), scaler.transform(test))
