#!/usr/bin/env bash
# The governance story, continuing the monitoring story (scripts/demo-monitoring.sh, run into the same OUT_DIR first):
# the day-40 drift breached and opened incidents on target prod; the one of the whole table (model `*`) is taken to
# the end of the governance chain (docs/governance.md). Principals: ops (operator and admin, a service principal),
# sam (steward), tess (trainer; holds approver too), ana and raj (approvers).
#   1. the incidents the breach opened; the champion in service: the built-in XGBoost trainer on the training set,
#      trained before the breach, registered by ops as version 1 of demand_forecast holding `champion`
#   2. sam stages the incident's retraining set (a point-in-time join of the log's features and the label table, the
#      holdout left out) and validates it: open -> staging -> staged
#   3. tess trains the XGBoost challenger on the staged set with the trainer driftgov.yaml declares
#      (remediation.trainer) (-> training), and the harness compares it with the
#      champion on the holdout, per region (-> evaluated)
#   4. tess asks for approval (-> awaiting_approval); her own approval is refused (four eyes, exit 6); ana approves
#   5. ops promotes: the challenger is registered as version 2 and `champion` moves from version 1 to it (-> promoted)
#   6. the governed view, the incidents, the registry; `audit verify` says OK
#   7. one byte of one audit-log entry is flipped in its Parquet file: `audit verify` names the entry (exit 7)
# Every command can be rerun by hand: driftgov ... --config OUT_DIR/driftgov.yaml --target prod.
# Usage: scripts/demo-governance.sh [OUT_DIR] (default build/demo). Run scripts/setup.sh first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$(cd "${1:-build/demo}" && pwd)"
bin="$(cd "$(dirname "${DRIFTGOV_BUILD_DIR:-build/release}/driftgov")" && pwd)/driftgov"
python="$root/.venv/bin/python"
config="$out/driftgov.yaml"
lake="$out/lakehouse/prod"
staging="$out/lakehouse/staging"
models="$out/models"

as() {  # as NAME driftgov-arguments...: one command on target prod, signed by principal NAME with its key file
  local name="$1"
  shift
  DRIFTGOV_PRINCIPAL="$name" DRIFTGOV_KEY_FILE="$out/keys/$name.key" "$bin" "$@" --config "$config" --target prod
}
json_field() {  # json_field EXPRESSION: evaluates EXPRESSION on the JSON document read from stdin (bound to `d`)
  "$python" -c "import json, sys; d = json.load(sys.stdin); print($1)"
}

echo "== governance 1. the incidents; the champion in service: XGBoost on the training set, before the breach"
incident="$(as ops incident list --state open --json |
  json_field 'next((i["incident_id"] for i in d if i["model"] == "*"), "")')"
if [[ -z $incident ]]; then
  echo "scripts/demo-governance.sh: no open incident of model '*' on target prod in $config;" \
    "run scripts/demo-monitoring.sh $out first" >&2
  exit 2
fi
rm -rf "$models" "$staging/models" "$staging/remediation"
mkdir -p "$models"
features='["price", "discount", "competitor_price", "store_size", "temperature", "units_last_week", "inventory",
  "customer_rating", "days_since_restock", "basket_size", "ad_spend", "hour", "promo", "loyalty_member"]'
cat >"$models/train.json" <<EOF
{"trainer": "xgboost", "label": "label", "features": $features, "objective": "reg:squarederror",
 "rounds": 60, "seed": 7, "params": {"max_depth": 6, "eta": 0.2}}
EOF
echo "   the incidents the breach opened:"
as ops incident list | sed 's/^/   /'
echo "   taking $incident (the breach of the whole table, every model version) along the chain"
champion="$(as tess model train "$lake/sales/training_set" --trainer-config "$models/train.json" \
  --out "$models/champion" --json | json_field 'd["artefact"]["path"]')"
echo "   champion: $champion"
echo "   ops (admin) registers the champion in service as version 1 of demand_forecast, holding champion:"
as ops model register "$champion" --model demand_forecast --alias champion \
  --reason "the model in service when governance started (trained on sales/training_set)" | sed 's/^/   /'

echo
echo "== governance 2. sam (steward) stages and validates the retraining set of $incident"
as sam incident stage "$incident" | sed 's/^/   /'

echo
echo "== governance 3. tess (trainer) trains the XGBoost challenger on the staged set and evaluates it"
candidate="$staging/remediation/demand_forecast/candidate"
# the trainer and its hyper-parameters are the monitor's remediation.trainer in driftgov.yaml (no --trainer-config)
challenger="$(as tess model train "$candidate" --out "$staging/models" --incident "$incident" --json |
  json_field 'd["artefact"]["path"]')"
echo "   challenger: $challenger"
record="$staging/models/$incident.eval.json"
as tess evaluate --holdout "$lake/sales/holdout" --label label --slice region --champion "$champion" \
  --challenger "$challenger" --bootstrap 200 --seed 7 --metrics rmse,mae,r2 --out "$record" \
  --incident "$incident" | sed 's/^/   /'

echo
echo "== governance 4. tess asks for approval; her own approval is refused (four eyes); ana approves"
as tess approval request "$incident" --evaluation "$record" --model "$challenger" \
  --comment "retrained on the 14 days before the drift's labels" | sed 's/^/   /'
set +e
as tess approval approve "$incident" --comment "mine" 2>&1 | sed 's/^/   /'
status="${PIPESTATUS[0]}"
set -e
echo "   exit code of tess's own approval: $status (6 = refused)"
as ana approval approve "$incident" --comment "holdout metrics and slices checked" | sed 's/^/   /'

echo
echo "== governance 5. ops (operator, a service principal) promotes the challenger: champion moves to it"
before="$(as ops model show demand_forecast --json | json_field 'd["aliases"]["champion"]')"
as ops model promote "$incident" --model demand_forecast | sed 's/^/   /'
after="$(as ops model show demand_forecast --json | json_field 'd["aliases"]["champion"]')"
echo "   champion moved: version $before -> version $after"
as ops model show demand_forecast | sed 's/^/   /'

echo
echo "== governance 6. the governed view (one row per event of the chain), the incidents, and audit verify"
as ops governance view --model demand_forecast | sed 's/^/   /'
as ops incident list | sed 's/^/   /'
as ops audit verify | sed 's/^/   /'

echo
echo "== governance 7. one byte flipped in the audit log's Parquet file: audit verify names the entry"
"$python" - "$lake/governance/audit_log" <<'EOF'
import sys
import pyarrow.parquet as pq
from deltalake import DeltaTable

# The middle entry of the log. Its actor's name is a string value in the actor column chunk of its data file (the
# page is compressed, but a name this short is stored as literal bytes): flip the case of its first letter, one byte
# of a value and none of the Parquet structure, so every reader still reads the file.
table = DeltaTable(sys.argv[1])
rows = sorted(table.to_pyarrow_table(columns=["seq", "actor"]).to_pylist(), key=lambda row: row["seq"])
middle = rows[len(rows) // 2]
for uri in table.file_uris():
    path = uri.removeprefix("file://")
    if middle["seq"] not in pq.read_table(path, columns=["seq"]).column("seq").to_pylist():
        continue
    metadata = pq.ParquetFile(path).metadata
    chunk = metadata.row_group(0).column(metadata.schema.to_arrow_schema().get_field_index("actor"))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(open(path, "rb").read())
    offset = data.index(middle["actor"].encode(), start, start + chunk.total_compressed_size)
    data[offset] ^= 0x20
    open(path, "wb").write(bytes(data))
    print(f"   entry seq {middle['seq']} (actor {middle['actor']}): byte {offset} of {path} flipped")
    break
EOF
set +e
as ops audit verify 2>&1 | sed 's/^/   /'
status="${PIPESTATUS[0]}"
set -e
echo "   exit code of audit verify: $status (7 = a bad entry)"
echo
echo "   every command can be rerun by hand (a signing one with DRIFTGOV_PRINCIPAL and DRIFTGOV_KEY_FILE=$out/keys/NAME.key):"
echo "   driftgov model show demand_forecast --config $config --target prod"
