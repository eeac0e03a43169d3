"""The layering of codenas, checked with import-linter's layers contract in pyproject.toml: core at the bottom, then
corpus, dataset, layers (the architecture options), model, train, metrics, summary beside sandbox, human (the human
band), eval, (experiment), report beside search, export, and cli beside docs on top. A module imports only from the
layers below it, siblings not from each other, and nothing imports cli (`python -m codenas` runs it from
`codenas/__main__.py`). grimp reads every import statement, including the ones inside functions that run only when
called, so a lazy import that reaches up is caught like a top-level one."""
import os, re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def lint_imports(root:Path)->subprocess.CompletedProcess:
    "Run import-linter on the codenas package found in `root`, with the contracts of this checkout's pyproject.toml"
    exe = Path(sys.executable).parent/'lint-imports'
    if not exe.exists():
        pytest.fail('lint-imports is not installed: pip install -e ".[dev]" (import-linter is in the dev extra)')
    # the package in `root`, not an installed copy; lines unwrapped
    env = {**os.environ, 'PYTHONPATH': str(root), 'COLUMNS': '200'}
    return subprocess.run([str(exe), '--no-cache', '--no-logo', str(ROOT/'pyproject.toml')], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)

def broken(r:subprocess.CompletedProcess)->list[str]:
    "The forbidden imports import-linter lists, one line each: 'codenas.a is not allowed to import codenas.b'"
    return re.findall(r'^(codenas\.\S+ is not allowed to import codenas\.\S+):', r.stdout, re.M)

def test_layers():
    "Every import in the package, run-time ones included, follows the layers contract"
    r = lint_imports(ROOT)
    assert r.returncode == 0, ('the layering is broken:\n' + '\n'.join(broken(r)) + '\n\n'
                               + r.stdout[-4000:] + r.stderr[-2000:])

def test_layers_catch_a_back_edge(tmp_path):
    "A copy of the package with one import that reaches up from inside a function of core breaks the contract, by name"
    shutil.copytree(ROOT/'codenas', tmp_path/'codenas', ignore=shutil.ignore_patterns('__pycache__'))
    core = tmp_path/'codenas'/'core.py'
    core.write_text(core.read_text() + '\ndef _back_edge():\n    from codenas.corpus import EOD\n    return EOD\n')
    r = lint_imports(tmp_path)
    assert r.returncode != 0, r.stdout[-4000:]
    assert 'codenas.core is not allowed to import codenas.corpus' in broken(r), r.stdout[-4000:]
