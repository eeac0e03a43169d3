#!/usr/bin/env bash
# The full data-size experiment on a lent GPU machine, in two halves (see notebook 05_report and BENCHMARKS.md).
#
#   here:  bash tools/gpu_experiment.sh prepare
#          builds the full preset's tiers (standard library + the original's 16 PyPI packages, from wheels) and their
#          xz figures on this machine (the GPU machine has no package index), packs them with the pure-Python wheel
#          codenas needs there (fastcore) into .gpu/, which .git/info/exclude keeps out of commits (< 64 MiB to carry).
#   there: the device tool's `run` with carry [".gpu"] and the command `bash tools/gpu_experiment.sh run`
#          unpacks, runs `codenas experiment --preset full` on the GPU, and copies results.csv, the run summaries and
#          report.html to $OUT. DRY=1 runs the preset's dry version instead (a check of the code path).
set -euo pipefail
cd "$(dirname "$0")/.."
OUTDIR=results/full${DRY:+-dry}
case "${1:-}" in
prepare)
  grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >> .git/info/exclude
  rm -rf .gpu && mkdir -p .gpu
  .venv/bin/python -c "from codenas.report import data_size_experiment as e; print(e('full', out='$OUTDIR', build_only=True, dry=bool('${DRY:-}')))"
  tar -C "$OUTDIR" --exclude=tokens -cJf .gpu/corpus.tar.xz corpus
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux2014_x86_64 -d .gpu "fastcore==$(.venv/bin/python -c 'import fastcore; print(fastcore.__version__)')"
  du -sh .gpu
  ;;
run)
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/*.whl
  export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
  mkdir -p "$OUTDIR" && tar -C "$OUTDIR" -xJf .gpu/corpus.tar.xz
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
  time python3 -c "import sys; from codenas.cli import main; sys.exit(main(sys.argv[1:]))" experiment --preset full --out "$OUTDIR" ${DRY:+--dry} 2>&1 | tee "${OUT:-/tmp}/experiment.log"
  mkdir -p "${OUT:-/tmp}/full" && cp "$OUTDIR"/results.csv "$OUTDIR"/report.html "$OUTDIR"/settings.json "${OUT:-/tmp}/full/"
  for d in "$OUTDIR"/runs/*/; do n=$(basename "$d"); mkdir -p "${OUT:-/tmp}/full/runs/$n"; cp "$d"summary.json "$d"results.jsonl "${OUT:-/tmp}/full/runs/$n/" 2>/dev/null || true; done
  ;;
*) echo "usage: bash tools/gpu_experiment.sh prepare|run   (DRY=1 for the dry version)" >&2; exit 2 ;;
esac
