"""Thread policy benchmark: training speed by OpenMP threads and wait policy, idle and beside a busy neighbour.

    python tools/bench_threads.py [--rounds 3] [--steps 40] [--arch codenas_best_current] [--out DIR]

Each measurement is a fresh process (OpenMP reads `OMP_WAIT_POLICY` once, when torch loads) that trains a codenas
model on random tokens for `--steps` AdamW steps after 5 warm-up steps and prints its tokens/s. Settings: 1 or 2 threads
(on this 2-core box, 2 is torch's default), and OpenMP's default wait policy (spin, then sleep) or PASSIVE. Every
setting runs once per round, in a shuffled order, alone ("idle") and then beside a neighbour: a second process doing
one-thread float32 matmuls for as long as the measurement lasts, the kind of load one other job puts on the box.
Prints a table of median (min-max) tokens/s and writes `OUT/threads.json`.
"""
import argparse, json, os, random, statistics, subprocess, sys, time
from pathlib import Path

WORKER = r"""
import sys, time, torch
from codenas.model import ArchConfig, CodeLM
arch, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
cfg = ArchConfig.from_json(arch); cfg.vocab_size = 128
model = CodeLM(cfg)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
T = cfg.block_size
x = torch.randint(0, 128, (batch, T + 1))
def step():
    loss = torch.nn.functional.cross_entropy(model(x[:, :-1]).flatten(0, 1), x[:, 1:].flatten())
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
for _ in range(5): step()
t0 = time.perf_counter()
for _ in range(steps): step()
print(steps * batch * T / (time.perf_counter() - t0))
"""

NEIGHBOUR = r"""
import time, torch
torch.set_num_threads(1)
a = torch.randn(512, 512)
while True: a = (a @ a).tanh_()
"""

SETTINGS = {'1 thread': dict(OMP_NUM_THREADS='1'), '2 threads': dict(OMP_NUM_THREADS='2'),
            '2 threads, passive': dict(OMP_NUM_THREADS='2', OMP_WAIT_POLICY='PASSIVE'),
            '1 thread, passive': dict(OMP_NUM_THREADS='1', OMP_WAIT_POLICY='PASSIVE')}

def measure(env:dict, arch:str, steps:int, batch:int, busy:bool)->float:
    "Tokens/s of one fresh training process with `env`, alone or beside a one-thread neighbour"
    base = {k: v for k, v in os.environ.items() if k not in ('OMP_NUM_THREADS', 'OMP_WAIT_POLICY')}
    nb = subprocess.Popen([sys.executable, '-c', NEIGHBOUR], env=dict(base, OMP_NUM_THREADS='1')) if busy else None
    try:
        if nb: time.sleep(1.0)  # the neighbour is computing before the measurement starts
        r = subprocess.run([sys.executable, '-c', WORKER, arch, str(steps), str(batch)], env=dict(base, **env),
                           capture_output=True, text=True, check=True)
        return float(r.stdout.strip().splitlines()[-1])
    finally:
        if nb:
            nb.kill()
            nb.wait()

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--steps', type=int, default=40)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--arch', default='codenas_best_current', help='a name in codenas/data/archs or a JSON file')
    ap.add_argument('--out', default='artifacts/bench_threads')
    a = ap.parse_args()
    archs = Path(__file__).resolve().parent.parent/'codenas'/'data'/'archs'
    arch = a.arch if a.arch.endswith('.json') else str(archs/f'{a.arch}.json')
    res = {(s, b): [] for s in SETTINGS for b in (False, True)}
    rng = random.Random(0)
    for r in range(a.rounds):
        for busy in (False, True):
            for s in rng.sample(list(SETTINGS), len(SETTINGS)):
                tps = measure(SETTINGS[s], arch, a.steps, a.batch, busy)
                res[s, busy].append(tps)
                print(json.dumps(dict(round=r, setting=s, neighbour=busy, tokens_per_s=round(tps))), flush=True)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [dict(setting=s, neighbour=b, median=statistics.median(v), min=min(v), max=max(v), runs=v)
            for (s, b), v in res.items()]
    (out/'threads.json').write_text(json.dumps(dict(arch=a.arch, steps=a.steps, batch=a.batch, rows=rows), indent=1))
    print(f"\n{'setting':<22}{'idle tokens/s':>24}{'busy neighbour':>24}")
    for s in SETTINGS:
        cell = lambda b: (lambda v: f'{statistics.median(v):,.0f} ({min(v):,.0f}-{max(v):,.0f})')(res[s, b])
        print(f'{s:<22}{cell(False):>24}{cell(True):>24}')

if __name__ == '__main__': main()
