#!/usr/bin/env bash
# The monitoring story on the embedded default (a local folder lakehouse, no server), on generated retail data:
# an inference log of two model versions whose predictions come from real XGBoost models, labels arriving three
# days late, and drift from day 40 in two features of one region. The target is governed: OUT/driftgov.yaml declares
# principals (keys made with `driftgov principal keygen` into OUT/keys), the operator `ops` runs the monitor on
# target prod, and the breach opens an incident that scripts/demo-governance.sh takes to promotion.
#   1. the principals' keys; the training set and the first 38 days as Delta tables, the labels known so far
#      published to a label table and a holdout (one order in ten); validate driftgov.yaml
#   2. full refresh of the monitor: profile and drift metrics per day and week, slice and model version
#   3. two more days arrive: an incremental refresh reads only the new files
#   4. late labels are filled in (a replaceWhere rewrite) and three more days arrive, drift included: the
#      incremental refresh recomputes the rewritten windows and finds the breach
#   5. the breaches, and the SQL a user would run on the metric tables (run here with DuckDB)
#   6. the report: charts (SVG, PNG) and one report.html, for the whole table and for the drifting west region
# Usage: scripts/demo-monitoring.sh [OUT_DIR] (default build/demo). Run scripts/setup.sh first. It replaces what it
# writes in OUT_DIR (driftgov.yaml, keys/, data/, lakehouse/{dev,staging,prod}, report/, report-west/) and leaves
# anything else there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-build/demo}"
bin="$(cd "$(dirname "${DRIFTGOV_BUILD_DIR:-build/release}/driftgov")" && pwd)/driftgov"
per_day="${DRIFTGOV_DEMO_ROWS_PER_DAY:-6000}"
python="$root/.venv/bin/python"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -rf "$out/driftgov.yaml" "$out/keys" "$out/data" "$out/lakehouse/dev" "$out/lakehouse/staging" \
  "$out/lakehouse/prod" "$out/report" "$out/report-west"
data="$out/data"
lake="$out/lakehouse/prod"
# Every command acts on target prod as the operator ops, with its key file (docs/governance.md, "Keys").
dg() { (cd "$out" && DRIFTGOV_PRINCIPAL=ops DRIFTGOV_KEY_FILE="$out/keys/ops.key" "$bin" "$@" --target prod); }

append_days() {  # append_days A B: generate days A..B-1 as of day B (labels null for the last three days) and
                 # append them to the inference log, one commit per day as a daily job would
  "$python" scripts/generate_retail.py --out-dir "$data" --days "$1:$2" --as-of "$2" --rows-per-day "$per_day" \
    >/dev/null
  for ((day = $1; day < $2; day++)); do
    "$bin" convert "$data/inference_log/day=$(printf %02d "$day").parquet" "$lake/sales/inference_log" \
      --mode append >/dev/null
  done
}

publish_labels() {  # publish_labels FILE...: the label pipeline. The rows of FILE with a known label go to the
                    # label table sales/labels (order_id, ts, label), one order in ten (order_id % 10 == 0) instead
                    # to sales/holdout (every column), which evaluations use and retraining sets must not contain
  "$python" - "$lake/sales" "$@" <<'PY'
import sys
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import write_deltalake

sales, files = sys.argv[1], sys.argv[2:]
for name in files:
    rows = pq.read_table(name)
    rows = rows.filter(pc.is_valid(rows["label"]))
    held = pa.array(rows["order_id"].to_numpy() % 10 == 0)
    write_deltalake(f"{sales}/labels", rows.filter(pc.invert(held)).select(["order_id", "ts", "label"]), mode="append")
    write_deltalake(f"{sales}/holdout", rows.filter(held), mode="append")
PY
}

echo "== monitor 1. the principals' keys (driftgov principal keygen), the training set and days 0-37"
echo "   ($per_day orders a day, seed 7) as Delta tables, the labels known on day 38 published"
declare -A roles=([ops]="[viewer, operator, admin]" [sam]="[viewer, steward]" [tess]="[viewer, trainer, approver]"
                  [ana]="[viewer, approver]" [raj]="[viewer, approver]")
principals=""
for name in ops sam tess ana raj; do
  key="$("$bin" principal keygen "$name" --out "$out/keys" | sed -n 's/.*public_key: *//p')"
  type=user
  [[ $name == ops ]] && type=service_principal
  principals+="  $name: {type: $type, public_key: $key, roles: {prod: ${roles[$name]}}}"$'\n'
done
echo "   keys: $out/keys/{ops,sam,tess,ana,raj}.key (mode 0600) and .pub"
append_days 0 38
"$bin" convert "$data/training_set.parquet" "$lake/sales/training_set" >/dev/null
publish_labels "$data"/inference_log/day=*.parquet
cat >"$out/driftgov.yaml" <<EOF
project: retail-models
variables: {lake: {default: ./lakehouse}}
targets:
  dev:     {mode: development, lakehouse: "\${var.lake}/dev", default: true}
  staging: {mode: development, lakehouse: "\${var.lake}/staging"}
  prod:    {mode: production, lakehouse: "\${var.lake}/prod"}
principals:
${principals}governance:
  approvals: {required: 1, expires: "72h"}
EOF
cat >>"$out/driftgov.yaml" <<'EOF'
monitors:
  demand_forecast:
    table: sales/inference_log
    profile_type: inference_log
    timestamp_col: ts
    granularities: ["1 day", "1 week"]
    model_id_col: model_version
    prediction_col: prediction
    label_col: label
    problem_type: regression
    baseline: {table: sales/training_set}
    slicing_exprs: ["region", "price > 20"]
    columns: {exclude: [order_id]}
    drift: {drift_share: 0.5}
    breach:
      - {metric: population_stability_index, op: ">=", value: 0.1, columns: [price, promo], num_violation_windows: 2}
      - {metric: r2_score, op: "<", value: 0.3}
    schedule: {quartz_cron_expression: "0 0 * * * ?", timezone_id: UTC}
    remediation:
      target: staging
      features:
        - table: sales/inference_log
          keys: [order_id]
          timestamp: ts
          columns: [price, discount, competitor_price, store_size, temperature, units_last_week, inventory,
                    customer_rating, days_since_restock, basket_size, ad_spend, hour, promo, loyalty_member, region]
      labels: {table: sales/labels, keys: [order_id], timestamp: ts, label: label}
      window: "14 days"
      holdout: {table: sales/holdout, keys: [order_id]}
      expectations:
        - {column: label, not_null: true, min: 0}
        - {column: order_id, unique: true}
      slice: region
      min_rows_per_slice: 500
      trainer:
        kind: xgboost
        objective: "reg:squarederror"
        features: [price, discount, competitor_price, store_size, temperature, units_last_week, inventory,
                   customer_rating, days_since_restock, basket_size, ad_spend, hour, promo, loyalty_member]
        rounds: 60
        seed: 7
        params: {max_depth: 6, eta: 0.2}
EOF
dg validate | sed 's/^/   /'

echo
echo "== monitor 2. full refresh (the first refresh of a monitor is full)"
dg monitor run demand_forecast | sed 's/^/   /'

echo
echo "== monitor 3. days 38-39 arrive: an incremental refresh reads only the new files"
append_days 38 40
dg monitor run demand_forecast | sed 's/^/   /'

echo
echo "== monitor 4. the labels of days 35-36 arrive (a replaceWhere rewrite), and days 40-42 with the drift"
predicate="$("$python" scripts/generate_retail.py --out-dir "$data" --as-of 38 --label-fill 40 \
  --rows-per-day "$per_day" | sed -n 's/.*--replace-where "\(.*\)".*/\1/p' | tail -1)"
"$bin" convert "$data/label_updates/asof=40.parquet" "$lake/sales/inference_log" --mode overwrite \
  --replace-where "$predicate" >/dev/null
publish_labels "$data/label_updates/asof=40.parquet"
echo "   labels filled where $predicate"
append_days 40 43
dg monitor run demand_forecast | sed 's/^/   /'

echo
echo "== monitor 5. the refresh history, and the SQL a user runs on the metric tables (here in DuckDB)"
dg monitor history demand_forecast | sed 's/^/   /'
"$python" - "$lake/monitoring" <<'EOF'
import sys
import duckdb
from deltalake import DeltaTable

monitoring = sys.argv[1]
con = duckdb.connect()
for name in ("drift_metrics", "profile_metrics", "breaches"):
    # deltalake resolves the live files (deletion vectors are not used by these tables); DuckDB queries them.
    con.register(name, DeltaTable(f"{monitoring}/demand_forecast_{name}").to_pyarrow_dataset())
queries = {
    "PSI of price and promo in the west slice, all models, per day (BASELINE drift)": """
SELECT strftime("window".start, '%Y-%m-%d') AS day, column_name, round(population_stability_index, 3) AS psi,
       drift_level
FROM drift_metrics
WHERE drift_type = 'BASELINE' AND granularity = '1 day' AND slice_key = 'region' AND slice_value = 'west'
  AND model_version = '*' AND column_name IN ('price', 'promo') AND "window".start >= TIMESTAMP '2026-10-13'
ORDER BY day, column_name""",
    "R2 per model version and region, last three labelled days": """
SELECT strftime("window".start, '%Y-%m-%d') AS day, model_version, slice_value AS region, round(r2_score, 3) AS r2,
       labelled_rows
FROM profile_metrics
WHERE column_name = ':table' AND log_type = 'INPUT' AND granularity = '1 day' AND slice_key = 'region'
  AND slice_value IN ('west', 'north') AND labelled_rows > 0
ORDER BY day DESC, model_version, region LIMIT 8""",
    "breaches": """
SELECT substr(breach_id, 1, 12) AS breach, rule, strftime("window".start, '%Y-%m-%d') AS day,
       coalesce(slice_key || '=' || slice_value, 'whole table') AS slice, model_version, column_name,
       round(value, 3) AS value
FROM breaches ORDER BY day, rule, slice, model_version, column_name""",
}
for title, sql in queries.items():
    print(f"   -- {title}")
    for line in sql.strip().splitlines():
        print(f"   {line}")
    print(con.sql(sql).df().to_string(index=False).replace("\n", "\n   ").join(["   ", ""]))
    print()
con.close()
EOF
echo "   files: $out/driftgov.yaml, $lake/sales (the tables), $lake/monitoring (the metric tables)"

echo
echo "== monitor 6. the report of the monitor: charts and report.html (docs/report.md)"
{ dg report demand_forecast --out "$out/report" && dg report demand_forecast --slice region=west \
  --out "$out/report-west"; } | sed 's/^/   /'
