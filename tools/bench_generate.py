"""Time generation: `CodeLM.generate` with its KV cache against recomputing, or an evaluation before and after a change.

    python tools/bench_generate.py [--arch data/archs/small.json] [--new 512] [--prompt 16] [--repeats 3] [--threads N]
    python tools/bench_generate.py --eval [--run RUN] [--before main] [--rounds 3] [--threads 1]

A benchmark, not a test. The first form prints both wall times, the ratio and whether greedy decoding picked the same
tokens while the sequence still fit in `block_size`. `--eval` times `evaluate_prompts` on the `oneline` suite (3
samples, 64 characters) and on the `functions` suite (10 samples, 256 characters, no functional tests), human band and
name grounding included, with the package as it was at git revision `--before` and as it is in this working tree, in
alternating rounds of fresh processes (A/B/A/B, the same seeds), and prints the median time of each, the median of the
per-round ratios after/before, and whether the records (all but their wall-clock field) and the summary tables are
identical. `--run` is a trained run folder (default: a 2-layer, 64-wide char model trained here for 150 steps on the
synthetic corpus of the notebooks). Record results in BENCHMARKS.md with the machine, its CPU and the date.
"""
import argparse, importlib, json, hashlib, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from codenas.model import ArchConfig, CodeLM
importlib.import_module('codenas.generate')  # adds CodeLM.generate, the method timed here

root = Path(__file__).resolve().parent.parent
SUITES = dict(oneline=dict(samples=3, max_chars=64), functions=dict(samples=10, max_chars=256))

def bench(arch, new_tokens=512, prompt_len=16, repeats=3, seed=0):
    "Best-of-`repeats` seconds for cached and uncached greedy generation, and the generated ids of each"
    cfg = ArchConfig.from_json(arch)
    torch.manual_seed(seed)
    model = CodeLM(cfg).eval()
    prompt = torch.randint(0, cfg.vocab_size, (1, prompt_len), generator=torch.Generator().manual_seed(seed))
    model.generate(prompt, 8, temperature=0)  # warm-up
    res = {}
    for use_cache in (True, False):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = model.generate(prompt, new_tokens, temperature=0, use_cache=use_cache)
            times.append(time.perf_counter() - t0)
        res[use_cache] = min(times), out
    return cfg, model.num_params(), res

def cpu_name()->str:
    "The CPU's model name from /proc/cpuinfo, or what `platform` knows"
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or platform.machine()

def tiny_run(folder:Path)->Path:
    "A 2-layer, 64-wide char model trained for 150 steps on the notebooks' synthetic corpus"
    from codenas.corpus import build_corpus, synthetic_project
    from codenas.train import train
    src = synthetic_project(folder/'src')
    build_corpus(src_dir=[src], out_dir=folder/'corpus', val_ratio=0.1, min_file_size=10, progress=False)
    ArchConfig(n_layer=2, n_head=4, n_embd=64, block_size=64, vocab_size=1, pos='rope').to_json(folder/'arch.json')
    train(arch_json=str(folder/'arch.json'), experiment_name='tiny', train_path=str(folder/'corpus'/'train.txt'),
          log_dir=str(folder/'runs'), max_steps=150, batch_size=16, warmup_steps=10, eval_interval=150,
          eval_tokens=4096, seed=0, device='cpu', progress=False)
    return folder/'runs'/'tiny'

def eval_once(run:str, suite:str, out:str)->dict:
    "One timed `evaluate_prompts` with the `codenas` on sys.path: seconds, fingerprints of the records and the table"
    from codenas.eval import evaluate_prompts
    from codenas.summary import read_results
    t0 = time.perf_counter()
    table = evaluate_prompts(run, suite, out, seed=0, progress=False, **SUITES[suite])
    dt = time.perf_counter() - t0
    recs = [{k: v for k, v in r.items() if k != 'elapsed_s'} for r in read_results(out)]
    digest = lambda s: hashlib.sha256(s.encode()).hexdigest()[:16]
    return dict(seconds=dt, records=digest(json.dumps(recs, sort_keys=True)), table=digest(table.to_csv()), n=len(recs))

def package_at(rev:str, dest:Path)->Path:
    "The `codenas` package as it was at git revision `rev`, extracted under `dest`"
    dest.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(['git', '-C', str(root), 'archive', rev, 'codenas'], check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', str(dest)], input=tar, check=True)
    return dest

def compare(run:str, before:str, rounds:int, threads:int, work:Path)->dict:
    "Alternating rounds of `eval_once` in fresh processes, the package at `before` against this working tree"
    paths = dict(before=str(package_at(before, work/'before')), after=str(root))
    res = {s: {k: [] for k in paths} for s in SUITES}
    for r in range(rounds):
        for suite in SUITES:
            for k in (('before', 'after') if r % 2 == 0 else ('after', 'before')):
                env = dict(os.environ, PYTHONPATH=paths[k], OMP_NUM_THREADS=str(threads),
                           CODENAS_BENCH_THREADS=str(threads))
                cmd = [sys.executable, __file__, '--worker', run, suite, str(work/f'{k}-{suite}.jsonl')]
                out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=work).stdout
                res[suite][k].append(json.loads(out.strip().splitlines()[-1]))
                print(f'  round {r+1} {suite:9s} {k:6s} {res[suite][k][-1]["seconds"]:7.2f} s', file=sys.stderr,
                      flush=True)
    return res

def report(res:dict, before:str):
    "Median seconds before and after, the median per-round ratio, and whether the results are identical"
    med, secs = statistics.median, lambda s, k: [x['seconds'] for x in res[s][k]]
    same = lambda s: all((x['records'], x['table']) == (res[s]['before'][0]['records'], res[s]['before'][0]['table'])
                         for x in res[s]['before'] + res[s]['after'])
    rows = [(s, secs(s, 'before'), secs(s, 'after'), same(s)) for s in SUITES]
    rows.append(('both', *[[sum(x) for x in zip(*[secs(s, k) for s in SUITES])] for k in ('before', 'after')], None))
    print(f'{"suite":10s} {"before (" + before + ")":>18s} {"after":>9s} {"after/before":>13s} (min-max)  identical')
    for name, b, a, ok in rows:
        ratios = [y / x for x, y in zip(b, a)]
        tail = '' if ok is None else f'  {ok}'
        spread = f'({min(ratios):.3f}-{max(ratios):.3f})'
        print(f'{name:10s} {med(b):16.2f} s {med(a):7.2f} s {med(ratios):12.3f} {spread}{tail}')

if __name__ == '__main__':
    if sys.argv[1:2] == ['--worker']:
        torch.set_num_threads(int(os.environ.get('CODENAS_BENCH_THREADS', '1')))
        print(json.dumps(eval_once(*sys.argv[2:5])))
        sys.exit(0)
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', default=str(root/'data/archs/small.json'))
    p.add_argument('--new', type=int, default=512)
    p.add_argument('--prompt', type=int, default=16)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=None, help='torch threads (default: torch decides, --eval: 1)')
    p.add_argument('--eval', action='store_true', help='time evaluate_prompts at --before against this working tree')
    p.add_argument('--run', default=None, help='--eval: a trained run folder (default: train a tiny one here)')
    p.add_argument('--before', default='main', help='--eval: the git revision to compare against')
    p.add_argument('--rounds', type=int, default=3, help='--eval: A/B rounds')
    a = p.parse_args()
    if a.eval:
        threads = a.threads or 1
        torch.set_num_threads(threads)
        with tempfile.TemporaryDirectory() as d:
            run = a.run or str(tiny_run(Path(d)/'tiny'))
            print(f'evaluation of {run}: torch {torch.__version__}, {threads} thread(s), {cpu_name()}', flush=True)
            res = compare(str(Path(run).resolve()), a.before, a.rounds, threads, Path(d))
        report(res, a.before)
        sys.exit(0)
    if a.threads: torch.set_num_threads(a.threads)
    cfg, n, res = bench(a.arch, a.new, a.prompt, a.repeats)
    (tc, oc), (tr, orr) = res[True], res[False]
    fit = cfg.block_size - a.prompt
    print(f'{Path(a.arch).name}: {n:,} parameters, pos={cfg.pos}, block_size={cfg.block_size}; torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads, {cpu_name()}')
    print(f'{a.new} new tokens after a {a.prompt}-token prompt, greedy, best of {a.repeats}:')
    print(f'  KV cache:  {tc:7.3f} s  ({a.new/tc:,.0f} tokens/s)')
    print(f'  recompute: {tr:7.3f} s  ({a.new/tr:,.0f} tokens/s)')
    print(f'  speed-up:  {tr/tc:.1f}x')
    print(f'  same tokens while the sequence fits block_size ({fit} new): {torch.equal(oc[:, :cfg.block_size], orr[:, :cfg.block_size])}')
