"""Sandbox benchmark: bubblewrap launches and wall time of functional tests, before and after batching (issue 29).

    python tools/bench_sandbox.py --before DIR [--after DIR] [--rounds 3] [--prompts 10] [--samples 10]

`--before` and `--after` are codenas source trees (a worktree of the older code, and this one by default). Each round
runs the same records through each tree's `run_tests`, in a fresh process of one thread, in alternating order
(before, after, then after, before, ...): `--prompts` small functions x `--samples` completions each, half of them
canonical, half wrong (a wrong value, `sys.exit()`, `raise SystemExit`, `os._exit(0)`, an exception). A launch is a
process started with `bwrap` on its command line, counted after the sandbox's own start-up check. Prints the launches,
median (min-max) seconds and passes of each tree, and the ratio of their medians; both trees must agree on every record.
"""
import argparse, json, os, statistics, subprocess, sys
from pathlib import Path

PROBLEMS = [  # (name, arguments, docstring, canonical body, test)
    ('add', 'a, b', 'Return a + b.', 'return a + b', 'assert add(2, 3) == 5'),
    ('double', 'x', 'Return twice x.', 'return 2 * x', 'assert double(-2) == -4'),
    ('evens', 'xs', 'The even numbers of xs.', 'return [x for x in xs if x % 2 == 0]', 'assert evens([1, 4]) == [4]'),
    ('rev', 's', 's reversed.', 'return s[::-1]', "assert rev('abc') == 'cba'"),
    ('clamp', 'x, lo, hi', 'x within [lo, hi].', 'return max(lo, min(hi, x))', 'assert clamp(5, 0, 3) == 3'),
    ('vowels', 's', 'The vowels in s.', "return sum(c in 'aeiou' for c in s)", "assert vowels('banana') == 3"),
    ('gcd', 'a, b', 'The greatest common divisor.', 'return a if b == 0 else gcd(b, a % b)', 'assert gcd(12, 18) == 6'),
    ('last', 'xs', 'The last item, or None.', 'return xs[-1] if xs else None', 'assert last([7]) == 7'),
    ('words', 's', 'The words of s.', 'return s.split()', "assert words(' a  b ') == ['a', 'b']"),
    ('square', 'x', 'x squared.', 'return x * x', 'assert square(-3) == 9'),
]
WRONG = ['return None', 'import sys; sys.exit()', 'raise SystemExit', 'import os; os._exit(0)', 'raise ValueError']

WORKER = r"""
import json, subprocess, sys, time
from codenas.sandbox import check_sandbox, run_tests
check_sandbox()
job = json.loads(sys.stdin.read())
launches, popen = [0], subprocess.Popen.__init__
def counted(self, args, *a, **k):
    launches[0] += 'bwrap' in args
    popen(self, args, *a, **k)
subprocess.Popen.__init__ = counted
t0 = time.perf_counter()
out = run_tests(job['recs'], job['prompts'])
print(json.dumps(dict(seconds=time.perf_counter() - t0, launches=launches[0], passed=[r.get('passed') for r in out])))
"""

def records(n_prompts:int, n_samples:int)->tuple[list, list]:
    "The suite's prompts and the model records: for each prompt, canonical and wrong completions in turn"
    prompts, recs = [], []
    for i in range(n_prompts):
        name, args, doc, body, test = PROBLEMS[i % len(PROBLEMS)]
        pid, prompt = f'{name}-{i}', f'def {name}({args}):\n    """{doc}"""\n    '
        prompts.append(dict(id=pid, test=test, entry_point=name))
        recs += [dict(prompt_id=pid, source='model', kind='function', prompt=prompt,
                      completion=(body if j % 2 == 0 else WRONG[j // 2 % len(WRONG)]) + '\n') for j in range(n_samples)]
    return prompts, recs

def measure(tree:str, job:str)->dict:
    "One fresh one-thread process running the records through `tree`'s run_tests"
    env = dict(os.environ, PYTHONPATH=tree, OMP_NUM_THREADS='1')
    r = subprocess.run([sys.executable, '-c', WORKER], input=job, capture_output=True, text=True, env=env, cwd=tree)
    if r.returncode: sys.exit(f'{tree}: {(r.stderr.strip().splitlines() or ["no output"])[-1]}')
    return json.loads(r.stdout)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--before', required=True, help='a codenas tree with the code to compare against')
    here = str(Path(__file__).resolve().parents[1])
    ap.add_argument('--after', default=here, help='a codenas tree (default: this one)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--prompts', type=int, default=10)
    ap.add_argument('--samples', type=int, default=10)
    a = ap.parse_args()
    prompts, recs = records(a.prompts, a.samples)
    job, runs = json.dumps(dict(prompts=prompts, recs=recs)), dict(before=[], after=[])
    for i in range(a.rounds):
        for name in ('before', 'after') if i % 2 == 0 else ('after', 'before'):
            runs[name].append(measure(getattr(a, name), job))
            print(name, {k: v for k, v in runs[name][-1].items() if k != 'passed'}, file=sys.stderr)
    results = {repr(r['passed']) for rs in runs.values() for r in rs}
    if len(results) != 1: sys.exit('the trees disagree on some record')
    med = {k: statistics.median(r['seconds'] for r in rs) for k, rs in runs.items()}
    for k, rs in runs.items():
        s = [r['seconds'] for r in rs]
        print(f"{k:<7} launches {rs[0]['launches']:>4}  seconds {med[k]:6.2f} ({min(s):.2f}-{max(s):.2f})  "
              f"passed {sum(map(bool, rs[0]['passed']))}/{len(recs)}")
    ratio, n = med['after'] / med['before'], [runs[k][0]['launches'] for k in ('before', 'after')]
    per = [x['seconds'] / y['seconds'] for x, y in zip(runs['after'], runs['before'])]  # round by round
    print(f"after / before: {ratio:.3f} of the time ({1 / ratio:.1f}x faster; rounds {min(per):.3f}-{max(per):.3f}), "
          f"{n[0]} -> {n[1]} launches")

if __name__ == '__main__': main()
