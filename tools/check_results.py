"""Compare a freshly made results table with the committed one: CI's check that the code still makes what is committed.

    python tools/check_results.py NEW.csv COMMITTED.csv

Every column must be equal (numbers to within --rtol/--atol, for the float rounding of another CPU) except the
wall-clock ones, with one allowance for sampled text. Generation is chaotic: a change in the last float bit of a logit
(seen here: val bits per byte 1.65295353 against 1.65295357 for the same run on one CPU) can change which token a
sample draws, and with it one completion in 85. So a generation metric that carries a 95% interval (`M`, `M_lo`,
`M_hi`) passes when its new value lies inside the committed interval; the interval's own bounds move with it and are
not compared. Teacher-forced numbers (val and continuation bits per byte), the human band and every other column are
compared exactly, so a change to training, tokenizing, the human windows or a metric's definition still fails. The
no-mask diagnostic runs are compared on val bits per byte only, within --diag_atol: their generations differ between
CPUs wholesale, so no claim is made about them. Exit status 1 with one line per difference, naming the run and the
column; a line on stdout counts the generation metrics that moved inside their intervals.
"""
import argparse, math, sys
import pandas as pd

WALL_CLOCK = ('train_seconds', 'wall_seconds')

def sampled(cols)->set:
    "Generation metrics with an interval: M where M_lo and M_hi are columns too (the human band is not sampled)"
    return {c for c in cols if f'{c}_lo' in cols and f'{c}_hi' in cols and not c.startswith('human_')}

def differences(new:pd.DataFrame, old:pd.DataFrame, rtol:float, atol:float, diag_atol:float,
                moved:list=None)->list[str]:
    out, gen = [], sampled(set(old.columns))
    bounds = {f'{c}_lo' for c in gen} | {f'{c}_hi' for c in gen}
    if sorted(new.run) != sorted(old.run): out.append(f'runs differ: made {sorted(new.run)}, committed {sorted(old.run)}')
    cols = [c for c in old.columns if c not in WALL_CLOCK]
    if missing := [c for c in cols if c not in new.columns]: out.append(f'columns missing from the new table: {missing}')
    if extra := [c for c in new.columns if c not in old.columns and c not in WALL_CLOCK]: out.append(f'new columns not in the committed table: {extra}')
    n, o = new.set_index('run'), old.set_index('run')
    for run in sorted(set(n.index) & set(o.index)):
        diag = bool(o.loc[run, 'ablation'])
        for c in (['val_bpb'] if diag else [c for c in cols if c != 'run' and c in n.columns]):
            a, b = n.loc[run, c], o.loc[run, c]
            if isinstance(b, float) and math.isnan(b) and isinstance(a, float) and math.isnan(a): continue
            if c in bounds: continue
            try:
                ok = math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=diag_atol if diag else atol)
                if not ok and c in gen:
                    ok = o.loc[run, f'{c}_lo'] - atol <= float(a) <= o.loc[run, f'{c}_hi'] + atol
                    if ok and moved is not None: moved.append(f'{run}: {c}')
            except (TypeError, ValueError): ok = str(a) == str(b)
            if not ok: out.append(f'{run}: {c} is {a} in the new run, {b} committed')
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('new')
    ap.add_argument('committed')
    ap.add_argument('--rtol', type=float, default=1e-4)
    ap.add_argument('--atol', type=float, default=1e-4)
    ap.add_argument('--diag_atol', type=float, default=0.005)
    a = ap.parse_args()
    moved = []
    diffs = differences(pd.read_csv(a.new), pd.read_csv(a.committed), a.rtol, a.atol, a.diag_atol, moved)
    for d in diffs: print(f'{a.committed}: {d}', file=sys.stderr)
    if diffs: sys.exit(1)
    if moved:
        runs = sorted({m.split(':')[0] for m in moved})
        print(f'{len(moved)} generation metrics of {", ".join(runs)} moved, each inside its committed 95% interval')
    print(f'{a.new} matches {a.committed} ({len(pd.read_csv(a.new))} runs; wall-clock columns and the diagnostic\'s generations not compared)')
