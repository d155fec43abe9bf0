"""Cleaning and feature preparation for the customer-churn table: what is learned from the training
rows (fill values, categories, means and deviations) is kept, saved and applied unchanged to new rows.

Cleaning (rule-based, the same for every row): category spellings unified ("FIBER OPTIC" -> "fiber
optic"), the impossible age code 999 turned into a missing value, the identifier column left out.
Learned on the training rows: missing numbers filled with the median, missing categories with the
most frequent one, categories one-hot encoded, numbers standardized.
"""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from chainrule.data import OneHotEncoder, SimpleImputer, StandardScaler, Table

NUMERIC = ["age", "tenure_months", "monthly_charges", "total_charges", "support_calls"]
CATEGORICAL = ["contract", "internet_service", "payment_method", "paperless_billing"]
TARGET = "churned"
MAX_AGE = 110   # larger ages are placeholder codes (999 = unknown), not ages


def clean(table: Table) -> Table:
    """Rule-based fixes that need nothing learned: unified spellings and impossible values as missing."""
    cleaned = Table({name: table[name] for name in NUMERIC + CATEGORICAL + ([TARGET] if TARGET in table else [])})
    for name in CATEGORICAL + ([TARGET] if TARGET in table else []):
        cleaned[name] = [None if v is None else " ".join(str(v).lower().split()) for v in cleaned[name].tolist()]
    age = cleaned["age"].astype(np.float64)
    age[age > MAX_AGE] = np.nan
    cleaned["age"] = age
    return cleaned


class ChurnFeatures:
    """Cleaned table -> float32 feature matrix: imputation, one-hot encoding and scaling fitted on training rows."""

    def __init__(self) -> None:
        self.numbers = SimpleImputer(strategy="median")
        self.categories = SimpleImputer(strategy="most_frequent")
        self.onehot = OneHotEncoder(handle_unknown="ignore")   # a category never seen in training: all zeros
        self.scaler = StandardScaler()

    def fit(self, table: Table) -> "ChurnFeatures":
        numbers = self.numbers.fit(table[NUMERIC]).transform(table[NUMERIC]).to_numpy()
        self.scaler.fit(numbers)
        self.onehot.fit(self.categories.fit(table[CATEGORICAL]).transform(table[CATEGORICAL]))
        return self

    def transform(self, table: Table) -> np.ndarray:
        numbers = self.scaler.transform(self.numbers.transform(table[NUMERIC]).to_numpy())
        categories = self.onehot.transform(self.categories.transform(table[CATEGORICAL]))
        return np.concatenate([numbers, categories], axis=1).astype(np.float32)

    def names(self) -> List[str]:
        return NUMERIC + self.onehot.get_feature_names_out()

    def state_dict(self) -> Dict[str, Any]:
        return {name: getattr(self, name).state_dict() for name in ("numbers", "categories", "onehot", "scaler")}

    def load_state_dict(self, state: Dict[str, Any]) -> "ChurnFeatures":
        for name, value in state.items():
            getattr(self, name).load_state_dict(value)
        return self
