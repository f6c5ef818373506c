#!/usr/bin/env python3
"""Generates a realistic reference/current pair of tabular datasets (a loan portfolio: 15 numeric and
5 categorical features) with drift injected into the current one. Used by the demo, the benchmarks and tests.

    generate_data.py --rows 100000 --seed 7 --out-dir DIR [--format csv|parquet] [--no-drift]

writes DIR/reference.<ext> and DIR/current.<ext>. The drift injected into the current data:
  income           log-normal location shifted up 15%
  utilization      beta shape changed (higher utilisation)
  days_past_due    more heavy-tail mass
  channel          a new category "partner_api" (about 12% of rows)
  employment_type  8% more nulls
Everything else keeps the reference distribution (debt_to_income moves with income). With the default rule the
strong shifts (income, utilization, channel) are flagged; the subtle ones show in PSI (days_past_due) and in the
null-rate change (employment_type).
"""
import argparse
import os

import numpy as np
import pandas as pd

NUMERIC = [
    "age", "income", "credit_score", "loan_amount", "term_months", "interest_rate", "utilization",
    "num_accounts", "tenure_months", "days_past_due", "monthly_payment", "debt_to_income",
    "transactions_30d", "avg_transaction", "balance",
]
CATEGORICAL = ["region", "product", "channel", "employment_type", "device"]


def make(rows: int, rng: np.random.Generator, drift: bool) -> pd.DataFrame:
    age = np.clip(rng.normal(41, 12, rows), 18, 90).round()
    income = rng.lognormal(np.log(52000) + (0.14 if drift else 0.0), 0.55, rows).round(2)
    credit_score = np.clip(rng.normal(690, 60, rows), 300, 850).round()
    loan_amount = rng.gamma(2.2, 9000, rows).round(2)
    term_months = rng.choice([12, 24, 36, 48, 60, 72], rows, p=[0.08, 0.17, 0.35, 0.15, 0.2, 0.05])
    interest_rate = np.clip(rng.normal(0.089, 0.025, rows), 0.01, 0.3).round(4)
    utilization = rng.beta(2.8 if drift else 2.0, 3.2 if drift else 5.0, rows).round(4)
    num_accounts = rng.poisson(4.2, rows)
    tenure_months = rng.exponential(38, rows).round()
    tail = 0.09 if drift else 0.04
    days_past_due = np.where(rng.random(rows) < tail, rng.pareto(1.6, rows) * 15, 0).round()
    monthly_payment = (loan_amount * (interest_rate / 12) / (1 - (1 + interest_rate / 12) ** (-term_months))).round(2)
    debt_to_income = np.clip(monthly_payment * 12 / income + rng.normal(0.18, 0.06, rows), 0, 2).round(4)
    transactions_30d = rng.poisson(23, rows)
    avg_transaction = rng.gamma(3.0, 21.0, rows).round(2)
    balance = (rng.normal(3200, 2500, rows)).round(2)

    region = rng.choice(["north", "south", "east", "west", "central"], rows, p=[0.22, 0.18, 0.25, 0.2, 0.15])
    product = rng.choice(["personal", "auto", "home_improvement", "debt_consolidation", "education"], rows,
                         p=[0.3, 0.25, 0.15, 0.22, 0.08])
    channels = ["branch", "web", "mobile", "broker"]
    channel_p = [0.25, 0.35, 0.3, 0.1]
    if drift:
        channels = channels + ["partner_api"]
        channel_p = [0.22, 0.31, 0.26, 0.09, 0.12]
    channel = rng.choice(channels, rows, p=channel_p)
    employment = rng.choice(["salaried", "self_employed", "contract", "retired", "student"], rows,
                            p=[0.58, 0.17, 0.12, 0.09, 0.04]).astype(object)
    employment[rng.random(rows) < (0.10 if drift else 0.02)] = None
    device = rng.choice(["ios", "android", "desktop", "unknown"], rows, p=[0.33, 0.37, 0.25, 0.05])

    frame = pd.DataFrame({
        "age": age.astype(np.int64), "income": income, "credit_score": credit_score.astype(np.int64),
        "loan_amount": loan_amount, "term_months": term_months.astype(np.int64), "interest_rate": interest_rate,
        "utilization": utilization, "num_accounts": num_accounts.astype(np.int64),
        "tenure_months": tenure_months.astype(np.int64), "days_past_due": days_past_due.astype(np.int64),
        "monthly_payment": monthly_payment, "debt_to_income": debt_to_income,
        "transactions_30d": transactions_30d.astype(np.int64), "avg_transaction": avg_transaction,
        "balance": balance, "region": region, "product": product, "channel": channel,
        "employment_type": employment, "device": device,
    })
    # A few missing incomes on both sides, as real data has.
    frame.loc[rng.random(rows) < 0.01, "income"] = np.nan
    return frame


def write(frame: pd.DataFrame, path: str, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--current-rows", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--no-drift", action="store_true")
    parser.add_argument("--chunk-rows", type=int, default=1_000_000, help="rows generated per chunk (bounded memory)")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for name, rows, drift in (("reference", args.rows, False),
                              ("current", args.current_rows or args.rows, not args.no_drift)):
        path = os.path.join(args.out_dir, f"{name}.{args.format}")
        if args.format == "csv":
            written = 0
            with open(path, "w", newline="") as out:
                while written < rows:
                    chunk = min(args.chunk_rows, rows - written)
                    make(chunk, rng, drift).to_csv(out, index=False, header=written == 0)
                    written += chunk
        else:
            write(make(rows, rng, drift), path, args.format)
        print(f"wrote {path} ({rows} rows)")


if __name__ == "__main__":
    main()
