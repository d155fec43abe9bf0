"""One-hot and label encoding: categories from training data, unknown values are errors."""
import numpy as np
import pytest

from chainrule.data import LabelEncoder, NotFittedError, OneHotEncoder, Table


def test_label_encoder_sorted_classes_and_round_trip():
    enc = LabelEncoder().fit(["dog", "cat", "dog", "bird"])
    assert enc.classes_ == ["bird", "cat", "dog"]
    idx = enc.transform(["cat", "dog", "bird"])
    assert idx.dtype == np.int64 and idx.tolist() == [1, 2, 0]
    assert enc.inverse_transform(idx).tolist() == ["cat", "dog", "bird"]
    assert LabelEncoder().fit_transform([3, 1, 3]).tolist() == [1, 0, 1]


def test_label_encoder_errors(tmp_path):
    enc = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match=r"previously unseen labels: \['c'\] \(first at row 1\)"):
        enc.transform(["a", "c"])
    with pytest.raises(ValueError, match=r"previously unseen labels: \[2\].*\[0, 1\]"):
        enc.inverse_transform([0, 2])
    with pytest.raises(NotFittedError):
        LabelEncoder().transform(["a"])
    with pytest.raises(ValueError, match="missing values at rows \\[1\\]"):
        LabelEncoder().fit(["a", None])
    enc.save(tmp_path / "labels.npz")
    assert LabelEncoder.load(tmp_path / "labels.npz").transform(["b"]).tolist() == [1]


def test_one_hot_closed_form():
    train = Table({"color": ["red", "blue", "red"], "size": ["S", "M", "L"]})
    enc = OneHotEncoder().fit(train)
    assert enc.categories_ == [["blue", "red"], ["L", "M", "S"]]
    assert enc.get_feature_names_out() == ["color_blue", "color_red", "size_L", "size_M", "size_S"]
    out = enc.transform(Table({"color": ["blue", "red"], "size": ["L", "S"]}))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 0, 1, 0, 0], [0, 1, 0, 0, 1]])
    assert enc.inverse_transform(out)["size"].tolist() == ["L", "S"]


def test_one_hot_on_arrays_and_unknown_categories(tmp_path):
    enc = OneHotEncoder().fit(np.array([["a"], ["b"]], dtype=object))
    with pytest.raises(ValueError, match=r"unknown categories \['z'\] in column '0' during transform .first at row 1"):
        enc.transform(np.array([["a"], ["z"]], dtype=object))
    ignoring = OneHotEncoder(handle_unknown="ignore").fit(np.array([["a"], ["b"]], dtype=object))
    np.testing.assert_array_equal(ignoring.transform(np.array([["z"], ["b"]], dtype=object)), [[0, 0], [0, 1]])
    with pytest.raises(ValueError, match=r"expected 1 columns"):
        enc.transform(np.array([["a", "b"]], dtype=object))
    ignoring.save(tmp_path / "onehot.npz")
    loaded = OneHotEncoder.load(tmp_path / "onehot.npz")
    assert loaded.handle_unknown == "ignore" and loaded.categories_ == [["a", "b"]]
    np.testing.assert_array_equal(loaded.transform(np.array([["b"]], dtype=object)), [[0, 1]])


def test_one_hot_refuses_missing_values():
    with pytest.raises(ValueError, match="column 'c' has missing values at rows \\[1\\]"):
        OneHotEncoder().fit(Table({"c": ["x", ""]}))
