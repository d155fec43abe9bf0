"""Write `churn.csv`: a synthetic customer-churn table of 2,000 customers (plus 20 duplicated rows),
made deterministically (seed 0), with the faults real exports have: empty and "NA" / "?" fields,
categories spelled inconsistently ("Fiber optic", "FIBER OPTIC", "Fiber Optic"), an impossible age code (999 for
"unknown"), duplicated rows and an identifier column. Also writes `churn_new.csv`, five new customers
without the answer, to predict. Whether a customer churned follows a hidden logistic model: short
tenure, a month-to-month contract, fiber internet, paying by electronic check, many support calls
and high charges all make leaving more likely (about a quarter of customers leave).

    python examples/data/make_churn.py          # rewrites both files beside this script
    python examples/data/make_churn.py DIR      # writes them into DIR instead
"""
from __future__ import annotations

import csv
import os
import sys
from typing import Dict, List

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["customer_id", "age", "tenure_months", "monthly_charges", "total_charges", "support_calls", "contract",
           "internet_service", "payment_method", "paperless_billing", "churned"]
CONTRACTS = {"Month-to-month": 1.3, "One year": -0.4, "Two year": -1.6}
INTERNET = {"Fiber optic": 0.7, "DSL": -0.2, "No": -0.9}
PAYMENT = {"Electronic check": 0.6, "Mailed check": 0.0, "Bank transfer": -0.3, "Credit card": -0.3}


def customers(n: int, rng: np.random.Generator) -> List[Dict[str, object]]:
    """n customers with every field present, the churn decided by the hidden model."""
    contract = rng.choice(list(CONTRACTS), n, p=[0.55, 0.25, 0.20])
    internet = rng.choice(list(INTERNET), n, p=[0.45, 0.35, 0.20])
    payment = rng.choice(list(PAYMENT), n, p=[0.35, 0.2, 0.22, 0.23])
    longer = np.array([{"Month-to-month": 8, "One year": 30, "Two year": 50}[c] for c in contract])
    tenure = np.clip(rng.exponential(longer) + rng.integers(0, 6, n), 0, 72).astype(int)
    base = np.array([{"Fiber optic": 80, "DSL": 55, "No": 25}[s] for s in internet])
    monthly = np.round(np.clip(base + rng.normal(0, 12, n), 18, 120), 2)
    total = np.round(monthly * tenure * rng.uniform(0.95, 1.05, n), 2)
    age = np.clip(rng.normal(45, 15, n), 18, 85).astype(int)
    calls = rng.poisson(1.2 + 1.5 * (internet == "Fiber optic"), n)
    paperless = rng.choice(["Yes", "No"], n, p=[0.6, 0.4])
    rows = [{"customer_id": f"C{100000 + i}", "age": int(age[i]), "tenure_months": int(tenure[i]),
             "monthly_charges": float(monthly[i]), "total_charges": float(total[i]),
             "support_calls": int(calls[i]), "contract": str(contract[i]), "internet_service": str(internet[i]),
             "payment_method": str(payment[i]), "paperless_billing": str(paperless[i])} for i in range(n)]
    churned = rng.random(n) < churn_probability(rows)
    for row, leaves in zip(rows, churned):
        row["churned"] = "Yes" if leaves else "No"
    return rows


def churn_probability(rows: List[Dict[str, object]]) -> np.ndarray:
    """The hidden model: each (complete, cleanly spelled) customer's probability of leaving."""
    def values(key: str) -> np.ndarray:
        return np.array([row[key] for row in rows])
    score = (-1.6 + np.array([CONTRACTS[row["contract"]] + INTERNET[row["internet_service"]]
                              + PAYMENT[row["payment_method"]] for row in rows])
             - 0.045 * values("tenure_months") + 0.45 * (values("support_calls") - 1.5)
             + 0.012 * (values("monthly_charges") - 65) - 0.01 * (values("age") - 45)
             + 0.2 * (values("paperless_billing") == "Yes"))
    return 1 / (1 + np.exp(-score))


def damage(rows: List[Dict[str, object]], rng: np.random.Generator) -> None:
    """The faults of a real export, in place: missing fields, messy spellings, a code for unknown age."""
    missing = {"age": 0.04, "tenure_months": 0.02, "monthly_charges": 0.02, "total_charges": 0.05,
               "support_calls": 0.03, "contract": 0.02, "internet_service": 0.01, "payment_method": 0.04}
    for row in rows:
        for column in ("contract", "internet_service", "payment_method"):
            if rng.random() < 0.08:
                row[column] = rng.choice([str(row[column]).lower(), str(row[column]).upper(), str(row[column]).title()])
        if rng.random() < 0.01:
            row["age"] = 999
        for column, rate in missing.items():
            if rng.random() < rate:
                row[column] = rng.choice(["", "", "NA", "?"])


def write(path: str, rows: List[Dict[str, object]], columns: List[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def main(out: str = HERE) -> None:
    """Write churn.csv and churn_new.csv into the folder `out`."""
    rng = np.random.default_rng(0)
    rows = customers(2000, rng)
    damage(rows, rng)
    duplicates = [dict(rows[i]) for i in rng.choice(len(rows), 20, replace=False)]
    for row in duplicates:   # the same customer exported twice
        rows.insert(int(rng.integers(0, len(rows))), row)
    write(os.path.join(out, "churn.csv"), rows, COLUMNS)
    new = [dict(row) for row in new_customers()]
    new[1]["total_charges"], new[3]["contract"], new[4]["payment_method"] = "", "two year", "NA"
    write(os.path.join(out, "churn_new.csv"), new, COLUMNS[:-1])


def new_customers() -> List[Dict[str, object]]:
    """Five customers to predict, complete (what the hidden model needs); `main` writes them with a
    few fields missing or misspelled."""
    rows = customers(5, np.random.default_rng(1))
    for i, row in enumerate(rows):
        row["customer_id"] = f"N{200000 + i}"
    return rows


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE)
