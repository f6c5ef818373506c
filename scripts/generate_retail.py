#!/usr/bin/env python3
"""Generates a retail demand-forecasting inference log: 60 days of orders, 20 features, the units each order
sold (the label, arriving late) and the prediction of a real XGBoost model (libxgboost through ctypes,
python/driftgov_tools/xgb.py). Used by the monitoring demo, its tests and bench/monitor_bench.py.

    generate_retail.py --out-dir DIR [--seed 7] [--days A:B] [--rows-per-day 2000 | --rows N] [--train-rows 20000]
                       [--as-of DAY] [--one-file]
    generate_retail.py --out-dir DIR --label-fill DAY [--as-of DAY0] ...

writes
  DIR/training_set.parquet          the rows both models were trained on (30 days before day 0, no drift), with
                                    v1's predictions: the monitor's baseline
  DIR/model-v1.json, model-v2.json  the two boosters (XGBoost JSON)
  DIR/inference_log/day=NN.parquet  one file per day of --days (half-open: 0:60 is days 0..59), or with
                                    --one-file DIR/inference_log/days=AA-BB.parquet (days AA..BB-1)
  DIR/label_updates/asof=DD.parquet with --label-fill DD: the rows whose labels became known between --as-of and
                                    DD, labels filled (apply them with the --replace-where predicate printed)

Schema: ts (timestamp UTC, microseconds, on the hour), order_id (int64), 20 features, model_version (string),
label (double, null while late), prediction (double).
  numeric      price, discount, competitor_price, store_size, temperature, units_last_week, inventory,
               customer_rating, days_since_restock, basket_size, ad_spend, hour
  boolean      promo, loyalty_member
  categorical  category, region (north/south/east/west/central), channel, shelf_position, payment_type, store_id
  nulls        discount 3%, competitor_price 5%, temperature 2%, customer_rating 8%, ad_spend 4%,
               payment_type 1%
Every feature is identically distributed over days (the day of the week is left out on purpose: it is constant
within a daily window, so every window would drift in it), except the injected drift:
  from day 40, in region == 'west' only: price up 25% (competitor prices unchanged, so demand falls and the model
  extrapolates) and the promotion rate doubled (15% -> 30%).
The label is units sold: Poisson around a demand built from the features (category, relative price, promotion,
discount, store size, last week's units, temperature for weather-sensitive categories, loyalty, channel, hour),
capped by inventory. Models: v1 serves every order of days 0-29; from day 30 a canary sends 30% of orders to v2
(deeper, more rounds, same training set). Labels arrive 3 days late: as of day D (--as-of, default 60, the end of
the log) rows of days D-3 and later have null labels. --label-fill E emits the rows of days [D-3, E-3) again with
their labels, for `driftgov convert FILE TABLE --mode overwrite --replace-where PREDICATE`.

Determinism: every value is a function of --seed, the day, and --rows-per-day (each day is generated in fixed
chunks with its own random stream), so days generated in one call or in several are identical. --rows N spreads
N rows over the days of --days (rows per day = ceil(N / days)); memory stays bounded by the chunk size.
"""
import argparse
import math
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from driftgov_tools.xgb import Booster  # noqa: E402

DAYS = 60
START = datetime(2026, 9, 7, tzinfo=timezone.utc)  # day 0, a Monday
DRIFT_DAY = 40
DRIFT_REGION = "west"
CANARY_DAY = 30
CANARY_SHARE = 0.3
LABEL_DELAY_DAYS = 3
TRAINING_DAYS = 30  # the training set covers days -30..-1
CHUNK_ROWS = 250_000
BASE_PROMO_RATE = 0.15

STORES = 200
REGIONS = ["north", "south", "east", "west", "central"]
CATEGORIES = ["grocery", "electronics", "apparel", "home", "toys", "beauty", "sports"]
CATEGORY_SHARE = [0.34, 0.1, 0.16, 0.12, 0.09, 0.11, 0.08]
CATEGORY_BASE_UNITS = np.array([12.0, 2.0, 5.0, 4.0, 4.0, 6.0, 3.0])
CATEGORY_MEDIAN_PRICE = np.array([6.0, 240.0, 38.0, 75.0, 28.0, 22.0, 60.0])
CATEGORY_PRICE_SIGMA = np.array([0.45, 0.6, 0.5, 0.6, 0.5, 0.45, 0.55])
WEATHER_SENSITIVE = np.array([1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0])  # grocery, apparel, sports follow temperature
REGION_TEMPERATURE = np.array([8.0, 24.0, 14.0, 17.0, 15.0])
CHANNELS = ["store", "web", "app"]
CHANNEL_SHARE = [0.6, 0.25, 0.15]
SHELF_POSITIONS = ["eye_level", "top", "bottom", "endcap"]
SHELF_SHARE = [0.35, 0.25, 0.3, 0.1]
SHELF_EFFECT = np.array([1.15, 0.95, 0.85, 1.35])
PAYMENT_TYPES = ["card", "cash", "mobile", "gift_card"]
PAYMENT_SHARE = [0.55, 0.2, 0.22, 0.03]
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 11, 12, 13, 12, 11, 11, 12, 14, 15, 13, 10, 7, 4, 2],
                        dtype=float)
MODEL_VERSIONS = ["v1", "v2"]
MODEL_PARAMS = {
    "v1": ({"max_depth": 5, "eta": 0.1, "subsample": 0.9}, 80),
    "v2": ({"max_depth": 7, "eta": 0.06, "subsample": 0.8, "colsample_bytree": 0.9}, 200),
}

NUMERIC = ["price", "discount", "competitor_price", "store_size", "temperature", "units_last_week", "inventory",
           "customer_rating", "days_since_restock", "basket_size", "ad_spend", "hour"]
BOOLEAN = ["promo", "loyalty_member"]
CATEGORICAL = {"category": CATEGORIES, "region": REGIONS, "channel": CHANNELS, "shelf_position": SHELF_POSITIONS,
               "payment_type": PAYMENT_TYPES, "store_id": [f"S{index:03d}" for index in range(STORES)]}
FEATURES = NUMERIC + BOOLEAN + list(CATEGORICAL)

SCHEMA = pa.schema(
    [("ts", pa.timestamp("us", tz="UTC")), ("order_id", pa.int64())]
    + [(name, pa.float64()) for name in ["price", "discount", "competitor_price", "store_size", "temperature"]]
    + [(name, pa.int64()) for name in ["units_last_week", "inventory"]]
    + [("customer_rating", pa.float64()), ("days_since_restock", pa.int64()), ("basket_size", pa.int64()),
       ("ad_spend", pa.float64()), ("hour", pa.int64())]
    + [(name, pa.bool_()) for name in BOOLEAN]
    + [(name, pa.string()) for name in CATEGORICAL]
    + [("model_version", pa.string()), ("label", pa.float64()), ("prediction", pa.float64())])


def stores(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each store's region (index) and floor area in m², fixed for a seed."""
    rng = np.random.default_rng([seed, 99])
    region = rng.choice(len(REGIONS), STORES, p=[0.22, 0.18, 0.22, 0.2, 0.18])
    size = np.round(rng.lognormal(np.log(1500), 0.5, STORES), -1)
    return region, size


def generate_chunk(seed: int, stream: int, day: int, chunk: int, rows: int, first_order: int) -> dict:
    """`rows` orders of one day (a negative day belongs to the training period): every column as a numpy array,
    the categorical ones as codes, nulls as NaN (numbers) or -1 (codes); the label is complete."""
    rng = np.random.default_rng([seed, stream, day + 1000, chunk])
    store_region, store_size = stores(seed)
    store = rng.integers(0, STORES, rows)
    region = store_region[store]
    size = store_size[store]
    category = rng.choice(len(CATEGORIES), rows, p=CATEGORY_SHARE)
    hour = rng.choice(24, rows, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    ts = (np.datetime64(START.replace(tzinfo=None), "us") + np.timedelta64(day, "D")
          + hour.astype("timedelta64[h]")).astype("datetime64[us]")

    drifted = (day >= DRIFT_DAY) & (region == REGIONS.index(DRIFT_REGION))
    list_price = np.round(rng.lognormal(np.log(CATEGORY_MEDIAN_PRICE[category]), CATEGORY_PRICE_SIGMA[category]), 2)
    competitor_true = list_price * rng.lognormal(0.0, 0.08, rows)
    price = np.where(drifted, np.round(list_price * 1.25, 2), list_price)
    promo = rng.random(rows) < np.where(drifted, 2 * BASE_PROMO_RATE, BASE_PROMO_RATE)
    discount = np.round(rng.beta(1.2, 9.0, rows), 3)
    temperature = np.round(REGION_TEMPERATURE[region] + rng.normal(0, 6, rows), 1)
    demand = rng.lognormal(0.0, 0.35, rows)  # the order's hidden demand level, seen through last week's units
    base = CATEGORY_BASE_UNITS[category] * np.sqrt(size / 1500.0)
    units_last_week = rng.poisson(7 * base * demand)
    channel = rng.choice(len(CHANNELS), rows, p=CHANNEL_SHARE)
    shelf = rng.choice(len(SHELF_POSITIONS), rows, p=SHELF_SHARE)
    payment = rng.choice(len(PAYMENT_TYPES), rows, p=PAYMENT_SHARE)
    loyalty = rng.random(rows) < 0.35
    rating = np.round(np.clip(rng.normal(4.1, 0.5, rows), 1, 5), 1)
    restock = rng.geometric(0.15, rows) - 1
    basket = 1 + rng.poisson(2.0, rows)
    ad_spend = np.round(rng.lognormal(np.log(300), 0.7, rows), 2)
    inventory = rng.poisson(6 * base) + rng.integers(0, 10, rows)

    mean = (base * demand
            * np.exp(-2.5 * (price / competitor_true - 1.0))
            * np.where(promo, 1.7, 1.0) * (1.0 + 2.0 * discount)
            * np.exp(0.025 * WEATHER_SENSITIVE[category] * (temperature - 15.0))
            * SHELF_EFFECT[shelf] * np.where(loyalty, 1.1, 1.0)
            * np.where((channel == CHANNELS.index("web")) & (category == CATEGORIES.index("electronics")), 1.4, 1.0)
            * (1.0 + 0.05 * np.log1p(ad_spend / 300.0))
            * (0.8 + 0.4 * HOUR_WEIGHTS[hour] / HOUR_WEIGHTS.max()))
    label = np.minimum(rng.poisson(mean), inventory).astype(np.float64)

    def with_nulls(values, rate):
        values = values.astype(np.float64)
        values[rng.random(rows) < rate] = np.nan
        return values

    def codes_with_nulls(codes, rate):
        codes = codes.copy()
        codes[rng.random(rows) < rate] = -1
        return codes

    canary = (day >= CANARY_DAY) & (rng.random(rows) < CANARY_SHARE)
    return {
        "ts": ts, "order_id": first_order + np.arange(rows, dtype=np.int64),
        "price": price, "discount": with_nulls(discount, 0.03),
        "competitor_price": with_nulls(np.round(competitor_true, 2), 0.05), "store_size": size,
        "temperature": with_nulls(temperature, 0.02), "units_last_week": units_last_week, "inventory": inventory,
        "customer_rating": with_nulls(rating, 0.08), "days_since_restock": restock, "basket_size": basket,
        "ad_spend": with_nulls(ad_spend, 0.04), "hour": hour, "promo": promo, "loyalty_member": loyalty,
        "category": category, "region": region, "channel": channel, "shelf_position": shelf,
        "payment_type": codes_with_nulls(payment, 0.01), "store_id": store,
        "model_version": canary.astype(np.int64), "label": label,
    }


def feature_matrix(columns: dict) -> np.ndarray:
    """The models' input: the 20 features as float32 columns, categorical codes as numbers, nulls as NaN."""
    matrix = np.empty((len(columns["ts"]), len(FEATURES)), dtype=np.float32)
    for index, name in enumerate(FEATURES):
        values = columns[name].astype(np.float32)
        if name in CATEGORICAL:
            values[columns[name] < 0] = np.nan
        matrix[:, index] = values
    return matrix


def to_table(columns: dict, prediction: np.ndarray, label_known: np.ndarray | bool = True) -> pa.Table:
    arrays = []
    for field in SCHEMA:
        name = field.name
        if name == "prediction":
            arrays.append(pa.array(prediction.astype(np.float64)))
        elif name == "label":
            label = columns["label"]
            arrays.append(pa.array(label, mask=~np.broadcast_to(label_known, label.shape)))
        elif name == "model_version":
            arrays.append(pa.DictionaryArray.from_arrays(columns[name], MODEL_VERSIONS).cast(pa.string()))
        elif name in CATEGORICAL:
            codes = columns[name]
            indices = pa.array(np.maximum(codes, 0), mask=codes < 0, type=pa.int32())
            arrays.append(pa.DictionaryArray.from_arrays(indices, CATEGORICAL[name]).cast(pa.string()))
        elif name == "ts":
            arrays.append(pa.array(columns[name], type=field.type))
        elif field.type == pa.float64():
            values = columns[name].astype(np.float64)
            arrays.append(pa.array(values, mask=np.isnan(values)))
        else:
            arrays.append(pa.array(columns[name], type=field.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def predict(models: dict, columns: dict) -> np.ndarray:
    matrix = feature_matrix(columns)
    prediction = np.empty(len(matrix), dtype=np.float32)
    for code, version in enumerate(MODEL_VERSIONS):
        rows = columns["model_version"] == code
        if rows.any():
            prediction[rows] = models[version].predict(matrix[rows])
    return prediction


def day_chunks(day: int, rows_per_day: int):
    """(chunk index, rows, first order id) of one day; order ids are unique over days and the training set."""
    for chunk, begin in enumerate(range(0, rows_per_day, CHUNK_ROWS)):
        yield chunk, min(CHUNK_ROWS, rows_per_day - begin), (day + 1000) * 1_000_000_000 + begin


def train_models(seed: int, train_rows: int, out_dir: Path) -> dict:
    """Generates the training set (days -30..-1), trains v1 and v2 on it, writes the set with v1's predictions
    and both models."""
    per_day = math.ceil(train_rows / TRAINING_DAYS)
    parts = []
    for day in range(-TRAINING_DAYS, 0):
        for chunk, rows, first in day_chunks(day, per_day):
            parts.append(generate_chunk(seed, 1, day, chunk, rows, first))
    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    matrix = feature_matrix(columns)
    models = {}
    for version, (params, rounds) in MODEL_PARAMS.items():
        # One thread: the same seed gives the same trees on any machine.
        settings = {"objective": "reg:squarederror", "tree_method": "hist", "nthread": 1, "seed": seed, **params}
        models[version] = Booster.train(matrix, columns["label"], settings, rounds)
        models[version].save(out_dir / f"model-{version}.json")
        models[version].set_param("nthread", 0)  # predict on every core
    columns["model_version"] = np.zeros(len(matrix), dtype=np.int64)
    pq.write_table(to_table(columns, models["v1"].predict(matrix)), out_dir / "training_set.parquet")
    return models


def write_days(path: Path, days, rows_per_day: int, seed: int, models: dict, known) -> int:
    """Writes the orders of `days` to one Parquet file, chunk by chunk; `known(day)` says whether a day's labels
    are known. Returns the number of rows."""
    written = 0
    with pq.ParquetWriter(path, SCHEMA) as writer:
        for day in days:
            for chunk, rows, first in day_chunks(day, rows_per_day):
                columns = generate_chunk(seed, 0, day, chunk, rows, first)
                writer.write_table(to_table(columns, predict(models, columns), known(day)),
                                   row_group_size=CHUNK_ROWS)
                written += rows
    return written


def timestamp_literal(day: int) -> str:
    return f"TIMESTAMP '{(START + timedelta(days=day)).strftime('%Y-%m-%d %H:%M:%S')}'"


def parse_days(text: str) -> range:
    try:
        first, last = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--days expects A:B (days A..B-1), got {text!r}") from None
    if not 0 <= first < last <= DAYS:
        raise argparse.ArgumentTypeError(f"--days {text}: expected 0 <= A < B <= {DAYS}")
    return range(first, last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=parse_days, default=range(0, DAYS), help="A:B, days A..B-1 (default 0:60)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--rows-per-day", type=int, default=2000)
    size.add_argument("--rows", type=int, help="total rows over --days (rows per day = ceil(N / days))")
    parser.add_argument("--train-rows", type=int, default=20000, help="rows of the training set (default 20000)")
    parser.add_argument("--as-of", type=int, default=DAYS,
                        help=f"the extraction day: labels of days >= AS_OF-{LABEL_DELAY_DAYS} are null "
                             f"(default {DAYS})")
    parser.add_argument("--label-fill", type=int, metavar="DAY",
                        help="write only the label updates known on DAY (rows of days [AS_OF-3, DAY-3))")
    parser.add_argument("--one-file", action="store_true", help="one Parquet file for the whole --days range")
    args = parser.parse_args()
    rows_per_day = math.ceil(args.rows / len(args.days)) if args.rows else args.rows_per_day
    for option, value, least in (("--rows-per-day", rows_per_day, 1), ("--train-rows", args.train_rows, 100)):
        if value < least:
            parser.error(f"{option} must be at least {least}, got {value}")
    if args.label_fill is not None and args.label_fill <= args.as_of:
        parser.error(f"--label-fill {args.label_fill} must be later than --as-of {args.as_of}")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    models = train_models(args.seed, args.train_rows, args.out_dir)

    if args.label_fill is not None:
        first = max(args.as_of - LABEL_DELAY_DAYS, 0)
        last = min(args.label_fill - LABEL_DELAY_DAYS, DAYS)
        if first >= last:
            sys.exit(f"generate_retail: no labels arrive between day {args.as_of} and day {args.label_fill}")
        folder = args.out_dir / "label_updates"
        folder.mkdir(exist_ok=True)
        path = folder / f"asof={args.label_fill:02d}.parquet"
        rows = write_days(path, range(first, last), rows_per_day, args.seed, models, lambda day: True)
        print(f"{path}: {rows} rows of days {first}..{last - 1} with their labels; apply with\n"
              f"  driftgov convert {path} TABLE --mode overwrite "
              f"--replace-where \"ts >= {timestamp_literal(first)} AND ts < {timestamp_literal(last)}\"")
        return

    folder = args.out_dir / "inference_log"
    folder.mkdir(exist_ok=True)
    known = lambda day: day < args.as_of - LABEL_DELAY_DAYS  # noqa: E731
    if args.one_file:
        path = folder / f"days={args.days.start:02d}-{args.days.stop:02d}.parquet"
        rows = write_days(path, args.days, rows_per_day, args.seed, models, known)
        print(f"{path}: {rows} rows")
    else:
        for day in args.days:
            path = folder / f"day={day:02d}.parquet"
            rows = write_days(path, [day], rows_per_day, args.seed, models, known)
            print(f"{path}: {rows} rows")


if __name__ == "__main__":
    main()
