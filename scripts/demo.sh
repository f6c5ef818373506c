#!/usr/bin/env bash
# The end-to-end demo on the embedded default (a local folder, no server):
#   first the monitoring story (scripts/demo-monitoring.sh): a governed monitor over a growing retail inference log,
#   a full and two incremental refreshes, late labels, a drift breach that opens an incident, the SQL on the metric
#   tables and the report; then the governance story (scripts/demo-governance.sh): the incident's retraining set
#   staged and validated, an XGBoost challenger trained and compared with the champion, a refused and an accepted
#   approval, the promotion, the governed view, `audit verify` OK, then one flipped byte that `audit verify` names.
#   Both write OUT_DIR/driftgov.yaml (targets dev, staging, prod), OUT_DIR/keys and OUT_DIR/lakehouse/{dev,staging,
#   prod}, so every command can be rerun by hand with --config OUT_DIR/driftgov.yaml --target prod.
#   Then the comparison story:
#   1. generate a realistic reference/current pair (a loan portfolio) with drift injected into five features,
#   2. profile the reference once into a stored baseline,
#   3. compare the current data with the raw reference and with the stored baseline, and write the JSON result.
# Usage: scripts/demo.sh [OUT_DIR] (default build/demo). Run scripts/setup.sh first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-build/demo}"
bin="${DRIFTGOV_BUILD_DIR:-build/release}/driftgov"
rows="${DRIFTGOV_DEMO_ROWS:-200000}"
mkdir -p "$out"

scripts/demo-monitoring.sh "$out"
echo
scripts/demo-governance.sh "$out"
echo

echo "== 1. generating $rows reference rows and $((rows / 2)) current rows (seed 7) into $out"
.venv/bin/python scripts/generate_data.py --rows "$rows" --current-rows "$((rows / 2))" --seed 7 --out-dir "$out"

echo
echo "== 2. profiling the reference into a stored baseline (counts, moments, sketches; kilobytes)"
"$bin" profile "$out/reference.csv" -o "$out/baseline.profile.json"
ls -l "$out/baseline.profile.json" | awk '{print "   baseline size: " $5 " bytes"}'

echo
echo "== 3. driftgov compare reference.csv current.csv (exact statistics from both raw samples)"
"$bin" compare "$out/reference.csv" "$out/current.csv" --json "$out/drift_result.json"

echo
echo "== 4. driftgov compare baseline.profile.json current.csv (no raw training data needed)"
"$bin" compare "$out/baseline.profile.json" "$out/current.csv" --json "$out/drift_result_from_baseline.json" \
  --fail-on-drift --drift-share 0.1 && status=0 || status=$?
echo "   exit code with --fail-on-drift --drift-share 0.1: $status (3 = dataset drift, for CI gates)"

echo
echo "== 5. the same data as a Delta table in a local lakehouse folder: v0 = reference, v1 = current"
rm -rf "$out/lakehouse/loans"
"$bin" convert "$out/reference.csv" "$out/lakehouse/loans"
"$bin" convert "$out/current.csv" "$out/lakehouse/loans" --mode overwrite
"$bin" table history "$out/lakehouse/loans"
echo "   driftgov compare loans@v=0 loans@v=1 (the table's two versions):"
"$bin" compare "$out/lakehouse/loans@v=0" "$out/lakehouse/loans@v=1" --json "$out/drift_result_delta.json" |
  grep '^dataset drift:' | sed 's/^/   /'

echo
echo "files written to $out:"
echo "   driftgov.yaml                        the configuration: targets dev, staging, prod, principals, the monitor and"
echo "                                        its remediation (rerun any command with --config $out/driftgov.yaml --target prod)"
echo "   keys/                                the principals' keys ops, sam, tess, ana, raj (driftgov principal keygen)"
echo "   lakehouse/prod/                      sales/ (inference log, training set, labels, holdout), monitoring/ (the"
echo "                                        metric tables), governance/ (audit log, incidents, approvals), registry/"
echo "   lakehouse/staging/                   the incident's retraining set, its validations and the challenger"
echo "   models/                              the champion in service and the trainer configuration"
echo "   report/report.html                   the monitor's report, with its charts as SVG and PNG"
echo "   report-west/report.html              the same report for the west region slice"
echo "   data/                                the generated retail days the monitoring story appends"
echo "   reference.csv, current.csv           generated data (step 1)"
echo "   baseline.profile.json                stored baseline of the reference (step 2)"
echo "   drift_result.json                    raw reference vs current (step 3; format: docs/json-formats.md)"
echo "   drift_result_from_baseline.json      stored baseline vs current (step 4)"
echo "   lakehouse/loans/                     Delta table, v0 = reference, v1 = current (step 5)"
echo "   drift_result_delta.json              version 0 vs version 1 of the table (step 5)"
