"""Lines and functions that read at a glance, held by a ratchet: ruff counts, per file, the lines over 120 characters
(E501) and the statements packed with `;` (E702, E703), and `long_functions` the package's functions over
`MAX_FUNCTION_LINES` lines (FN, issue 28); no file may have more findings than its budget in `tools/lint_budget.json`.

    python tools/lint.py            # check: exit 1 naming each file over its budget, and the new lines themselves
    python tools/lint.py --update   # write today's counts as the budget (after shortening lines, to lock the gain in)

The package held 752 long lines when the rule came (2026-12-06), too many to rewrite beside other work; the budget
lets no file grow worse and falls each time a file is tidied. New files get a budget of zero. The notebooks are read
too (their lesson cells are code that readers read; their exported cells are counted twice, in the notebook and in
the module). Ruff's settings are in
`pyproject.toml` (`[tool.ruff]`); the generated `_modidx.py` is excluded there.
"""
import argparse, ast, collections, json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = ROOT/'tools'/'lint_budget.json'
PATHS = ('codenas', 'tools', 'tests', 'nbs')  # ruff reads notebooks: the lessons' lines count too
MAX_FUNCTION_LINES = 55  # "no function over about 50 lines", counted from `def` to the last line

def findings()->list[dict]:
    "Ruff's findings for the configured rules, as dicts with a path relative to the repository"
    r = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--output-format', 'json', '--exit-zero', *PATHS],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode: sys.exit(f'tools/lint.py: ruff failed ({r.returncode}): {r.stderr.strip()[:500]}')
    return [dict(f, filename=Path(f['filename']).resolve().relative_to(ROOT).as_posix()) for f in json.loads(r.stdout)]

def long_functions(root:Path=ROOT)->list[dict]:
    "A finding, shaped as ruff's, for each function in root's codenas/ longer than `MAX_FUNCTION_LINES`"
    out = []
    for p in sorted((root/'codenas').glob('*.py')):
        for n in ast.walk(ast.parse(p.read_text(encoding='utf-8'))):
            if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)): continue
            if (k := n.end_lineno - n.lineno + 1) > MAX_FUNCTION_LINES:
                out.append(dict(filename=p.relative_to(root).as_posix(), code='FN', location=dict(row=n.lineno),
                                message=f'{n.name} is {k} lines, over {MAX_FUNCTION_LINES}: split it along a seam'))
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--update', action='store_true', help='write the current counts as the budget')
    a = ap.parse_args()
    found = findings() + long_functions()
    counts = collections.Counter(f['filename'] for f in found)
    if a.update:
        BUDGET.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + '\n')
        print(f'tools/lint.py: budget written, {sum(counts.values())} findings in {len(counts)} files')
        return
    budget = json.loads(BUDGET.read_text())
    over = {f: n for f, n in counts.items() if n > budget.get(f, 0)}
    for f, n in sorted(over.items()):
        print(f'{f}: {n} long or packed lines or long functions, budget {budget.get(f, 0)}', file=sys.stderr)
        mine = [x for x in found if x['filename'] == f]
        for x in mine[:12]: print(f"  {f}:{x['location']['row']}: {x['code']} {x['message']}", file=sys.stderr)
        if len(mine) > 12: print(f'  ... and {len(mine) - 12} more: `ruff check {f}` lists them all', file=sys.stderr)
    if over: sys.exit(1)
    lower = {f: (counts.get(f, 0), n) for f, n in budget.items() if counts.get(f, 0) < n}
    if lower: print(f'tools/lint.py: {len(lower)} file(s) below budget: run tools/lint.py --update to lock the gain in')
    print(f'tools/lint.py: {sum(counts.values())} long or packed lines and long functions, none over budget')

if __name__ == '__main__': main()
