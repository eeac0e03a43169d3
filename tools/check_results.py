"""Compare a freshly made results table with the committed one: CI's check that the code still makes what is committed.

    python tools/check_results.py NEW.csv COMMITTED.csv

Every column must be equal (numbers to within --rtol/--atol, for the float rounding of another CPU) except the
wall-clock ones. The no-mask diagnostic runs are compared on val bits per byte only, within --diag_atol: their
generations are chaotic (a change in the last float bit of a logit changes the text) and differ between CPUs, so no
claim is made about them. Exit status 1 with one line per difference, naming the run and the column.
"""
import argparse, math, sys
import pandas as pd

WALL_CLOCK = ('train_seconds', 'wall_seconds')

def differences(new:pd.DataFrame, old:pd.DataFrame, rtol:float, atol:float, diag_atol:float)->list[str]:
    out = []
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
            try: ok = math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=diag_atol if diag else atol)
            except (TypeError, ValueError): ok = str(a) == str(b)
            if not ok: out.append(f'{run}: {c} is {a} in the new run, {b} committed')
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('new'); ap.add_argument('committed')
    ap.add_argument('--rtol', type=float, default=1e-4); ap.add_argument('--atol', type=float, default=1e-4)
    ap.add_argument('--diag_atol', type=float, default=0.005)
    a = ap.parse_args()
    diffs = differences(pd.read_csv(a.new), pd.read_csv(a.committed), a.rtol, a.atol, a.diag_atol)
    for d in diffs: print(f'{a.committed}: {d}', file=sys.stderr)
    if diffs: sys.exit(1)
    print(f'{a.new} matches {a.committed} ({len(pd.read_csv(a.new))} runs; wall-clock columns and the diagnostic\'s generations not compared)')
