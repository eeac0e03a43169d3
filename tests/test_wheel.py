"""codenas installed from its wheel, not from this checkout: the named architectures, prompt suites and search spaces
are package data, so `codenas train` and `codenas eval` work with their defaults. The wheel is built from a copy of the
sources (nothing is written into the checkout) and installed with `pip --target`; its dependencies come from the test's
own environment, and the commands run outside the repository so that nothing of the checkout can be imported. A run
made from a YAML config file there, replayed from its own config.json, gives the same losses."""
import json, os, shutil, subprocess, sys
from pathlib import Path
from codenas.corpus import build_corpus, synthetic_project

ROOT = Path(__file__).resolve().parent.parent

def run(args, cwd, env, timeout=300):
    cli = 'import sys; from codenas.cli import main; sys.exit(main(sys.argv[1:]))'
    r = subprocess.run([sys.executable, '-c', cli, *args], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f'codenas {args[0]} failed ({r.returncode}):\n{r.stderr[-2000:]}'
    return r

def test_wheel_has_its_data(tmp_path):
    src = tmp_path/'src'
    shutil.copytree(ROOT/'codenas', src/'codenas', ignore=shutil.ignore_patterns('__pycache__'))
    for f in ('pyproject.toml', 'README.md'): shutil.copy(ROOT/f, src/f)
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation',
                        '-w', str(tmp_path/'dist'), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    whl, = (tmp_path/'dist').glob('codenas-*.whl')
    site = tmp_path/'site'
    r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target', str(site), str(whl)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    work = tmp_path/'work'
    work.mkdir()
    env = {**os.environ, 'PYTHONPATH': str(site), 'OMP_NUM_THREADS': '1'}
    where = subprocess.run([sys.executable, '-c', 'import codenas; print(codenas.__file__)'], cwd=work, env=env,
                           capture_output=True, text=True).stdout
    assert where.startswith(str(site)), where                                     # the wheel, not the checkout
    for d in ('archs', 'prompts', 'search', 'presets'): assert any((site/'codenas'/'data'/d).rglob('*.*')), d
    presets = subprocess.run([sys.executable, '-c', 'from codenas.presets import PRESETS; print(*PRESETS)'],
                             cwd=work, env=env, capture_output=True, text=True).stdout.split()
    assert presets == ['cpu', 'full', 'grid', 'original-grid', 'original', 'quick'], presets  # package data
    for f in ('core.py', '__main__.py'): assert (site/'codenas'/f).exists(), f  # the shared layer, `python -m codenas`
    r = subprocess.run([sys.executable, '-m', 'codenas', '--version'], cwd=work, env=env, capture_output=True,
                       text=True)
    assert (r.returncode, r.stdout.split()[0]) == (0, 'codenas'), r.stderr[-2000:]
    synthetic_project(work/'proj', n=40)
    build_corpus(src_dir=[str(work/'proj')], out_dir=str(work/'c'), val_ratio=0.2, progress=False)
    run(['train', '--train_path', str(work/'c'/'train.txt'), '--max_steps', '2', '--device', 'cpu',
         '--progress', 'false'], work, env)  # the default architecture: tiny
    summary = json.loads((work/'runs'/'default'/'summary.json').read_text())
    assert summary['steps'] == 2
    run(['eval', '--checkpoint', 'runs/default', '--limit', '2', '--samples', '1', '--output', 'r.jsonl'],
        work, env)  # the default suite: oneline
    recs = [json.loads(l) for l in (work/'r.jsonl').read_text().splitlines()]
    assert {r['source'] for r in recs} == {'model', 'human'} and sum(r['source'] == 'model' for r in recs) == 2
    (work/'a.yaml').write_text(f"train_path: {work/'c'/'train.txt'}\nexperiment_name: cfg\nbatch_size: 4\n"
                               "warmup_steps: 2\neval_interval: 25\neval_tokens: 1024\nseed: 5\ndevice: cpu\n"
                               "dtype: float32\nprogress: false\n")
    run(['train', '--config', 'a.yaml', '--max_steps', '50'], work, env)
    run(['train', '--config', 'runs/cfg/last/config.json', '--experiment_name', 'replay'], work, env)
    losses = lambda name: [(r['step'], r.get('train_loss'), r.get('val_loss'))
                           for r in map(json.loads, (work/'runs'/name/'metrics.jsonl').read_text().splitlines())]
    assert losses('cfg') == losses('replay') and max(s for s, _, _ in losses('cfg')) == 50
