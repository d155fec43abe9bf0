"""Cleaning: the missing-value and duplicate report, dropping rows, imputation, and the checks
that stop bad values before training."""
import numpy as np
import pytest

from chainrule.data import (SimpleImputer, Table, check_finite, check_labels, data_report, drop_duplicates,
                            drop_missing, duplicate_rows)


@pytest.fixture
def table():
    return Table({"age": [30.0, np.nan, 30.0, 41.0, 30.0],
                  "city": ["Paris", "", "Paris", None, "Paris"],
                  "id": [1, 2, 1, 3, 1]})


def test_report_counts_missing_and_duplicates_per_column(table):
    report = data_report(table)
    assert report.n_rows == 5
    assert (report["age"].missing, report["age"].missing_rows) == (1, [1])
    assert (report["city"].missing, report["city"].missing_rows) == (2, [1, 3])  # empty field and None
    assert report["city"].kind == "categorical" and report["age"].kind == "numeric"
    assert (report["id"].unique, report["id"].duplicated) == (3, 2)
    assert report.duplicate_rows == [2, 4]
    assert report.missing_rows == [1, 3]
    text = str(report)
    assert "rows with missing values: 2 (1, 3)" in text and "duplicate rows (same as an earlier row): 2 (2, 4)" in text


def test_report_of_a_plain_array_with_nan():
    X = np.array([[1.0, np.nan], [1.0, np.nan], [2.0, 3.0]])
    report = data_report(X)
    assert report["1"].missing == 2 and report.duplicate_rows == [1]  # NaN rows compare equal


def test_drop_missing_and_duplicates(table):
    assert drop_missing(table)["id"].tolist() == [1, 1, 1]
    assert drop_missing(table, columns=["age"])["id"].tolist() == [1, 1, 3, 1]
    assert drop_duplicates(table)["id"].tolist() == [1, 2, 3]
    assert duplicate_rows(table, columns=["city"]) == [2, 3, 4]


@pytest.mark.parametrize("strategy,expected", [("mean", (30 + 30 + 41 + 30) / 4), ("median", 30.0),
                                               ("most_frequent", 30.0), ("constant", 0)])
def test_imputation_of_numeric_columns(table, strategy, expected):
    imputer = SimpleImputer(strategy=strategy).fit(table[["age", "id"]])
    out = imputer.transform(table[["age", "id"]])
    assert out["age"][1] == pytest.approx(expected)
    assert out["id"].tolist() == [1, 2, 1, 3, 1]
    assert np.isnan(table["age"][1])  # the input is not changed


def test_imputation_of_categorical_columns(table):
    out = SimpleImputer(strategy="most_frequent").fit_transform(table[["city"]])
    assert out["city"].tolist() == ["Paris"] * 5
    out = SimpleImputer(strategy="constant", fill_value="unknown").fit_transform(table[["city"]])
    assert out["city"].tolist() == ["Paris", "unknown", "Paris", "unknown", "Paris"]
    with pytest.raises(ValueError, match="column 'city' is categorical"):
        SimpleImputer(strategy="mean").fit(table)


def test_most_frequent_tie_takes_the_smallest():
    out = SimpleImputer(strategy="most_frequent").fit_transform(np.array([[2.0], [1.0], [np.nan]]))
    assert out[2, 0] == 1.0


def test_imputer_learns_from_training_data_only_and_keeps_array_dtype():
    train = np.array([[1.0, 10.0], [3.0, np.nan]], np.float32)
    test = np.array([[np.nan, np.nan]], np.float32)
    imputer = SimpleImputer().fit(train)
    out = imputer.transform(test)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[2.0, 10.0]])


def test_imputer_errors_and_saving(tmp_path):
    with pytest.raises(ValueError, match="column '0' has no value in the training data"):
        SimpleImputer().fit(np.array([[np.nan], [np.nan]]))
    with pytest.raises(ValueError, match="Can only use these strategies"):
        SimpleImputer(strategy="mode")
    imputer = SimpleImputer(strategy="most_frequent").fit(Table({"c": ["a", "b", "b"], "n": [1.0, 2.0, 2.0]}))
    with pytest.raises(ValueError, match=r"fitted on columns \['c', 'n'\], got \['n'\]"):
        imputer.transform(Table({"n": [1.0]}))
    imputer.save(tmp_path / "imputer.npz")
    loaded = SimpleImputer.load(tmp_path / "imputer.npz")
    assert loaded.transform(Table({"c": [None], "n": [np.nan]}))["c"].tolist() == ["b"]
    assert loaded.strategy == "most_frequent"


def test_check_finite_names_row_and_column():
    X = np.ones((3, 2))
    check_finite(X)
    X[1, 0] = np.inf
    with pytest.raises(ValueError, match="features holds inf at row 1, column 0 .1 non-finite value in all"):
        check_finite(X, "features")


def test_check_labels():
    np.testing.assert_array_equal(check_labels(np.array([0.0, 2.0]), 3), [0, 2])
    with pytest.raises(ValueError, match=r"out of range: row 1 holds 3, expected \[0, 2\]"):
        check_labels([0, 3, 1], 3)
    with pytest.raises(ValueError, match="out of range: row 0 holds -1"):
        check_labels([-1, 0])
    with pytest.raises(ValueError, match="row 1 holds 0.5"):
        check_labels([1.0, 0.5])
    with pytest.raises(TypeError, match="LabelEncoder"):
        check_labels(["cat", "dog"])
