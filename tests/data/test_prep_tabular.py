"""CSV loading into a Table: column types, missing fields, and errors naming file and line."""
import numpy as np
import pytest

from chainrule.data import Table, as_table, read_csv

CSV = """sepal,petal,species,count
5.1,1.4,setosa,3
4.9,,setosa,2
6.3,4.9,virginica,NA
,5.0,,7
"""


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text(CSV)
    return path


def test_columns_are_typed_numeric_or_categorical(csv_path):
    t = read_csv(csv_path)
    assert t.columns == ["sepal", "petal", "species", "count"] and t.shape == (4, 4)
    assert t["sepal"].dtype == np.float64
    np.testing.assert_array_equal(t["sepal"], [5.1, 4.9, 6.3, np.nan])
    assert t["species"].tolist() == ["setosa", "setosa", "virginica", None]
    np.testing.assert_array_equal(t["count"], [3, 2, np.nan, 7])
    assert t.numeric_columns() == ["sepal", "petal", "count"] and t.categorical_columns() == ["species"]


def test_whole_numbers_without_missing_are_int64(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("x,y\n1,2.5\n3,4\n")
    t = read_csv(path)
    assert t["x"].dtype == np.int64 and t["y"].dtype == np.float64


def test_no_header_and_other_delimiter(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text("1\ta\n2\tb\n\n")
    t = read_csv(path, delimiter="\t", header=False)
    assert t.columns == ["0", "1"] and t["1"].tolist() == ["a", "b"]
    t = read_csv(path, delimiter="\t", header=False, names=["n", "s"])
    assert t["n"].tolist() == [1, 2]


@pytest.mark.parametrize("text,message", [("a,b\n1,2\n3\n", r"line 3: expected 2 fields \(a, b\), got 1"),
                                          ("a,b\n1,2,3\n", r"line 2: expected 2 fields \(a, b\), got 3"),
                                          ("a,a\n1,2\n", "names column 'a' twice"),
                                          ("a,,c\n1,2,3\n", "column 1 has an empty name"),
                                          ("", "the file is empty")])
def test_malformed_csv_names_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as e:
        read_csv(path)
    assert "bad.csv" in str(e.value)


def test_to_numpy_needs_numeric_columns(csv_path):
    t = read_csv(csv_path)
    X = t[["sepal", "count"]].to_numpy()
    assert X.dtype == np.float32 and X.shape == (4, 2)
    with pytest.raises(TypeError, match=r"columns \['species'\] are categorical"):
        t.to_numpy()


def test_table_basics():
    t = Table({"a": [1, 2, 3], "b": ["x", "", None]})
    assert t["b"].tolist() == ["x", None, None]  # empty fields count as missing
    assert t.take([2, 0])["a"].tolist() == [3, 1]
    assert t.drop(["b"]).columns == ["a"]
    t["c"] = [0.5, 1.5, 2.5]
    assert t.columns == ["a", "b", "c"] and "c" in t
    with pytest.raises(ValueError, match="same length"):
        Table({"a": [1, 2], "b": [1]})
    with pytest.raises(KeyError, match="no column 'z'"):
        t["z"]
    with pytest.raises(ValueError, match="column 'd' has 2 rows, the table has 3"):
        t["d"] = [1, 2]
    assert "Table 3 x 3" in repr(t)


class FakeSeries:
    def __init__(self, values):
        self.values = values

    def to_numpy(self):
        return np.asarray(self.values, dtype=object)


class FakeFrame:
    """The part of the pandas DataFrame interface that chainrule uses."""

    def __init__(self, columns):
        self._columns = columns
        self.columns = list(columns)
        self.iloc = None

    def __getitem__(self, name):
        return FakeSeries(self._columns[name])


def test_dataframe_like_objects_become_tables():
    t = as_table(FakeFrame({"n": [1.0, None, 3.0], "s": ["a", "b", np.nan]}))
    np.testing.assert_array_equal(t["n"], [1.0, np.nan, 3.0])
    assert t["s"].tolist() == ["a", "b", None]


def test_real_pandas_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"n": [1.0, None, 3.0], "s": ["a", "b", None]})
    t = as_table(frame)
    np.testing.assert_array_equal(t["n"], [1.0, np.nan, 3.0])
    assert t["s"].tolist() == ["a", "b", None]


def test_rows_of_mixed_values_become_a_table():
    t = as_table([[1, "a"], [2, "b"]])
    assert t["0"].tolist() == [1, 2] and t["1"].tolist() == ["a", "b"]
    with pytest.raises(ValueError, match=r"expected 3 columns"):
        as_table(np.zeros((2, 2)), names=["a", "b", "c"])
