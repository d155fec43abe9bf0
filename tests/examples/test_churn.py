"""The churn example in full (2,000 rows, a second): cleaning, training, saving, and predicting new
customers, checked against the hidden model the data were generated from."""
import filecmp

import numpy as np
import pytest

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import churn
    return churn.main(["--quiet", "--out", str(tmp_path_factory.mktemp("churn"))])


def test_beats_always_answering_stays(run):
    assert run["test_accuracy"] > run["majority_class_accuracy"] + 0.03
    assert 0 < run["churn_recall"] <= 1 and 0 < run["churn_precision"] <= 1


def test_new_customers_get_the_hidden_models_probabilities(run):
    import make_churn
    truth = make_churn.churn_probability(make_churn.new_customers())
    predicted = np.array([row["churn_probability"] for row in run["predictions"]])
    assert [row["customer"] for row in run["predictions"]] == [f"N{200000 + i}" for i in range(5)]
    np.testing.assert_allclose(predicted, truth, atol=0.2)
    assert list(np.argsort(predicted)) == list(np.argsort(truth))


def test_saved_file_holds_model_and_preparation(run):
    import churn
    from chainrule.data import read_csv
    model, features, labels = churn.load_model(run["model_file"])
    assert list(labels.classes_) == ["no", "yes"]
    assert {str(p.dtype) for p in model.parameters()} == {"float32"}
    table = churn.clean(read_csv(EXAMPLES / "data" / "churn_new.csv"))
    x = features.transform(table)
    assert x.dtype == np.float32 and np.isfinite(x).all()        # missing and misspelled fields were handled


def test_cleaning_unifies_spellings_and_drops_impossible_ages():
    import churn_features
    from chainrule.data import Table
    table = churn_features.clean(Table({
        "age": [30, 999, None], "tenure_months": [1, 2, 3], "monthly_charges": [20.0, 30.0, 40.0],
        "total_charges": [20.0, None, 120.0], "support_calls": [0, 1, 2],
        "contract": ["Month-to-month", "MONTH-TO-MONTH", None], "internet_service": ["DSL", "dsl", "Fiber  Optic"],
        "payment_method": ["Mailed check"] * 3, "paperless_billing": ["Yes", "no", "NO"]}))
    assert np.isnan(table["age"][1:]).all() and table["age"][0] == 30
    assert table["contract"].tolist() == ["month-to-month", "month-to-month", None]
    assert table["internet_service"].tolist() == ["dsl", "dsl", "fiber optic"]


def test_the_committed_data_are_what_the_generator_writes(tmp_path):
    import make_churn
    make_churn.main(str(tmp_path))
    for name in ("churn.csv", "churn_new.csv"):
        assert filecmp.cmp(tmp_path / name, EXAMPLES / "data" / name, shallow=False), f"{name} differs"
