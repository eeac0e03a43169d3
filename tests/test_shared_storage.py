"""Search workers sharing one storage, as a team on several machines would run them (issue 19), against a real
PostgreSQL server and against SQLite. The PostgreSQL tests make their own cluster in a temporary folder (Debian's
`postgresql` package), serve it on a free local port and stop it afterwards.
- Six processes released at one instant open a new, empty database: every one must get the tables, the studies and
  the recorded settings (without `schema_lock`, 14 of 30 openings on PostgreSQL and 5 of 30 on SQLite failed with
  'relation already exists' or a unique-constraint error on this machine).
- Two `codenas search` workers started together on a new database: every trial finishes once, none lost, no
  architecture trained twice, the same answer for both."""
import importlib.util, json, multiprocessing as mp, os, shutil, socket, subprocess, sys, tempfile
from collections import Counter
from glob import glob
from pathlib import Path
import pytest
from conftest import missing

def _pg_bin()->Path|None:
    found = sorted(glob('/usr/lib/postgresql/*/bin/initdb'))
    return Path(found[-1]).parent if found else Path(shutil.which('initdb')).parent if shutil.which('initdb') else None

def _free_port()->int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

@pytest.fixture(scope='module')
def pg_url():
    "A PostgreSQL server of our own on a free local port; its URL (database `postgres`, user `codenas`)"
    if importlib.util.find_spec('psycopg2') is None:
        missing('psycopg2 is not installed (pip install psycopg2-binary, in codenas[dev])')
    b = _pg_bin()
    if b is None: missing("Debian's postgresql is not installed (apt-get install postgresql)")
    d = Path(tempfile.mkdtemp(prefix='codenas-pg-'))                      # not pytest's: closed to other users
    as_pg = []
    if os.geteuid() == 0:                                                  # initdb refuses root: runs as `postgres`
        shutil.chown(d, 'postgres')
        as_pg = ['runuser', '-u', 'postgres', '--']
    port = _free_port()
    run = lambda *a: subprocess.run(as_pg + [str(b/a[0]), *a[1:]], check=True, capture_output=True, text=True)
    run('initdb', '-D', str(d/'data'), '-U', 'codenas', '-A', 'trust', '--no-sync')
    opts = f"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off"
    run('pg_ctl', '-D', str(d/'data'), '-l', str(d/'log'), '-w', '-o', opts, 'start')
    try: yield f'postgresql+psycopg2://codenas@127.0.0.1:{port}/postgres'
    finally:
        run('pg_ctl', '-D', str(d/'data'), '-m', 'immediate', 'stop')
        shutil.rmtree(d, ignore_errors=True)

def test_two_workers_one_postgres_study(pg_url, tmp_path):
    from codenas.corpus import build_corpus, synthetic_project
    import optuna
    from optuna.trial import TrialState
    build_corpus(src_dir=[synthetic_project(tmp_path/'src')], out_dir=tmp_path/'corpus', val_ratio=0.1,
                 min_file_size=10, progress=False)
    cli = 'import sys; from codenas.cli import main; sys.exit(main())'
    cmd = lambda w: [sys.executable, '-c', cli, 'search', '--preset=tiny', '--trials=8', f'--storage={pg_url}',
                     f'--worker={w}', f"--out={tmp_path/f'w{w}'}", f"--train_path={tmp_path/'corpus'/'train.txt'}"]
    env = dict(os.environ, IN_TEST='1', OMP_NUM_THREADS='1')
    # at once, on an empty database
    procs = [subprocess.Popen(cmd(w), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for w in (0, 1)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-2000:]
    st = [optuna.load_study(study_name=f'codenas-rung{r}', storage=pg_url) for r in (0, 1)]
    trials = [s.get_trials() for s in st]
    assert Counter(t.state for t in trials[0])[TrialState.COMPLETE] >= 8                     # none lost
    assert not [t.number for ts in trials for t in ts if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for ts in trials:                                                                         # none trained twice
        trained = Counter(json.dumps(t.user_attrs['arch'], sort_keys=True) for t in ts
                          if t.state == TrialState.COMPLETE and t.user_attrs['duplicate_of'] is None)
        assert set(trained.values()) == {1}, trained
    done1 = {t.user_attrs['candidate'] for t in trials[1] if t.state == TrialState.COMPLETE}
    assert done1 == set(st[1].user_attrs['promoted'])            # every promoted candidate trained, once
    workers = {t.user_attrs['worker'] for ts in trials for t in ts if t.state == TrialState.COMPLETE}
    assert len(workers) == 2, workers                                                         # both did share the work
    fronts = [json.loads((tmp_path/f'w{w}'/'best.json').read_text()) for w in (0, 1)]
    assert fronts[0] == fronts[1]                                                             # one study, one answer

def _open(url:str, barrier, q):
    "One worker's start, as `search` makes it: storage, rung studies and settings"
    import warnings
    warnings.simplefilter('ignore')
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    from codenas.search import PRESETS, SearchConfig, open_studies
    p = SearchConfig.from_json({**PRESETS['tiny'].to_json(), 'objectives': ['bpb', 'params', 'latency'], 'space': {},
                                'seed': 0, 'corpus': {}, 'device_name': 'cpu', 'recipe': 'classic'})
    barrier.wait()
    try:
        stor, studies = open_studies(url, 'codenas', p, 0)
        q.put(len(studies))
        stor.engine.dispose()
    except Exception as e: q.put(f'{type(e).__name__}: {e}'.splitlines()[0])

def _race(urls:list)->list:
    "Six processes open each URL at the same instant; what each got"
    import codenas.search, optuna                       # imported once, before the forks: the race is the opening alone
    got = []
    for url in urls:
        ctx = mp.get_context('fork')
        b, q = ctx.Barrier(6), ctx.Queue()
        ps = [ctx.Process(target=_open, args=(url, b, q)) for _ in range(6)]
        for p in ps: p.start()
        got += [q.get(timeout=120) for _ in ps]
        for p in ps: p.join()
    return got

def test_new_sqlite_database_opened_at_once(tmp_path):
    assert _race([f"sqlite:///{tmp_path/f'r{k}.db'}" for k in range(5)]) == [2] * 30

def test_new_postgres_database_opened_at_once(pg_url):
    import psycopg2
    c = psycopg2.connect(pg_url.replace('postgresql+psycopg2', 'postgresql'))
    c.autocommit = True
    for k in range(5): c.cursor().execute(f'CREATE DATABASE race{k}')
    c.close()
    assert _race([pg_url.rsplit('/', 1)[0] + f'/race{k}' for k in range(5)]) == [2] * 30

def test_readme_url_form(pg_url):
    "ST01 (issue 26): the README's `postgresql://user@host/db` opens with the `postgres` extra's psycopg 3 (or 2)"
    import optuna
    from codenas.search import _storage, schema_lock, storage_url
    plain = pg_url.replace('postgresql+psycopg2://', 'postgresql://')
    with schema_lock(plain): st = _storage(plain, 1)
    optuna.create_study(storage=st, study_name='readme-form', load_if_exists=True)
    assert 'readme-form' in optuna.get_all_study_names(storage=st)
    assert storage_url(plain).startswith('postgresql' + ('://' if importlib.util.find_spec('psycopg') else '+psycopg2://'))
