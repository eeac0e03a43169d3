#!/usr/bin/env bash
# The original's runs and the grid scaled to a GPU (issue 24) on a lent GPU machine, in two halves, with an estimate
# of its time: presets `original` (the original's char runs: codenas_best_current, batch 32 of 256 characters, 10,000
# steps, and the no-mask diagnostic) and `original-grid` (the grid up to 4.7 M parameters and the whole pool), one
# after the other. Notebook 05_scaling says what each preset can and cannot express.
#
#   here:  bash tools/gpu_experiment.sh estimate
#          the runs both presets plan and their expected H100 hours (05_scaling's planned_runs and gpu_time, at the
#          MFU and step time of nanoGPT's measured H200 figure); builds nothing.
#   here:  bash tools/gpu_experiment.sh prepare
#          builds both presets' tiers (standard library + 16 pinned PyPI packages, from wheels) and their xz figures
#          on this machine (the GPU machine has no package index), packs them with the pure-Python wheel codenas
#          needs there (fastcore) into .gpu/, which .git/info/exclude keeps out of commits (< 64 MiB to carry).
#   there: the device tool's `run` with carry [".gpu"] and the command `bash tools/gpu_experiment.sh run`
#          unpacks, runs `codenas experiment --preset original`, then `--preset original-grid`, on the GPU, and copies
#          each one's results.csv, settings.json, tiers.csv (grid) and run summaries and curves to $OUT.
#          DRY=1 runs the presets' dry versions instead (a check of the code path).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESETS="original original-grid"
PY=${PY:-.venv/bin/python}
case "${1:-}" in
estimate)
  $PY - <<'PY'
from pathlib import Path
import pandas as pd
from codenas.dataset import load_tokenizer
from codenas.scaling import gpu_estimate, reference_mfu
vocab = load_tokenizer(Path('results/grid-char/tokenizer-char.json')).vocab_size
est = gpu_estimate(('original', 'original-grid'), vocab, pd.read_csv('results/grid/tiers.csv').bytes_per_token.mean())
for name, t in est.groupby(level=0):
    print(f"{name}: {len(t)} runs, {t.tokens.sum() / 1e9:.2f} G tokens, {t.flops.sum() / 1e15:.1f} PFLOP, "
          f"{t.seconds.sum() / 3600:.2f} H100 hours expected (MFU {100 * reference_mfu():.1f}%, 11.2 ms a step at least)")
PY
  ;;
prepare)
  grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >> .git/info/exclude
  rm -rf .gpu && mkdir -p .gpu
  for p in $PRESETS; do
    out=results/$p${DRY:+-dry}
    $PY -c "from codenas.experiment import run_experiment as e; print(e('$p', out='$out', build_only=True, dry=bool('${DRY:-}'), progress=False))"
    tar -C "$out" --exclude=tokens -cJf ".gpu/corpus-$p.tar.xz" corpus
  done
  $PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux2014_x86_64 -d .gpu "fastcore==$($PY -c 'import fastcore; print(fastcore.__version__)')"
  du -sh .gpu
  ;;
run)
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/*.whl
  export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
  for p in $PRESETS; do
    out=results/$p${DRY:+-dry}
    mkdir -p "$out" && tar -C "$out" -xJf ".gpu/corpus-$p.tar.xz"
    time python3 -c "import sys; from codenas.cli import main; sys.exit(main(sys.argv[1:]))" experiment --preset "$p" \
        --out "$out" --report false ${DRY:+--dry} 2>&1 | tee "${OUT:-/tmp}/experiment-$p.log"
    dest="${OUT:-/tmp}/$p" && mkdir -p "$dest"
    cp "$out"/results.csv "$out"/settings.json "$dest/" && cp "$out"/tiers.csv "$dest/" 2>/dev/null || true
    for d in "$out"/runs/*/; do
      n=$(basename "$d"); mkdir -p "$dest/runs/$n"
      cp "$d"summary.json "$d"done.json "$d"curve.csv "$d"completions*.jsonl.gz "$dest/runs/$n/" 2>/dev/null || true
    done
  done
  ;;
*) echo "usage: bash tools/gpu_experiment.sh estimate|prepare|run   (DRY=1 for the dry versions)" >&2; exit 2 ;;
esac
