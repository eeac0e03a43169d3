"""Side-by-side training benchmark: codenas against nanoGPT on the same model, batch, corpus and machine.

    python tools/bench_train.py --nanogpt DIR [--preset cpu|gpu|dry] [--out DIR] [--rounds 2]

DIR is a checkout of nanoGPT (for example brought in with the search tool's fetch and unpacked outside this
repository: `git --git-dir=.../repo archive HEAD | tar -x -C /tmp/nanogpt`). Nothing of nanoGPT is copied into
codenas: the script only runs its `train.py` and imports its `model.py` to score its checkpoint.

Both trainers get the standard-library char corpus with the same ids (nanoGPT's uint16 `train.bin`/`val.bin` and
`meta.pkl` are written from codenas's tokenizer), the same architecture (GPT-2 style: learned positions, LayerNorm,
GELU, no biases, tied embeddings) and the same batch. Presets:

- `cpu`: nanoGPT's CPU recipe (4 layers, 4 heads, 128 wide, context 64, batch 12), `--rounds` alternating runs of
  `--steps` steps each, for each of `--archs` (`CPU_ARCHS`: codenas with nanoGPT's architecture, with the CPU study's
  options, and the study's model at its context and batch); reports the median ratio of chars/s per round.
- `gpu`: the REFERENCE.md model (6 layers, 6 heads, 384 wide, context 256, batch 64, bf16, compiled). nanoGPT runs
  5,000 steps; codenas runs for half of nanoGPT's training wall time. Both final models are scored by the same
  codenas evaluator on the whole val split (bits per byte), so "nanoGPT's 5,000-step val bpb in at most half its
  time" is checked on one yardstick.
- `dry`: the gpu preset's code path at toy size on CPU, to check the script before a GPU session.
- `ttq`: time to quality on CPU. nanoGPT trains its CPU recipe for 2,000 steps (cosine, lr 1e-3, batch 12); then codenas
  trains models of the same size (4 layers, 4 heads, 128 wide, context 64) for `--budget` (default a quarter) of
  nanoGPT's training seconds (`--time_budget`, which excludes evaluation), one run per recipe in `TTQ_VARIANTS` (or
  those named by `--variants`; a recipe may set its own batch, dtype and untied head, and says so). Every final model
  is scored by codenas's evaluator on the whole val split in float32 (a bf16 run's own evaluations, its curve before
  the end, run under autocast);
  `OUT/ttq.png` draws val bits per byte against training seconds for all of them (nanoGPT's curve from its own
  periodic estimate, 100 batches).

Both trainers run with `--threads` OpenMP threads (default 1: on a shared 2-core box two threads collapse as soon as
another process runs, issue 29).

Prints one JSON line per run and a summary table; writes `OUT/bench.json`.
"""
import argparse, json, os, pickle, re, statistics, subprocess, sys, time
from pathlib import Path
import numpy as np

PRESETS = dict(
    cpu=dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, steps=300, device='cpu', dtype='float32',
             compile=False, lr=1e-3),
    gpu=dict(n_layer=6, n_head=6, n_embd=384, block_size=256, batch_size=64, steps=5000, device='cuda',
             dtype='bfloat16', compile=True, lr=1e-3),
    dry=dict(n_layer=2, n_head=2, n_embd=64, block_size=32, batch_size=8, steps=40, device='cpu', dtype='float32',
             compile=False, lr=1e-3),
    ttq=dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, steps=2000, device='cpu', dtype='float32',
             compile=False, lr=1e-3),
)
GENES = dict(qk_norm=True, zero_init_proj=True, pos='rope', activation='relu2')  # the CPU study's architecture options
CPU_ARCHS = dict(  # name -> (changes to the cpu preset, codenas's architecture options); nanoGPT: its own, same size
    nanogpt=({}, {}),  # nanoGPT's architecture: learned positions, GELU, LayerNorm
    genes=({}, GENES),  # the options the time-to-quality recipe uses
    study=(dict(block_size=128, batch_size=32), GENES),  # the CPU study's model, context and batch
)
TTQ_VARIANTS = dict(  # name -> (train settings, architecture options)
    classic=(dict(recipe='classic', lr=1e-3), {}),  # nanoGPT's lr, cosine (by the clock under the budget)
    fast=(dict(recipe='fast', lr=3e-3), {}),  # warm-up/stable/decay by the clock, lr 3e-3
    fast_genes=(dict(recipe='fast', lr=3e-3), GENES),  # and RoPE, ReLU², QK-norm, zero-initialised projections
    fast_genes_muon=(dict(recipe='fast', lr=3e-3, optimizer='muon', warmup_steps=20), GENES),  # Muon, 20 warm-up steps
    # and from the machine: dtype auto (bf16 autocast where the CPU has native bf16, else float32), batch 24 (Muon's
    # orthogonalisation costs the same per step at any batch), an untied lm_head (12,800 more weights, the same FLOPs)
    fast_genes_muon_b24=(dict(recipe='fast', lr=3e-3, optimizer='muon', warmup_steps=20, dtype='auto', batch_size=24),
                         dict(GENES, tie_embeddings=False)),
)

def prepare(out:Path, nanogpt:Path):
    "Corpus, char tokenizer, codenas token files, and nanoGPT's copy of the same ids"
    from codenas.corpus import build_corpus, load_manifest
    from codenas.dataset import encode_file, make_tokenizer
    corpus = out/'corpus'
    try: m = load_manifest(corpus)
    except Exception:
        build_corpus(out_dir=corpus, progress=False)
        m = load_manifest(corpus)
    tok = make_tokenizer('char', m['train_path'])
    d = nanogpt/'data'/'codenas_bench'
    d.mkdir(parents=True, exist_ok=True)
    for split in ('train', 'val'):
        tf = encode_file(tok, m[f'{split}_path'])
        np.asarray(tf.tokens, dtype=np.uint16).tofile(d/f'{split}.bin')
    meta = dict(vocab_size=tok.vocab_size, itos=dict(enumerate(tok.itos)), stoi={c: i for i, c in enumerate(tok.itos)})
    with open(d/'meta.pkl', 'wb') as f: pickle.dump(meta, f)
    return m, tok

def run_nanogpt(nanogpt:Path, p:dict, out:Path, tag:str)->dict:
    od = out/f'nanogpt_{tag}'
    args = dict(dataset='codenas_bench', out_dir=od, device=p['device'], dtype=p['dtype'], compile=p['compile'],
                n_layer=p['n_layer'], n_head=p['n_head'], n_embd=p['n_embd'], block_size=p['block_size'],
                batch_size=p['batch_size'], gradient_accumulation_steps=1, max_iters=p['steps'],
                lr_decay_iters=p['steps'], learning_rate=p['lr'], min_lr=p['lr']/10,
                warmup_iters=min(100, p['steps']//10), dropout=0.0, bias=False,
                eval_interval=p.get('eval_interval', p['steps']),
                eval_iters=p.get('eval_iters', 20), log_interval=1,
                always_save_checkpoint=True, wandb_log=False)
    cmd = [sys.executable, 'train.py', *[f'--{k}={v}' for k, v in args.items()]]
    t0 = time.time()
    r = subprocess.run(cmd, cwd=nanogpt, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode: sys.exit(f'nanoGPT failed:\n{r.stderr[-3000:]}')
    ms = [float(x) for x in re.findall(r'iter \d+: loss [\d.]+, time ([\d.]+)ms', r.stdout)]
    steady = ms[10:] or ms
    ev = p.get('eval_interval', p['steps'])
    # an iteration that evaluated counts the median iteration's time instead
    train_ms = [statistics.median(steady) if i % ev == 0 else t for i, t in enumerate(ms)]
    evals = re.findall(r'step (\d+): train loss [\d.]+, val loss ([\d.]+)', r.stdout)
    curve = [(float(np.sum(train_ms[:int(i)])) / 1e3, float(v) / np.log(2)) for i, v in evals]
    return dict(trainer='nanoGPT', tag=tag, steps=len(ms), ms_per_step=statistics.median(steady),
                chars_per_s=p['batch_size']*p['block_size']/(statistics.median(steady)/1e3),
                train_seconds=sum(train_ms)/1e3, wall=wall, ckpt=str(od/'ckpt.pt'), curve=curve)

def run_codenas(m:dict, p:dict, out:Path, tag:str, time_budget:float=None, extra:dict=None, arch_opts:dict=None)->dict:
    from codenas.model import ArchConfig
    arch = out/f'arch_{tag}.json'
    ArchConfig(n_layer=p['n_layer'], n_head=p['n_head'], n_embd=p['n_embd'], block_size=p['block_size'], vocab_size=1,
               **(arch_opts or {})).to_json(arch)
    args = dict(arch_json=arch, experiment_name=f'codenas_{tag}', train_path=m['train_path'], val_path=m['val_path'],
                log_dir=out, max_steps=p['steps'], batch_size=p['batch_size'], lr=p['lr'], min_lr=p['lr']/10,
                warmup_steps=min(100, p['steps']//10), eval_interval=p.get('eval_interval', p['steps']), eval_tokens=0,
                log_interval=10, device=p['device'], dtype=p['dtype'], compile=p['compile'], recipe='classic')
    args.update(extra or {})
    if 'lr' in (extra or {}) and 'min_lr' not in extra: args['min_lr'] = args['lr'] / 10
    if time_budget: args['time_budget'] = time_budget
    cmd = [sys.executable, '-m', 'codenas', 'train', *[f'--{k}={v}' for k, v in args.items()],
           '--overwrite', '--no-progress']
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode: sys.exit(f'codenas failed:\n{r.stderr[-3000:]}')
    s = json.loads((out/f'codenas_{tag}'/'summary.json').read_text())
    from codenas.run import read_metrics
    log = read_metrics(out/f'codenas_{tag}')
    curve = [(r['train_seconds'], r['val_bpb']) for r in log if 'val_bpb' in r and 'train_seconds' in r]
    rates = [r['tokens_per_s'] for r in log if 'tokens_per_s' in r]
    steady = statistics.median(rates[2:] or rates)  # after 20 steps, as nanoGPT's median after 10 (and compiling)
    from codenas.machine import cpu_has_bf16
    dtype = args['dtype']
    if dtype == 'auto' and p['device'] == 'cpu': dtype = 'bfloat16' if cpu_has_bf16() else 'float32'  # what auto picks
    return dict(trainer='codenas', tag=tag, steps=s['steps'], batch_size=args['batch_size'], dtype=dtype,
                ms_per_step=args['batch_size']*p['block_size']/steady*1e3, chars_per_s=steady,
                mean_chars_per_s=s['tokens_per_s'], train_seconds=s['train_seconds'], wall=wall,
                val_bpb=s['final']['val_bpb'], mfu=s['mfu'], curve=curve)

def score_float32(model, m:dict, tok, p:dict)->float:
    "Val bits per byte of `model` under codenas's evaluator, in float32, on the whole val split"
    from codenas.dataset import ValWindows, byte_lengths, encode_file
    from codenas.train import evaluate
    tf = encode_file(tok, m['val_path'])
    vw = ValWindows(tf, p['block_size'], p['batch_size'], byte_lengths(tok, tf), device=p['device'])
    return evaluate(model, vw)['val_bpb']

def score_codenas(run:Path, m:dict, tok, p:dict)->float:
    "Val bits per byte of a codenas run's final weights in float32 (a bf16 run evaluates itself under autocast)"
    from codenas.run import load_run
    model, _, _ = load_run(run/'last', device=p['device'])
    return score_float32(model, m, tok, p)

def score_nanogpt(nanogpt:Path, ckpt:str, m:dict, tok, p:dict)->float:
    "Val bits per byte of nanoGPT's checkpoint under codenas's evaluator (whole val split)"
    import torch
    sys.path.insert(0, str(nanogpt))
    from model import GPT, GPTConfig  # nanoGPT's own model file, imported from its checkout
    ck = torch.load(ckpt, map_location=p['device'], weights_only=False)  # nanoGPT's own pickle, from this script's run
    model = GPT(GPTConfig(**ck['model_args']))
    model.load_state_dict({k.removeprefix('_orig_mod.'): v for k, v in ck['model'].items()})
    model.to(p['device'])
    class Logits(torch.nn.Module):  # nanoGPT returns only the last position's logits without targets
        def __init__(self, g):
            super().__init__()
            self.g = g
        def forward(self, x): return self.g(x, x)[0]
    return score_float32(Logits(model), m, tok, p)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--nanogpt', required=True, type=Path)
    ap.add_argument('--preset', default='cpu', choices=list(PRESETS))
    ap.add_argument('--out', default='/tmp/codenas_bench', type=Path)
    ap.add_argument('--rounds', default=2, type=int)
    ap.add_argument('--steps', type=int)
    ap.add_argument('--budget', default=0.25, type=float, help="ttq: codenas's training seconds over nanoGPT's")
    ap.add_argument('--variants', help='ttq: comma-separated names of TTQ_VARIANTS (default: all)')
    ap.add_argument('--threads', default=1, type=int, help='OMP_NUM_THREADS of both trainers')
    ap.add_argument('--archs', default='nanogpt', help='cpu: comma-separated names of CPU_ARCHS')
    ap.add_argument('--compile', action='store_true',
                    help='cpu: codenas trains compiled (nanoGPT as its CPU recipe: not)')
    a = ap.parse_args()
    os.environ['OMP_NUM_THREADS'] = str(a.threads)
    p = dict(PRESETS[a.preset], **({'steps': a.steps} if a.steps else {}))
    a.out.mkdir(parents=True, exist_ok=True)
    m, tok = prepare(a.out, a.nanogpt.resolve())
    rows = []
    if a.preset == 'cpu':
        for arch in a.archs.split(','):
            over, arch_opts = CPU_ARCHS[arch]
            q = dict(p, **over)
            for i in range(a.rounds):
                ng = run_nanogpt(a.nanogpt.resolve(), q, a.out, f'{arch}{i}')
                cn = run_codenas(m, dict(q, compile=a.compile), a.out, f'{arch}{i}', arch_opts=arch_opts)
                for r in (ng, cn):
                    rows.append(dict(r, arch=arch, round=i))
                    print(json.dumps(rows[-1]), flush=True)
        print()
        for arch in a.archs.split(','):
            pairs = [(n, c) for n, c in zip(rows[0::2], rows[1::2]) if n['arch'] == arch]
            ratios = sorted(c['chars_per_s'] / n['chars_per_s'] for n, c in pairs)
            print(f"{arch}: codenas / nanoGPT chars per second, median {statistics.median(ratios):.2f} "
                  f"({ratios[0]:.2f}-{ratios[-1]:.2f}) over {len(ratios)} rounds; codenas compiled: {a.compile}")
    elif a.preset == 'ttq':
        p.update(eval_interval=250, eval_iters=100)
        ng = run_nanogpt(a.nanogpt.resolve(), p, a.out, 'ttq')
        ng['val_bpb'] = score_nanogpt(a.nanogpt.resolve(), ng['ckpt'], m, tok, p)
        rows.append(ng)
        print(json.dumps(ng), flush=True)
        budget = ng['train_seconds'] * a.budget
        names = a.variants.split(',') if a.variants else list(TTQ_VARIANTS)
        for name in names:
            extra, arch_opts = TTQ_VARIANTS[name]
            row = run_codenas(m, dict(p, steps=10**6, eval_interval=100), a.out, name, time_budget=budget, extra=extra,
                              arch_opts=arch_opts)
            f32 = score_codenas(a.out/f'codenas_{name}', m, tok, p)  # the final weights as nanoGPT's are scored
            curve = row['curve'][:-1] + [(row['curve'][-1][0], f32)]  # the run's own evaluations under its dtype before
            reach = next((t for t, v in curve if v <= ng['val_bpb']), None)  # first evaluation at nanoGPT's loss
            rows.append(dict(row, val_bpb=f32, val_bpb_run=row['val_bpb'], curve=curve, variant=name, budget=a.budget,
                             seconds_to_nanogpt=reach))
            print(json.dumps(rows[-1]), flush=True)
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for r in rows:
            ax.plot(*zip(*r['curve']), 'o-' if r['trainer'] == 'nanoGPT' else '.-', ms=3,
                    label=f"{r.get('variant', 'nanoGPT')}: {r['val_bpb']:.3f}")
        ax.axhline(ng['val_bpb'], color='grey', lw=0.5)
        ax.axvline(budget, color='grey', lw=0.5, ls='--')
        ax.set(xlabel='training seconds', ylabel='val bits per byte', ylim=(1.7, 3.5),
               title=f'time to quality, {a.threads} thread(s) each, codenas at {a.budget:g}x')
        ax.legend(fontsize=8)
        fig.savefig(a.out/'ttq.png', dpi=80, bbox_inches='tight')
        print(f"\nnanoGPT: {ng['steps']} steps in {ng['train_seconds']:.1f} s, val {ng['val_bpb']:.3f} bpb; codenas in "
              f"{budget:.1f} s ({a.budget:g}x): " +
              ', '.join(f"{r['variant']} {r['val_bpb']:.3f} ({r['steps']} steps)" for r in rows[1:]))
    else:
        ng = run_nanogpt(a.nanogpt.resolve(), p, a.out, 'full')
        ng['val_bpb'] = score_nanogpt(a.nanogpt.resolve(), ng['ckpt'], m, tok, p)
        rows.append(ng)
        print(json.dumps(ng), flush=True)
        cn = run_codenas(m, p, a.out, 'half', time_budget=ng['train_seconds']/2)
        rows.append(cn)
        print(json.dumps(cn), flush=True)
        print(f"\nnanoGPT: {ng['steps']} steps in {ng['train_seconds']:.1f} s, val {ng['val_bpb']:.3f} bpb; "
              f"codenas in half that time: {cn['steps']} steps, val {cn['val_bpb']:.3f} bpb; "
              f"chars/s {ng['chars_per_s']:,.0f} vs {cn['chars_per_s']:,.0f}; codenas MFU {cn['mfu']}")
    (a.out/'bench.json').write_text(json.dumps(dict(preset=a.preset, params=p, rows=rows), indent=1))
