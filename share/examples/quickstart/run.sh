#!/bin/sh
# The quickstart: a repository, a small learning-rate sweep tracked from the
# shell, then the best runs, a comparison and a plot; then a real model
# trained, registered, deployed and served; then the feature store, from
# specs to a model served by entity key. Runs in a temporary
# directory (or $1) and leaves it there to explore.
set -e
ex=$(cd "$(dirname "$0")/../train" && pwd)
dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/mlp-quickstart.XXXXXX")}
cd "$dir"
echo "== mlp quickstart in $dir"
mlp init
mlp track experiment create sweep >/dev/null

# A toy "training": loss decays at a rate set by the learning rate; each run
# logs its params, 20 steps of loss and accuracy in one batch, and ends.
for lr in 0.01 0.05 0.1 0.3; do
	for depth in 4 6; do
		run=$(mlp track start -e sweep -n "lr$lr-d$depth" --tag model=toy)
		mlp track log "$run" -p lr=$lr -p depth=$depth
		awk -v lr="$lr" -v d="$depth" 'BEGIN {
			for (s = 0; s < 20; s++) {
				loss = 1 / (1 + lr * s * d / 4) + 0.02 * sin(s * d)
				acc = 1 - loss / 2
				printf "{\"metric\":\"loss\",\"value\":%.5f,\"step\":%d}\n", loss, s
				printf "{\"metric\":\"acc\",\"value\":%.5f,\"step\":%d}\n", acc, s
			}
		}' | mlp track log "$run" --batch -
		mlp track end "$run"
	done
done

echo
echo "== the three best runs with acc > 0.7 and depth 6, or lr 0.3"
mlp track runs -e sweep \
	--filter "metrics.acc > 0.7 and (params.depth = '6' or params.lr = '0.3')" \
	--order-by metrics.acc desc --limit 3 \
	--columns run_id,run_name,params.lr,params.depth,metrics.acc,metrics.loss

best=$(mlp track runs -e sweep --order-by metrics.acc desc --limit 2 \
	--columns run_id --csv | tail -n +2)
echo
echo "== the two best, side by side"
# shellcheck disable=SC2086
mlp track compare $best
echo
echo "== their loss curves"
# shellcheck disable=SC2086
mlp track plot $best -m loss --width 72 --height 18
# shellcheck disable=SC2086
mlp track plot $best -m loss --svg loss.svg

# Real training: gradient-boosted trees on the example churn data, the run
# tracked like the sweep, the model registered and used.
echo
echo "== gbdt on share/examples/train/churn.csv, registered as 'churn'"
mlp train --data "$ex/churn.csv" --target churned --valid-fraction 0.2 \
	-e churn -n gbdt-d4 -p rounds=60 -p max_depth=4 -p learning_rate=0.1 \
	-p early_stopping_rounds=10 --register churn --alias champion
run=$(mlp track runs -e churn --limit 1 --columns run_id --csv | tail -n +2)
echo
echo "== the run"
mlp track show "$run"
echo
echo "== scoring the first rows with models:/churn@champion"
head -n 6 "$ex/churn.csv" | mlp predict models:/churn@champion

# Online: deploy the champion behind a gate on its validation AUC, serve
# it, and ask for a prediction over both inference protocols.
echo
echo "== deploying models:/churn@champion (gate: valid_auc >= 0.8) and serving it"
mlp deploy models:/churn@champion --require "metrics.valid_auc >= 0.8"
mlp serve -p 0 --json > serve.json 2> serve.log &
server=$!
trap 'kill $server 2>/dev/null' EXIT
url=
for _ in $(seq 50); do
	url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' serve.json)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { cat serve.log; exit 1; }
echo "listening on $url"
echo
echo "== Open Inference Protocol v2: POST $url/v2/models/churn/infer"
curl -s "$url/v2/models/churn/infer" -H 'Content-Type: application/json' \
	-d '{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP64", "data": [41]},
	     {"name": "monthly", "shape": [1], "datatype": "FP64", "data": [53.43]},
	     {"name": "support_calls", "shape": [1], "datatype": "FP64", "data": [0]},
	     {"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["basic"]},
	     {"name": "age", "shape": [1], "datatype": "FP64", "data": [30]}]}'
echo
echo
echo "== MLflow scoring protocol: POST $url/invocations"
curl -s "$url/invocations" -H 'Content-Type: application/json' \
	-d '{"dataframe_split": {"columns": ["tenure", "monthly", "support_calls", "plan", "age"],
	     "data": [[41, 53.43, 0, "basic", 30], [3, 99.5, 4, "premium", 24]]}}'
echo
kill $server
wait $server || true
trap - EXIT

# The feature store: specs, offline data, a point-in-time training set, a
# model trained on it, the online store, and the server answering by
# driver id with the same features training saw.
fx=$(cd "$(dirname "$0")/../features" && pwd)
echo
echo "== the feature store: share/examples/features"
mkdir -p features && cd features
sh "$fx/make-data.sh"
cp "$fx/features.yaml" "$fx/train.yaml" .
mlp feature apply
mlp feature ingest trips
mlp feature ingest profiles
echo
echo "== a point-in-time correct training set (first rows)"
mlp feature dataset --spine spine.csv --service churn_features | head -n 4
echo
echo "== trained on the service, registered with its feature lineage"
mlp train train.yaml
mlp register show models:/driver_churn@champion | sed -n '/service:/,/fare_avg_7d/p'
echo
echo "== materialized to the online store, deployed, served"
mlp feature materialize --end 2024-02-05T00:00:00Z
mlp deploy models:/driver_churn@champion
mlp serve -p 0 --json > serve.json 2> serve.log &
server=$!
trap 'kill $server 2>/dev/null' EXIT
url=
for _ in $(seq 50); do
	url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' serve.json)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { cat serve.log; exit 1; }
echo
echo "== Feast's feature server: POST $url/get-online-features"
curl -s "$url/get-online-features" -H 'X-MLP-Feature-Time: 2024-02-04T12:00:00Z' \
	-d '{"entities": {"driver_id": [1001, 1002]}, "features": ["driver_profile:rating", "driver_trips:fare_count_7d"]}'
echo
echo "== a prediction by driver id: POST $url/invocations?model=driver_churn"
curl -s "$url/invocations?model=driver_churn" -H 'Content-Type: application/json' \
	-H 'X-MLP-Feature-Time: 2024-02-04T12:00:00Z' \
	-d '{"dataframe_split": {"columns": ["driver_id"], "data": [[1001], [1002]]}}'
echo
kill $server
wait $server || true
trap - EXIT
cd ..
echo
echo "Done. Explore with: cd $dir && mlp track runs"
