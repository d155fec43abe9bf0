"""Customer churn from a messy CSV file, end to end: look at the data, clean it, split it, fit the
preparation on the training rows only, train a small network with early stopping, measure it on rows
it never saw, save the model together with its preparation (`chainrule.save`), and load both back to
predict on new customers.

The data are `examples/data/churn.csv` (2,020 rows written by `examples/data/make_churn.py`: missing
fields, inconsistent spellings, an age code 999, duplicated rows); the new customers are in
`examples/data/churn_new.csv`.

    python examples/churn.py
    python examples/churn.py --epochs 2 --limit 300 --out /tmp/churn
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import (DataLoader, LabelEncoder, Table, TensorDataset, data_report, drop_duplicates, read_csv,
                            train_val_test_split)
from chainrule.train import accuracy, evaluate, fit, precision_recall_f1

from churn_features import TARGET, ChurnFeatures, clean
from options import check_positive, parser, report

HERE = os.path.dirname(os.path.abspath(__file__))
HIDDEN = 32


def make_model(features: int, hidden: int = HIDDEN) -> nn.Sequential:
    return nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 2))


def loader(features: ChurnFeatures, labels: LabelEncoder, table: Table, batch_size: int,
           shuffle: bool = False) -> DataLoader:
    x = cr.from_numpy(features.transform(table))
    y = cr.from_numpy(labels.transform(table[TARGET]))
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, check_finite=True)


def test_metrics(positive: int) -> Dict[str, Callable]:
    """Accuracy, and the precision, recall and F1 of class `positive` (the customers who leave)."""
    def of_class(key: str) -> Callable:
        return lambda out, y: float(precision_recall_f1(out, y, num_classes=2, average=None)[key][positive])
    return {"accuracy": accuracy, **{f"churn_{key}": of_class(key) for key in ("precision", "recall", "f1")}}


def save_model(path: str, model: nn.Module, features: ChurnFeatures, labels: LabelEncoder) -> None:
    """Weights and everything learned from the training rows, in one safetensors file (no pickle)."""
    cr.save({"model": model.state_dict(), "features": features.state_dict(), "labels": labels.state_dict(),
             "hidden": HIDDEN}, path)


def load_model(path: str) -> tuple:
    """The model (in eval mode), its preparation and its label encoder, rebuilt from a saved file."""
    saved = cr.load(path)
    features = ChurnFeatures().load_state_dict(saved["features"])
    labels = LabelEncoder().load_state_dict(saved["labels"])
    model = make_model(len(features.names()), saved["hidden"])
    model.load_state_dict(saved["model"])
    return model.eval(), features, labels


def predict(path: str, csv_path: str) -> List[Dict[str, Any]]:
    """Churn probabilities of the customers in a CSV file with the same columns (no answer column needed)."""
    model, features, labels = load_model(path)
    table = read_csv(csv_path)
    with cr.no_grad():
        probs = cr.softmax(model(cr.from_numpy(features.transform(clean(table)))), dim=1).numpy()
    leaves = labels.transform(["yes"])[0]
    return [{"customer": str(c), "churn_probability": float(p[leaves])} for c, p in zip(table["customer_id"], probs)]


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    p = parser(__doc__.splitlines()[0], epochs=100, lr=3e-3, batch_size=32, out=os.path.join("runs", "churn"))
    p.add_argument("--csv", default=os.path.join(HERE, "data", "churn.csv"), help="the table (default: %(default)s)")
    p.add_argument("--new", default=os.path.join(HERE, "data", "churn_new.csv"),
                   help="new customers to predict (default: %(default)s)")
    args = p.parse_args(argv)
    check_positive(args)
    cr.manual_seed(args.seed)

    raw = read_csv(args.csv)
    print(data_report(raw), "\n")
    table = clean(drop_duplicates(raw))
    train, val, test = train_val_test_split(table, val_size=0.15, test_size=0.15, stratify=table[TARGET],
                                            random_state=args.seed)
    train, test = train.head(args.limit or len(train)), test.head(args.test_limit or len(test))
    features = ChurnFeatures().fit(train)             # learned from the training rows only
    labels = LabelEncoder().fit(train[TARGET])
    print(f"{len(raw)} rows -> {len(table)} after removing duplicates -> {len(train)} train, {len(val)} "
          f"validation, {len(test)} test; {len(features.names())} features: {', '.join(features.names())}\n")

    model = make_model(len(features.names()))
    started = time.perf_counter()
    checkpoints = os.path.join(args.out, "checkpoints")
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4),
                  loader(features, labels, train, args.batch_size, shuffle=True),
                  loader(features, labels, val, 256), args.epochs, metrics={"accuracy": accuracy},
                  early_stopping=10, checkpoint_dir=checkpoints, seed=args.seed, progress=not args.quiet)
    seconds = time.perf_counter() - started
    model.load_state_dict(cr.load(os.path.join(checkpoints, "best.safetensors")))   # the best on validation

    leaves = labels.transform(["yes"])[0]
    scores = evaluate(model, loader(features, labels, test, 256), metrics=test_metrics(leaves))
    path = os.path.join(args.out, "churn_model.safetensors")
    save_model(path, model, features, labels)
    print(f"\nsaved {path}; churn probabilities of the new customers in {args.new}:")
    predictions = predict(path, args.new)
    for row in predictions:
        print(f"  {row['customer']}: {row['churn_probability']:.0%}")
    majority = float(np.mean(labels.transform(test[TARGET]) != leaves))   # always answering "stays"
    return report("customer churn", {
        "test_accuracy": scores["accuracy"], "majority_class_accuracy": majority,
        **{k: v for k, v in scores.items() if k != "accuracy"}, "epochs": len(history),
        "seconds": round(seconds, 1), "model_file": path, "predictions": predictions})


if __name__ == "__main__":
    main()
