"""train_test_split / train_val_test_split: sizes as scikit-learn computes them, rows kept
together, stratification, seeding, and clear errors."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import Table, train_test_split, train_val_test_split


def _data(n=20):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return X, np.arange(n) % 4


@pytest.mark.parametrize("kwargs,sizes", [(dict(), (15, 5)), (dict(test_size=0.3), (14, 6)),
                                          (dict(test_size=0.33), (13, 7)), (dict(test_size=3), (17, 3)),
                                          (dict(train_size=0.5), (10, 10)), (dict(train_size=0.55), (11, 9)),
                                          (dict(train_size=5, test_size=5), (5, 5))])
def test_sizes_follow_scikit_learn_rounding(kwargs, sizes):
    """test: ceil(test_size * n); train: floor(train_size * n); the other part takes the rest."""
    X, y = _data()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, **kwargs)
    assert (len(X_train), len(X_test)) == sizes == (len(y_train), len(y_test))


def test_rows_stay_together_and_parts_are_disjoint():
    X, y = _data()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=1)
    np.testing.assert_array_equal(X_train[:, 0] / 2 % 4, y_train)
    np.testing.assert_array_equal(X_test[:, 0] / 2 % 4, y_test)
    rows = np.concatenate([X_train[:, 0], X_test[:, 0]]) / 2
    assert sorted(rows.tolist()) == list(range(20))
    assert X_train.dtype == np.float32


def test_seeding():
    X, y = _data()
    a = train_test_split(X, random_state=3)[1]
    assert np.array_equal(a, train_test_split(X, random_state=3)[1])
    assert not np.array_equal(a, train_test_split(X, random_state=4)[1])
    cr.manual_seed(5)
    b = train_test_split(X)[1]
    cr.manual_seed(5)
    assert np.array_equal(b, train_test_split(X)[1])
    assert np.array_equal(train_test_split(X, random_state=cr.Generator().manual_seed(2))[1],
                          train_test_split(X, random_state=cr.Generator().manual_seed(2))[1])


def test_no_shuffle_keeps_order():
    X, _ = _data(10)
    X_train, X_test = train_test_split(X, test_size=0.2, shuffle=False)
    np.testing.assert_array_equal(X_train, X[:8])
    np.testing.assert_array_equal(X_test, X[8:])


@pytest.mark.parametrize("seed", range(5))
def test_stratified_split_keeps_class_shares(seed):
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    X = np.arange(100)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]
    np.testing.assert_array_equal(y[X_test], y_test)


def test_stratified_three_way_split():
    y = np.array(["cat"] * 50 + ["dog"] * 30 + ["bird"] * 20, dtype=object)
    X = np.arange(100)
    parts = train_val_test_split(X, y, val_size=0.1, test_size=0.2, stratify=y, random_state=0)
    X_train, X_val, X_test, y_train, y_val, y_test = parts
    assert (len(X_train), len(X_val), len(X_test)) == (70, 10, 20)
    for part, n in ((y_val, 10), (y_test, 20)):
        assert {c: int((part == c).sum()) for c in ("cat", "dog", "bird")} == {"cat": n // 2, "dog": n * 3 // 10,
                                                                              "bird": n // 5}
    assert sorted(np.concatenate(parts[:3]).tolist()) == list(range(100))


def test_works_on_tensors_lists_and_tables():
    X = cr.arange(10).float().reshape(10, 1)
    names = [f"row{i}" for i in range(10)]
    table = Table({"a": np.arange(10), "b": [str(i) for i in range(10)]})
    X_train, X_test, n_train, n_test, t_train, t_test = train_test_split(X, names, table, test_size=0.3,
                                                                          random_state=0)
    assert isinstance(X_train, cr.Tensor) and X_train.dtype == np.float32 and X_test.shape == (3, 1)
    assert n_test == [f"row{int(v)}" for v in X_test.numpy()[:, 0]]
    assert isinstance(t_test, Table) and t_test["a"].tolist() == [int(v) for v in X_test.numpy()[:, 0]]


def test_different_lengths_name_each_argument():
    with pytest.raises(ValueError, match="argument 0 has 10, argument 1 has 9 rows"):
        train_test_split(np.zeros(10), np.zeros(9))


@pytest.mark.parametrize("kwargs,message", [(dict(test_size=1.5), "test_size=1.5 should be"),
                                            (dict(test_size=10), "test_size=10 should be"),
                                            (dict(test_size=0.6, train_size=0.6), "should be smaller"),
                                            (dict(train_size=0.05), "train set will be empty")])
def test_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_test_split(np.zeros(10), **kwargs)


def test_stratify_errors():
    with pytest.raises(ValueError, match="least populated class.*only 1 member"):
        train_test_split(np.zeros(6), stratify=[0, 0, 0, 1, 1, 2])
    with pytest.raises(ValueError, match="shuffle=False"):
        train_test_split(np.zeros(6), stratify=[0, 1] * 3, shuffle=False)
    with pytest.raises(ValueError, match="test part has 2 samples, fewer than the 3 classes"):
        train_test_split(np.zeros(9), test_size=2, stratify=[0, 1, 2] * 3)
    with pytest.raises(ValueError, match="train set will be empty"):
        train_val_test_split(np.zeros(10), val_size=0.5, test_size=0.5)
