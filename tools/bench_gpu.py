"""GPU training throughput: tokens/s and MFU against the card's dense bf16 peak, eager against torch.compile, with the
attention kernel named, at the study's, the original's and a GPU-sized model.

    here:   python tools/bench_gpu.py --dry                       # the same code path on CPU: tiny, float32, 6 steps
    there:  python3 tools/bench_gpu.py --out "$OUT"                # on a lent GPU (see BENCHMARKS.md for the carry)

Every row trains one model through `codenas.train.train` (the code `codenas train` runs) for `--steps` steps on the
standard-library char corpus, built on the spot from the machine's own Python, and reads tokens/s and MFU from the run's
summary: medians over its logged intervals, leaving out the first (which holds compilation). MFU counts the model's
`flops_per_token` (6N plus attention) against `codenas.train.peak_flops` of the card's name. A probe then runs one
forward and backward of the same model, eager, with only the flash-attention kernel allowed: `flash: true` means the
training step's attention can run on it (bf16, causal, no explicit mask), `false` names why not.

Prints one JSON line per row and a table; writes OUT/bench_gpu.json.
"""
import argparse, json, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = dict(n_layer=4, n_head=4, n_embd=128, pos='rope', activation='relu2', qk_norm=True, zero_init_proj=True)
SIZES = {  # name -> (architecture options, block_size, batch_size)
    'study-0.8M': (STUDY, 128, 256),  # the grid's larger model (results/grid/arch-0.8M.json) at a GPU batch
    'original': ('codenas_best_current', 256, 32),  # the original's architecture file and its batch of 32
    'gpu-4.7M': (dict(STUDY, n_layer=6, n_head=8, n_embd=256), 256, 128),  # ~4.7 M non-embedding: the grid on a GPU
}
DRY = dict(n_layer=2, n_head=2, n_embd=32, pos='rope', activation='relu2', qk_norm=True, zero_init_proj=True)

def corpus(out:Path)->dict:
    "The standard-library corpus (built once into OUT/corpus)"
    from codenas.corpus import build_corpus, load_manifest
    if not (out/'corpus').exists(): build_corpus(out_dir=out/'corpus', progress=False)
    return load_manifest(out/'corpus')

def arch_file(out:Path, name:str, opts, block_size:int)->str:
    "An architecture JSON for `opts` (options or the name of a shipped file)"
    if isinstance(opts, str): return opts
    from codenas.model import ArchConfig
    path = out/f'arch_{name}.json'
    ArchConfig(block_size=block_size, vocab_size=1, **opts).to_json(path)
    return str(path)

def flash_probe(run:Path, device:str, dtype:str)->str|bool:
    "True if one forward and backward of the run's model goes through the flash kernel alone; else why not"
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from codenas.run import load_run
    model = load_run(run, device=device)[0].train()
    x = torch.randint(0, model.cfg.vocab_size, (2, model.cfg.block_size), device=device)
    try:
        amp = torch.autocast(x.device.type, getattr(torch, dtype), enabled=dtype != 'float32')
        with sdpa_kernel([SDPBackend.FLASH_ATTENTION]), amp:
            model(x).float().mean().backward()
        return True
    except RuntimeError as e: return str(e).splitlines()[0][:200]

def bench(out:Path, m:dict, name:str, arch:str, block_size:int, batch_size:int, compile:bool, a)->dict:
    from codenas.train import train
    tag = f"{name}-b{batch_size}-{'compiled' if compile else 'eager'}"
    t0 = time.time()
    s = train(arch_json=arch, experiment_name=tag, train_path=str(m['train_path']), val_path=str(m['val_path']),
              log_dir=str(out/'runs'), max_steps=a.steps, batch_size=batch_size, block_size=block_size,
              eval_interval=a.steps, eval_tokens=65536, warmup_steps=max(1, a.steps//10),
              log_interval=max(1, a.steps//10),
              device=a.device, dtype=a.dtype, compile=compile, overwrite=True, progress=False)
    return dict(row=tag, model=name, batch_size=batch_size, block_size=block_size, compile=compile,
                device=s['device'], params=s['params'], steps=s['steps'], tokens_per_s=s['tokens_per_s'], mfu=s['mfu'],
                wall_s=round(time.time() - t0, 1), flash=flash_probe(Path(s['run']), a.device, a.dtype))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='/tmp/codenas_bench_gpu', type=Path)
    ap.add_argument('--steps', default=300, type=int, help='training steps per row')
    ap.add_argument('--dry', action='store_true', help='CPU, tiny models, float32, 6 steps: a check of the code path')
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch
    if a.dry: a.device, a.dtype, a.steps = 'cpu', 'float32', 6
    elif not torch.cuda.is_available(): sys.exit('bench_gpu: no CUDA device here; --dry checks the code path on CPU')
    else: a.device, a.dtype = 'cuda', 'bfloat16'
    a.out.mkdir(parents=True, exist_ok=True)
    m, rows = corpus(a.out), []
    env = dict(torch=torch.__version__, cuda=torch.version.cuda, python=sys.version.split()[0],
               device=torch.cuda.get_device_name() if a.device == 'cuda' else 'cpu (dry run)')
    print(json.dumps(env), flush=True)
    for name, (opts, block_size, batch_size) in SIZES.items():
        if a.dry: opts, block_size, batch_size = DRY, 32, 4
        arch = arch_file(a.out, name, opts, block_size)
        for compile in (False, True):
            rows.append(bench(a.out, m, name, arch, block_size, batch_size, compile, a))
            print(json.dumps(rows[-1]), flush=True)
    (a.out/'bench_gpu.json').write_text(json.dumps(dict(env=env, steps=a.steps, rows=rows), indent=1))
    print(f"\n{'row':34} {'params':>9} {'tokens/s':>12} {'MFU':>7}  flash")
    for r in rows:
        mfu = f"{r['mfu']:.3f}" if r['mfu'] is not None else '-'
        print(f"{r['row']:34} {r['params']:>9,} {r['tokens_per_s'] or 0:>12,.0f} {mfu:>7}  {r['flash']}")

if __name__ == '__main__': main()
