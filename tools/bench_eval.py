"""Evaluation time of one run through two codenas trees, alternating, one thread each, and whether they agree.

    python tools/bench_eval.py --run RUN --old DIR [--new .] [--rounds 2] [--out /tmp/codenas_bench_eval]

RUN is a trained run folder (an honest one: with the causal mask). DIR is another checkout of codenas, for example
the code before issue 29 (`git worktree add /work/wt-old 930e2ad~1`). Each round runs the old tree, then the new
one, each in a fresh process with OMP_NUM_THREADS=1 and that tree on PYTHONPATH, evaluating RUN with the `cpu`
preset's evaluation settings (its prompt suite, samples and characters; the function suite with its samples,
characters and code execution; seed 0). The clock covers `evaluate_prompts` (loading the checkpoint, generation,
the human band, scoring, the sandbox), not Python's imports.

What a tree computes once per corpus and keeps beside its train split (the names the split's code uses, and in newer
trees the hashes of its spans) is built before the rounds, untimed, by a one-prompt evaluation in each tree, and its
seconds are printed: a study evaluates several runs on each corpus, and only the first pays for it. Each tree reads
its own copy of RUN's train split (OUT/train-old, OUT/train-new), so the trees' caches, which share a file name in
different formats, do not overwrite each other between rounds.

Agreement is checked on what the model and the evaluator's seeds produce: every model record's prompt and
completion must be equal between the trees. Metric rules that changed on purpose between the trees (issue 25's) are
compared by scoring both trees' records again with the new tree's metrics (`codenas.eval.rescore`): the model's
columns must be equal. The human band is drawn differently since issue 25 (a val line of the prompt's own kind), so
only its samples that are the same text in both trees are compared, on the model's bits.

Prints one JSON line per evaluation, the median seconds of each tree, their ratio, and the agreement checks.
"""
import argparse, gzip, json, math, os, shutil, statistics, subprocess, sys
from pathlib import Path

WORKER = r'''
import json, sys, time
from codenas.eval import evaluate_prompts
run, out, s = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ev = dict(seed=0, device='cpu', progress=False, train_path=s['train_path'])
if s.get('warm_up'):  # the train split's caches, built once per corpus
    t0 = time.time()
    evaluate_prompts(run, s['eval_file'], f'{out}/warm_up.jsonl', samples=1, max_chars=8, limit=1, **ev)
    print(json.dumps(dict(seconds=time.time() - t0)))
    sys.exit()
t0, secs = time.time(), {}
evaluate_prompts(run, s['eval_file'], f'{out}/lines.jsonl', samples=s['samples'], max_chars=s['max_chars'], **ev)
secs['lines'] = time.time() - t0
if s['fn_samples']:
    t1 = time.time()
    evaluate_prompts(run, 'functions', f'{out}/functions.jsonl', samples=s['fn_samples'], max_chars=s['fn_max_chars'],
                     allow_code_execution=True, **ev)
    secs['functions'] = time.time() - t1
print(json.dumps(dict(seconds=time.time() - t0, **secs)))
'''
SAME = ('source', 'prompt_id', 'sample', 'prompt', 'completion', 'n_chars')  # what seeds and the model produce

def cpu_settings()->dict:
    "The `cpu` preset's evaluation settings, read by the new tree"
    from codenas.presets import PRESETS
    p = PRESETS['cpu']
    return {k: p[k] for k in ('eval_file', 'samples', 'max_chars', 'fn_samples', 'fn_max_chars')}

def machine()->str:
    "The CPU's model and ISA, torch's version and the load average: what a figure must name"
    import platform, torch
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').exists() else ''
    field = lambda k: next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.split(':')[0].strip() == k), '')
    model = f"{field('model name') or platform.processor()} family {field('cpu family')} model {field('model')}"
    flags = set(field('flags').split())
    isa = [f for f in ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16') if f in flags]
    return f"{model} ({', '.join(isa) or 'no AVX2'}), {os.cpu_count()} CPUs, torch {torch.__version__}, " \
           f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"

def evaluate(tree:Path, run:Path, out:Path, settings:dict)->dict:
    "One evaluation of `run` by the codenas in `tree`, in its own process: seconds"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    r = subprocess.run([sys.executable, '-c', WORKER, str(run), str(out), json.dumps(settings)], cwd=tree, env=env,
                       capture_output=True, text=True)
    if r.returncode: sys.exit(f'{tree}: evaluation failed:\n{r.stderr[-3000:]}')
    return json.loads(r.stdout.strip().splitlines()[-1])

def records(path:Path)->list[dict]:
    opener = gzip.open if path.suffix == '.gz' else open
    with opener(path, 'rt', encoding='utf-8') as f: return [json.loads(l) for l in f if l.strip()]

def _equal(u, v)->bool:
    return u == v or (isinstance(u, float) and isinstance(v, float) and math.isnan(u) and math.isnan(v))

def agree(old:Path, new:Path, train_path:str)->dict:
    "Checks that the old tree's model records are the new tree's, and score the same under the new tree's metrics"
    from codenas.eval import rescore
    out = {}
    for name in ('lines.jsonl', 'functions.jsonl'):
        if not (new/name).exists(): continue
        a, b = records(old/name), records(new/name)
        ma, mb = ([r for r in x if r['source'] == 'model'] for x in (a, b))
        out[f'{name}: model records'] = (len(ma), len(mb))
        out[f'{name}: model completions equal'] = len(ma) == len(mb) and all(
            all(x.get(k) == y.get(k) for k in SAME) for x, y in zip(ma, mb))
        ha, hb = ([r for r in x if r['source'] == 'human'] for x in (a, b))
        same = [(x, y) for x, y in zip(ha, hb) if all(x.get(k) == y.get(k) for k in SAME)]
        out[f'{name}: human samples equal'] = f'{len(same)} of {len(hb)}'  # issue 25 matches them by prompt kind
        bits = [(x['cont_bits'], y['cont_bits']) for x, y in same if x.get('cont_bits') is not None]
        largest = max((abs(x - y) for x, y in bits), default=0.0)
        out[f'{name}: bits on equal human samples, largest difference'] = largest
        t_old = rescore(old/name, train_path, output=old/f'rescored-{name}')
        t_new = rescore(new/name, train_path, output=new/f'rescored-{name}')
        cols = [c for c in t_new.columns if c.startswith('model')]
        differ = [m for m in t_new.index if not all(_equal(t_old.loc[m, c], t_new.loc[m, c]) for c in cols)]
        out[f'{name}: model metrics that differ (both rescored by the new tree)'] = differ
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--run', required=True, type=Path, help='a trained run folder')
    ap.add_argument('--old', required=True, type=Path, help='the codenas tree to compare against')
    ap.add_argument('--new', default=Path('.'), type=Path, help='the codenas tree measured (default: this one)')
    ap.add_argument('--rounds', default=2, type=int)
    ap.add_argument('--out', default=Path('/tmp/codenas_bench_eval'), type=Path)
    ap.add_argument('--check_only', action='store_true', help='only compare the outputs of an earlier run in OUT')
    a = ap.parse_args()
    s, rows = cpu_settings(), []
    print(f'machine: {machine()}', flush=True)
    cfg = a.run/'config.json' if (a.run/'config.json').exists() else a.run/'best'/'config.json'
    train_path = json.loads(cfg.read_text())['corpus']['train_path']
    trees = (('old', a.old), ('new', a.new))
    for tag, tree in trees if not a.check_only else ():
        (a.out/f'train-{tag}').mkdir(parents=True, exist_ok=True)
        if not (a.out/f'train-{tag}'/'train.txt').exists(): shutil.copy(train_path, a.out/f'train-{tag}'/'train.txt')
        w = evaluate(tree.resolve(), a.run.resolve(), a.out/f'warm-{tag}', dict(s, train_path=str(
            (a.out/f'train-{tag}'/'train.txt').resolve()), warm_up=True))
        print(json.dumps(dict(tree=tag, warm_up_seconds=round(w['seconds'], 2))), flush=True)
    for i in range(a.rounds if not a.check_only else 0):
        for tag, tree in trees:
            own = dict(s, train_path=str((a.out/f'train-{tag}'/'train.txt').resolve()))
            r = dict(tree=tag, round=i, **evaluate(tree.resolve(), a.run.resolve(), a.out/f'{tag}{i}', own))
            rows.append(r)
            print(json.dumps(r), flush=True)
    if a.check_only: rows = [json.loads(l) for l in (a.out/'rows.jsonl').read_text().splitlines()]
    else: (a.out/'rows.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    med = {t: statistics.median(r['seconds'] for r in rows if r['tree'] == t) for t in ('old', 'new')}
    ratios = [n['seconds'] / o['seconds'] for o, n in zip(rows[0::2], rows[1::2])]
    print(f"\nmachine at the end: {machine()}\nsettings {s}")
    print(f"median seconds: old {med['old']:.1f}, new {med['new']:.1f}; "
          f"new / old {med['new']/med['old']:.3f} (rounds: {', '.join(f'{x:.3f}' for x in ratios)})")
    for k, v in agree(a.out/'old0', a.out/'new0', train_path).items(): print(f'{k}: {v}')
