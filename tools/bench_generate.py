"""Time `CodeLM.generate` with its KV cache against recomputing the last `block_size` tokens at every step.

    python tools/bench_generate.py [--arch data/archs/small.json] [--new 512] [--prompt 16] [--repeats 3] [--threads N]

A benchmark, not a test: it prints both wall times, the ratio and whether greedy decoding picked the same tokens
while the sequence still fit in `block_size`. Record results in BENCHMARKS.md with the machine and date.
"""
import argparse, platform, time
from pathlib import Path
import torch
from codenas.model import ArchConfig, CodeLM

root = Path(__file__).resolve().parent.parent

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

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', default=str(root/'data/archs/small.json'))
    p.add_argument('--new', type=int, default=512)
    p.add_argument('--prompt', type=int, default=16)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=None, help='torch intra-op threads (default: torch decides)')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    cfg, n, res = bench(a.arch, a.new, a.prompt, a.repeats)
    (tc, oc), (tr, orr) = res[True], res[False]
    fit = cfg.block_size - a.prompt
    print(f'{Path(a.arch).name}: {n:,} parameters, pos={cfg.pos}, block_size={cfg.block_size}; torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}')
    print(f'{a.new} new tokens after a {a.prompt}-token prompt, greedy, best of {a.repeats}:')
    print(f'  KV cache:  {tc:7.3f} s  ({a.new/tc:,.0f} tokens/s)')
    print(f'  recompute: {tr:7.3f} s  ({a.new/tr:,.0f} tokens/s)')
    print(f'  speed-up:  {tr/tc:.1f}x')
    print(f'  same tokens while the sequence fits block_size ({fit} new): {torch.equal(oc[:, :cfg.block_size], orr[:, :cfg.block_size])}')
