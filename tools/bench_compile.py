"""Eager against torch.compile for the study's 0.8M model (grid.yaml), one thread, N training steps each.

    OMP_NUM_THREADS=1 python tools/bench_compile.py --rounds 2 --steps 200
Each run is a fresh process with an empty inductor cache (cold compile). A/B alternating.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time

def one(mode, steps, vocab, dtype):
    import torch
    from torch.nn import functional as F
    from codenas.model import ArchConfig, CodeLM
    from codenas.optim import make_optimizer
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = ArchConfig(n_layer=4, n_head=4, n_embd=128, block_size=128, vocab_size=vocab, pos='rope', activation='relu2',
                     qk_norm=True, zero_init_proj=True)
    model = CodeLM(cfg)
    opt = make_optimizer(model, 3e-3, 0.1)
    fwd = torch.compile(model) if mode == 'compiled' else model
    g = torch.Generator().manual_seed(0)
    ac = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if dtype == 'bfloat16' else None
    kids = lambda: resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = lambda: time.process_time() + kids().ru_utime + kids().ru_stime  # inductor compiles in child processes too
    times, cpus, c0, w0 = [], [], cpu(), time.perf_counter()
    for i in range(steps):
        t = time.perf_counter()
        x = torch.randint(0, vocab, (32, 129), generator=g)
        xb, yb = x[:, :-1], x[:, 1:]
        if ac:
            with ac(): logits = fwd(xb)
        else: logits = fwd(xb)
        loss = F.cross_entropy(logits.float().view(-1, vocab), yb.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
        cpus.append(cpu())
    steady = sorted(times[10:])[len(times[10:])//2]
    cdiff = sorted(b - a for a, b in zip(cpus[10:], cpus[11:]))
    return dict(mode=mode, steps=steps, wall_s=round(time.perf_counter() - w0, 2), cpu_s=round(cpu() - c0, 2),
                first_step_cpu_s=round(cpus[0] - c0, 2), median_step_cpu_s=round(cdiff[len(cdiff)//2], 4),
                steady_cpu_s=round(cpus[-1] - cpus[10], 2), first_step_s=round(times[0], 2),
                median_step_s=round(steady, 4), loss=round(loss.item(), 4), dtype=dtype)

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--one')
    ap.add_argument('--steps', type=int, default=200)
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--vocab', type=int, default=4096)
    ap.add_argument('--dtype', default='float32')
    ap.add_argument('--warm', action='store_true', help='reuse one inductor cache (warm compile)')
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.steps, a.vocab, a.dtype)), flush=True)
        sys.exit()
    shared = tempfile.mkdtemp()
    for r in range(a.rounds):
        for mode in ('eager', 'compiled'):
            cache = shared if a.warm else tempfile.mkdtemp()
            env = dict(os.environ, OMP_NUM_THREADS='1', TORCHINDUCTOR_COMPILE_THREADS='1',
                       TORCHINDUCTOR_CACHE_DIR=cache)
            argv = ['--one', mode, '--steps', str(a.steps), '--vocab', str(a.vocab), '--dtype', a.dtype]
            out = subprocess.run([sys.executable, __file__, *argv], env=env, capture_output=True, text=True)
            line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-2000:]
            rec = dict(round=r, load=os.getloadavg()[0], **json.loads(line)) if line.startswith('{') else None
            print(json.dumps(rec) if rec else line, flush=True)
