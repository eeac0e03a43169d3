"""The hostile-input probes of issue 17 (../shared/PROBES.md) as tests: every bad input, damaged file, device, output
path and concurrent writer ends in one line `codenas CMD: error: ...` with exit code 2, before any long work, with
nothing lost or half-written. Hostile files are made here, in temporary folders; the commands run in this process
(through `codenas.cli.main`), except where a crash could take the process down."""
import json, os, shutil, subprocess, sys, time
from pathlib import Path
import pytest
from codenas.cli import main
from conftest import procs_with
from codenas.core import CodenasError, folder_lock
from codenas.corpus import build_corpus, synthetic_project

ARCH = dict(architecture=dict(arch_type='transformer', num_layers=2, hidden_dim=32, num_heads=2, ffn_multiplier=2.0,
                              normalization='layernorm', activation='gelu', position_encoding='absolute',
                              attention_dropout=0.0, residual_dropout=0.0, vocab_size=101, max_seq_length=32,
                              quantization='none', pruning_ratio=0.0))

@pytest.fixture(autouse=True)
def _time_limit():
    "No probe may hang the suite: each gets 120 s"
    import signal
    def stop(*_): raise TimeoutError('probe took over 120 s')
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)

@pytest.fixture(scope='session')
def w(tmp_path_factory):
    "A scratch folder with a tiny corpus (c/), a tiny architecture (arch.json) and a tiny trained run (runs/ref)"
    d = tmp_path_factory.mktemp('probes')
    synthetic_project(d/'src', n=40)
    build_corpus(src_dir=[str(d/'src')], out_dir=str(d/'c'), val_ratio=0.2, progress=False)
    (d/'arch.json').write_text(json.dumps(ARCH))
    assert main(['train', *TRAIN(d), '--log_dir', str(d/'runs'), '--experiment_name', 'ref']) == 0
    (d/'afile').write_text('a file, not a folder\n')
    return d

def TRAIN(d):
    # no warm-up: its cap's warning line would join the one line each probe expects
    return ['--arch_json', str(d/'arch.json'), '--train_path', str(d/'c'/'train.txt'), '--device', 'cpu',
            '--max_steps', '2', '--batch_size', '4', '--seq_len', '32', '--eval_tokens', '512', '--eval_interval', '1',
            '--progress', 'false', '--warmup_steps', '0']

def one_line_error(argv, capsys, cmd=None, contains=()):
    "Run `codenas argv`: exit code 2 and one stderr line `codenas CMD: error: ...` holding every string in `contains`"
    capsys.readouterr()
    try: rc = main(argv)
    except SystemExit as e: rc = e.code
    err = capsys.readouterr().err.strip()
    assert rc == 2, f'rc={rc}, stderr={err!r}'
    assert len(err.splitlines()) == 1 and err.startswith(f'codenas {cmd or argv[0]}: error: '), err
    for s in contains: assert s in err, f'{s!r} not in {err!r}'
    return err

def copy_run(w, name):
    shutil.copytree(w/'runs'/'ref', w/name, dirs_exist_ok=False)
    return w/name

# --- architecture files -------------------------------------------------------------------------------------------

def arch_with(w, name, **fields):
    a = json.loads(json.dumps(ARCH))
    a['architecture'].update(fields)
    p = w/'bad'/f'{name}.json'
    p.parent.mkdir(exist_ok=True)
    p.write_text(json.dumps(a).replace('"NaN"', 'NaN'))
    return p

@pytest.mark.parametrize('name,fields,says', [
    ('A09_huge', dict(hidden_dim=2**20, num_heads=4), 'hidden_dim'),
    ('A09_wide', dict(hidden_dim=65536, num_heads=4), 'memory'),
    ('A09_deep', dict(num_layers=100000), 'num_layers'),
    ('A09_block', dict(max_seq_length=10**9), 'max_seq_length'),
    ('A13_nan', dict(ffn_multiplier='NaN'), 'ffn_multiplier'),
])
def test_arch_sizes_and_nan(w, capsys, name, fields, says):
    p = arch_with(w, name, **fields)
    one_line_error(['train', *TRAIN(w), '--arch_json', str(p), '--log_dir', str(w/'runs'), '--experiment_name', name],
                   capsys, contains=(says,))
    assert not (w/'runs'/name).exists(), 'refused before the run folder is made'

# --- damaged checkpoints --------------------------------------------------------------------------------------------

def damage(w, name, how):
    run = copy_run(w, f'ck_{name}')
    ck = run/'best'
    if how == 'truncate':
        b = (ck/'model.safetensors').read_bytes()
        (ck/'model.safetensors').write_bytes(b[:len(b)//2])
    if how == 'random': (ck/'model.safetensors').write_bytes(os.urandom(4096))
    if how == 'header': (ck/'model.safetensors').write_bytes((2**60).to_bytes(8, 'little') + b'{}')
    if how == 'config': (ck/'config.json').write_text('{"arch":\n')
    if how == 'config_list': (ck/'config.json').write_text('[1, 2]')
    if how == 'shape':
        c = json.loads((ck/'config.json').read_text())
        c['arch']['architecture']['num_layers'] = 3
        (ck/'config.json').write_text(json.dumps(c))
    if how == 'arch':
        c = json.loads((ck/'config.json').read_text())
        c['arch']['architecture']['hidden_dim'] = 2**20
        (ck/'config.json').write_text(json.dumps(c))
    return run

@pytest.mark.parametrize('cmd', ['eval', 'sample'])
@pytest.mark.parametrize('how', ['truncate', 'random', 'header', 'config', 'config_list', 'shape', 'arch'])
def test_damaged_checkpoint(w, capsys, cmd, how):
    "K01, K02, K04, K06, K07, K09, K10: a damaged best/ is named, and nothing is changed"
    run = damage(w, f'{cmd}_{how}', how)
    before = sorted(str(p.relative_to(run)) for p in run.rglob('*'))
    if cmd == 'eval': extra = ['--output', str(w/f'{cmd}_{how}.jsonl'), '--human', 'false', '--name_grounding', 'false']
    else: extra = ['--prompt', 'def ']
    one_line_error([cmd, str(run), '--max_chars', '4', *extra], capsys, contains=('best',))
    assert sorted(str(p.relative_to(run)) for p in run.rglob('*')) == before

@pytest.mark.parametrize('how', ['optimizer', 'optimizer_pickle', 'state', 'state_list', 'weights', 'config'])
def test_damaged_resume(w, capsys, how):
    "K13, K14, K15 and the pickle payload: a damaged last/ is named; the run is left as it was"
    run = copy_run(w, f'rs_{how}')
    last = run/'last'
    if how == 'optimizer': (last/'optimizer.pt').write_bytes((last/'optimizer.pt').read_bytes()[:100])
    if how == 'optimizer_pickle':
        import pickle
        class P:
            def __reduce__(self): return (os.system, (f'touch {w}/pwned_pickle',))
        (last/'optimizer.pt').write_bytes(pickle.dumps(P()))              # a pickle that runs a command when loaded
    if how == 'state': (last/'state.json').write_text('{"step":\n')
    if how == 'state_list': (last/'state.json').write_text('[]')
    if how == 'weights':
        b = (last/'model.safetensors').read_bytes()
        (last/'model.safetensors').write_bytes(b[:len(b)//3])
    if how == 'config': (last/'config.json').write_text('nope')
    metrics = (run/'metrics.jsonl').read_text()
    one_line_error(['train', *TRAIN(w), '--max_steps', '4', '--log_dir', str(w), '--experiment_name', run.name,
                    '--resume'], capsys, contains=('last',))
    assert (run/'metrics.jsonl').read_text() == metrics
    assert not (w/'pwned_pickle').exists()

def test_reader_is_read_only(w):
    "A reader never renames: a run caught between the two renames of a checkpoint save is read as it is"
    from codenas.run import load_run
    run = copy_run(w, 'between')
    (run/'best').rename(run/'best.old')
    _, _, cfg = load_run(run)
    assert (run/'best.old').exists() and not (run/'best').exists()
    assert Path(cfg['checkpoint']).name in ('best.old', 'last')

# --- prompt files and result files -------------------------------------------------------------------------------

PROMPTS = {
    'P01_empty.txt': b'', 'P08_blank.txt': b'\n  \n\n', 'P02_binary.txt': bytes(range(256)) * 4,
    'P03_latin1.txt': 'def f(caf\xe9):\n'.encode('latin-1'),
    'P09_latin1.jsonl': b'{"prompt": "caf\xe9"}\n', 'P05_kind.jsonl': b'{"prompt": "x = ", "kind": "function"}\n',
    'P13_listid.jsonl': b'{"prompt": "x = ", "id": [1, 2]}\n',
    'P14_inttest.jsonl': b'{"prompt": "def f(x):\\n", "test": 5}\n',
    'P00_empty.jsonl': b'',
}

@pytest.mark.parametrize('name', sorted(PROMPTS))
def test_bad_prompt_file(w, capsys, name):
    p = w/'pr'/name
    p.parent.mkdir(exist_ok=True)
    p.write_bytes(PROMPTS[name])
    out = w/'pr'/f'{name}.out.jsonl'
    one_line_error(['eval', str(w/'runs'/'ref'), '--eval_file', str(p), '--output', str(out), '--max_chars', '4',
                    '--human', 'false', '--allow_code_execution'], capsys, contains=(name,))
    assert not out.exists()

def test_prompt_file_is_a_dir(w, capsys):
    "P12"
    (w/'pr'/'dir.txt').mkdir(parents=True, exist_ok=True)
    one_line_error(['eval', str(w/'runs'/'ref'), '--eval_file', str(w/'pr'/'dir.txt'), '--human', 'false'],
                   capsys, contains=('dir.txt',))

@pytest.mark.parametrize('content', [bytes(range(256)), b'{"prompt": "x", "id": "a", "kind": "line"}\n', b'[1, 2]\n',
                                     b'{"a": 1}\n'])
def test_bad_results_file(w, capsys, content):
    "P16, P18: inspect names a file that is not a results file"
    p = w/'notresults.jsonl'
    p.write_bytes(content)
    one_line_error(['inspect', str(p)], capsys, contains=('notresults.jsonl',))

# --- numbers ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('flags,says', [
    (['--seq_len', '0'], 'seq_len'), (['--seq_len', '-1'], 'seq_len'), (['--lr', 'nan'], 'lr'), (['--lr', 'inf'], 'lr'),
    (['--min_lr', 'nan'], 'min_lr'), (['--grad_clip', 'nan'], 'grad_clip'), (['--weight_decay', 'inf'], 'weight_decay'),
    (['--label_smoothing', 'nan'], 'label_smoothing'), (['--decay_frac', 'nan'], 'decay_frac'),
    (['--time_budget', '-1'], 'time_budget'), (['--time_budget', 'nan'], 'time_budget'),
    (['--stop_at', '-3'], 'stop_at'),
    (['--stop_at', '0'], 'stop_at'), (['--tokenizer', 'bpe', '--vocab_size', '1000000000'], 'vocab_size'),
    (['--leak_floor_bpb', 'nan'], 'leak_floor_bpb'), (['--leak_max_acc', 'nan'], 'leak_max_acc'),
    (['--device', 'mps'], 'mps'), (['--device', 'meta'], 'meta'), (['--device', 'cuda:7'], 'cuda'),
    (['--device', 'xla'], 'xla'),
])
def test_bad_train_number(w, capsys, flags, says):
    "N05, N06, N09, N10, N11, N16, N20, N21, D04, D09: refused before the run folder is made"
    name = 'n_' + '_'.join(flags).replace('-', '').replace(':', '')
    one_line_error(['train', *TRAIN(w), *flags, '--log_dir', str(w/'runs'), '--experiment_name', name],
                   capsys, contains=(says,))
    assert not (w/'runs'/name).exists()

@pytest.mark.parametrize('cmd,flags,says', [
    ('eval', ['--samples', '0'], 'samples'), ('eval', ['--limit', '0'], 'limit'), ('eval', ['--limit', '-1'], 'limit'),
    ('eval', ['--temperature', 'nan'], 'temperature'), ('eval', ['--top_p', 'nan'], 'top_p'),
    ('eval', ['--max_chars', '0'], 'max_chars'),
    ('eval', ['--device', 'cuda'], 'cuda'), ('eval', ['--device', 'banana'], 'banana'),
    ('eval', ['--device', 'meta'], 'meta'),
    ('sample', ['--samples', '-1'], 'samples'), ('sample', ['--samples', '0'], 'samples'),
    ('sample', ['--temperature', 'nan'], 'temperature'),
    ('sample', ['--repetition_penalty', 'nan'], 'repetition_penalty'), ('sample', ['--device', 'banana'], 'banana'),
    ('sample', ['--device', 'cuda'], 'cuda'), ('sample', ['--device', 'mps'], 'mps'),
])
def test_bad_generation_number(w, capsys, cmd, flags, says):
    "N24, N30, N31, N32, N34, D05, D06"
    out = w/f"gen_{'_'.join(flags)}.jsonl"
    extra = ['--output', str(out), '--human', 'false'] if cmd == 'eval' else ['--prompt', 'def ']
    one_line_error([cmd, str(w/'runs'/'ref'), *extra, *flags], capsys, contains=(says,))
    assert not out.exists()

def test_train_text_is_binary(w, capsys):
    "C07: a train file that is not UTF-8 is refused before a tokenizer is trained; no run folder is left"
    d = w/'bin'
    d.mkdir()
    (d/'train.txt').write_bytes(b'ab\xe7\x00' * 4000)
    (d/'val.txt').write_bytes(b'hello world\n' * 100)
    one_line_error(['train', *TRAIN(w), '--train_path', str(d/'train.txt'), '--log_dir', str(w/'runs'),
                    '--experiment_name', 'bin'], capsys,
                   contains=('train.txt', 'UTF-8'))
    assert not (w/'runs'/'bin').exists()

def test_train_path_is_a_dir(w, capsys):
    "C04 (a NOTE): a corpus folder given as --train_path is named as a folder"
    one_line_error(['train', *TRAIN(w), '--train_path', str(w/'c'), '--log_dir', str(w/'runs'),
                    '--experiment_name', 'dir'], capsys,
                   contains=('folder',))

# --- output paths ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('where', ['afile', 'afile/sub', '/proc/codenas_x'])
def test_train_log_dir(w, capsys, where):
    "O04, O05"
    p = where if where.startswith('/') else str(w/where)
    one_line_error(['train', *TRAIN(w), '--log_dir', p, '--experiment_name', 'x'], capsys, contains=(p,))

@pytest.mark.parametrize('where', ['afile/x.jsonl', 'adir', '/proc/x.jsonl'])
def test_eval_output(w, capsys, where, monkeypatch):
    "O06, O07, O10: checked before any generation"
    import codenas.eval
    too_soon = lambda *a, **k: pytest.fail('generation started before the output was checked')
    monkeypatch.setattr(codenas.eval, 'complete', too_soon)
    (w/'adir').mkdir(exist_ok=True)
    p = where if where.startswith('/') else str(w/where)
    one_line_error(['eval', str(w/'runs'/'ref'), '--output', p, '--human', 'false'], capsys, contains=(p,))

# --- the corpus --------------------------------------------------------------------------------------------------

def test_corpus_odd_file_name(w):
    "A file name that is not UTF-8 is kept, and written in the manifest with the odd bytes escaped"
    src = w/'odd'
    synthetic_project(src, n=12)
    os.rename(src/'mod_3.py', os.path.join(os.fsencode(src), b'bad\xffname.py'))
    assert main(['corpus', '--src_dir', str(src), '--out_dir', str(w/'oddc'), '--val_ratio', '0.3']) == 0
    m = json.loads((w/'oddc'/'manifest.json').read_text(encoding='utf-8'))
    assert any('bad' in f['path'] and 'name.py' in f['path'] for f in m['files'])

def test_corpus_all_or_nothing(w, monkeypatch):
    "A crash while writing a corpus leaves the old corpus whole, or no corpus at all: never text without its manifest"
    import codenas.corpus as cc
    src = w/'aon'
    synthetic_project(src, n=20)
    build_corpus(src_dir=[str(src)], out_dir=str(w/'aonc'), val_ratio=0.3, progress=False)
    old = {p.name: p.read_bytes() for p in (w/'aonc').iterdir() if p.is_file()}
    real = cc._write_docs
    def full_disk(path, docs):
        if path.name == 'val.txt': raise OSError(28, 'No space left on device')
        return real(path, docs)
    monkeypatch.setattr(cc, '_write_docs', full_disk)
    with pytest.raises(CodenasError, match='No space left'):
        build_corpus(src_dir=[str(src)], out_dir=str(w/'aonc'), val_ratio=0.5, progress=False)
    assert {p.name: p.read_bytes() for p in (w/'aonc').iterdir() if p.is_file()} == old
    with pytest.raises(CodenasError, match='No space left'):
        build_corpus(src_dir=[str(src)], out_dir=str(w/'aonnew'), val_ratio=0.5, progress=False)
    assert not any(p.name in ('train.txt', 'val.txt', 'manifest.json') for p in (w/'aonnew').iterdir())
    monkeypatch.undo()
    cc.load_manifest(w/'aonc')

def test_corpus_partial_refused(w, capsys):
    "Text files whose manifest describes other text are refused by train"
    d = w/'partial'
    shutil.copytree(w/'c', d, ignore=shutil.ignore_patterns('tokens'))
    (d/'train.txt').write_text((d/'train.txt').read_text()[:-100])
    one_line_error(['train', *TRAIN(w), '--train_path', str(d/'train.txt'), '--log_dir', str(w/'runs'),
                    '--experiment_name', 'partial'], capsys,
                   contains=('manifest',))

# --- runs: one idempotent command, non-finite losses, a full disk, locks ----------------------------------------------

def test_rerun_same_command_continues(w, capsys):
    "The same command continues a run; one killed before its first checkpoint starts at step 0; --overwrite replaces"
    args = ['train', *TRAIN(w), '--log_dir', str(w/'runs'), '--experiment_name', 'again']
    assert main(args) == 0
    assert main([*args, '--max_steps', '3']) == 0
    rows = [json.loads(l) for l in (w/'runs'/'again'/'metrics.jsonl').read_text().splitlines()]
    assert [r['step'] for r in rows if 'val_loss' in r] == [1, 2, 3]
    one_line_error([*args, '--max_steps', '4', '--lr', '0.01'], capsys, contains=('lr', '--overwrite'))
    assert main([*args, '--max_steps', '4', '--lr', '0.01', '--overwrite']) == 0
    shutil.rmtree(w/'runs'/'again'/'last')
    shutil.rmtree(w/'runs'/'again'/'best')  # as if killed before the first checkpoint
    assert main(args) == 0
    assert main([*args, '--max_steps', '3', '--resume']) == 0

@pytest.mark.parametrize('name', ['', '.', '..', 'a/b', '/tmp/x'])
def test_experiment_name_is_one_folder(w, capsys, name):
    "A run name that would make LOG_DIR itself, or a folder outside it, the run folder: refused before anything changes"
    (w/'runs'/'keep.txt').write_text('mine')
    one_line_error(['train', *TRAIN(w), '--log_dir', str(w/'runs'), '--experiment_name', name, '--overwrite'],
                   capsys, contains=('experiment_name',))
    assert (w/'runs'/'keep.txt').read_text() == 'mine' and (w/'runs'/'ref'/'last').exists()

def test_foreign_folder_not_thrown_away(w, capsys):
    "A folder that holds anything but a run's files is not deleted to start a run there; --overwrite says to"
    d = w/'runs'/'notarun'
    d.mkdir()
    (d/'thesis.tex').write_text('years of work')
    one_line_error(['train', *TRAIN(w), '--log_dir', str(w/'runs'), '--experiment_name', 'notarun'],
                   capsys, contains=('thesis.tex', '--overwrite'))
    assert (d/'thesis.tex').read_text() == 'years of work'

def test_same_architecture_by_another_path_continues(w, capsys):
    "The architecture is compared by value: the same file by a relative path continues the run; another one is refused"
    args = ['train', *TRAIN(w), '--log_dir', str(w/'runs'), '--experiment_name', 'bypath']
    assert main(args) == 0
    rel = os.path.relpath(w/'arch.json')
    assert main([a if a != str(w/'arch.json') else rel for a in args] + ['--max_steps', '3']) == 0
    other = arch_with(w, 'wider', hidden_dim=64)
    one_line_error([a if a != str(w/'arch.json') else str(other) for a in args] + ['--max_steps', '4'], capsys,
                   contains=('arch_json', 'another architecture'))

def test_non_finite_loss_stops(w, capsys):
    "N10: --lr 1e30 diverges; training stops with one line and no NaN checkpoint is saved as best"
    args = ['train', *TRAIN(w), '--lr', '1e30', '--min_lr', '0', '--warmup_steps', '0', '--max_steps', '3',
            '--log_interval', '1', '--log_dir', str(w/'runs'), '--experiment_name', 'diverge']
    one_line_error(args, capsys, contains=('not finite', '--lr'))
    best = w/'runs'/'diverge'/'best'/'config.json'
    if best.exists():
        import math
        assert math.isfinite(json.loads(best.read_text())['val']['val_loss'])

def test_full_disk_during_save(w, capsys, monkeypatch):
    "A save that fails (a full disk) is one line; the last checkpoint is kept"
    import codenas.run as cr
    run = copy_run(w, 'fulldisk')
    before = (run/'last'/'model.safetensors').read_bytes()
    def full(*a, **k): raise OSError(28, 'No space left on device')
    monkeypatch.setattr(cr, 'save_model', full)
    one_line_error(['train', *TRAIN(w), '--max_steps', '3', '--log_dir', str(w), '--experiment_name', 'fulldisk'],
                   capsys,
                   contains=('no space left on device while writing', 'the previous checkpoint is intact'))
    assert (run/'last'/'model.safetensors').read_bytes() == before

def test_run_folder_lock(w, capsys):
    "A second writer of a run is told who holds it"
    run = copy_run(w, 'locked')
    with folder_lock(run):
        err = one_line_error(['train', *TRAIN(w), '--max_steps', '3', '--log_dir', str(w),
                              '--experiment_name', 'locked'], capsys)
    assert f'in use by process {os.getpid()}' in err

def test_folder_lock_other_process(w):
    "The lock holds across processes and is released when its holder dies"
    d = w/'lockme'
    d.mkdir()
    holder = (f'from codenas.core import folder_lock\nimport time\n'
              f'with folder_lock({str(d)!r}): print("held", flush=True); time.sleep(60)')
    p = subprocess.Popen([sys.executable, '-c', holder],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == 'held'
        with pytest.raises(CodenasError, match=f'in use by process {p.pid}'):
            with folder_lock(d): pass
    finally:
        p.kill()
        p.wait()
    with folder_lock(d): pass

# --- the sandbox: generated code is contained, and evaluation goes on --------------------------------------------

@pytest.fixture(scope='module')
def sandbox():
    "The sandbox must start here; without bubblewrap these tests skip (under CI=true they fail: CI installs it)"
    from codenas.sandbox import _sandbox_problem
    if why := _sandbox_problem():
        if os.environ.get('CI', '').lower() == 'true': pytest.fail(f'{why} (CI=true: the sandbox tests must run)')
        pytest.skip(why)

# Round 2's sandbox payloads (flood, write and read outside, network, survivors, fork bomb, 10 GB) are tested, more
# strictly, in tests/test_sandbox.py::test_round2_payloads.

def test_sandbox_through_the_cli(w, sandbox, capsys):
    "A prompt suite whose test is a payload: `codenas eval --allow_code_execution` finishes, and nothing escapes"
    p = w/'payload.jsonl'
    tests = [f'open({str(w/"pwned_cli")!r}, "w").write("x")',
             "import os\nif os.fork() == 0: os.execv('/usr/bin/sleep', ['sleep', '31.4159'])"]
    p.write_text(''.join(json.dumps(dict(id=f'p{i}', prompt='def value_plus(value, count=3):\n    ', test=t)) + '\n'
                         for i, t in enumerate(tests)))
    assert main(['eval', str(w/'runs'/'ref'), '--eval_file', str(p), '--output', str(w/'payload_out.jsonl'),
                 '--max_chars', '8', '--human', 'false', '--name_grounding', 'false', '--allow_code_execution']) == 0
    recs = [json.loads(l) for l in (w/'payload_out.jsonl').read_text().splitlines()]
    assert [r['passed'] for r in recs] == [False, False] or all('passed' in r for r in recs)
    time.sleep(0.3)
    assert not (w/'pwned_cli').exists() and not procs_with('31.4159')

def test_no_sandbox_refused(w, capsys, monkeypatch):
    "Without a sandbox the functional check is refused in one line, before any generation"
    import codenas.eval as ce, codenas.sandbox as sb
    monkeypatch.setattr(sb, '_sandbox_problem', lambda: 'bubblewrap is not installed (apt-get install bubblewrap)')
    monkeypatch.setattr(ce, 'complete', lambda *a, **k: pytest.fail('generation started'))
    one_line_error(['eval', str(w/'runs'/'ref'), '--eval_file', 'functions', '--output', str(w/'nosb.jsonl'),
                    '--human', 'false', '--allow_code_execution'], capsys, contains=('sandbox', 'bubblewrap'))

def test_reader_passes_over_a_partial_old_best(w):
    "The NOTE of two precisely timed kills (best/ gone, a partial best.old/): readers use last/, changing nothing"
    from codenas.run import load_run
    run = copy_run(w, 'partial_old')
    (run/'best').rename(run/'best.old')
    (run/'best.old'/'model.safetensors').unlink()
    _, _, cfg = load_run(run)
    assert Path(cfg['checkpoint']).name == 'last' and (run/'best.old').exists()

def test_two_trainers_on_one_run(w):
    "Two `codenas train` on one run at once: one trains, the other is refused in one line naming it; no mixed history"
    args = [sys.executable, '-c', 'import sys; from codenas.cli import main; sys.exit(main(sys.argv[1:]))', 'train',
            *TRAIN(w), '--max_steps', '300', '--eval_interval', '100', '--log_dir', str(w/'runs'),
            '--experiment_name', 'twice']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    ps = [subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
          for _ in range(2)]
    res = sorted((p.wait(timeout=110), p.stderr.read().strip()) for p in ps)
    assert [rc for rc, _ in res] == [0, 2], res
    assert 'is in use by process' in res[1][1] and len(res[1][1].splitlines()) == 1
    rows = [json.loads(l) for l in (w/'runs'/'twice'/'metrics.jsonl').read_text().splitlines()]
    assert [r['step'] for r in rows if 'val_loss' in r] == [100, 200, 300]

# --- round 3 (../shared/PROBES3.md): output folders, stale summaries, full disks, damaged logs and tokenizers

def test_run_folder_is_a_symlink(w, capsys):
    "K25: a run folder that is a symlink to a run outside LOG_DIR is refused, even with --overwrite; its target is kept"
    outside = copy_run(w, 'outside_run')
    (w/'k25').mkdir()
    (w/'k25'/'k25').symlink_to(outside)
    one_line_error(['train', *TRAIN(w), '--log_dir', str(w/'k25'), '--experiment_name', 'k25', '--overwrite'], capsys,
                   contains=('symbolic link',))
    assert (outside/'last'/'model.safetensors').exists()

def test_checkpoint_is_a_symlink(w, capsys):
    "K26: a run whose last/ is a symlink to a checkpoint outside is refused in one line on resume; the target is kept"
    run = copy_run(w, 'k26')
    (run/'last').rename(w/'outside_ck')
    (run/'last').symlink_to(w/'outside_ck')
    one_line_error(['train', *TRAIN(w), '--max_steps', '4', '--log_dir', str(w), '--experiment_name', 'k26',
                    '--resume'], capsys,
                   contains=('last', 'symbolic link'))
    assert (w/'outside_ck'/'model.safetensors').exists() and not (run/'last.old').exists()

def test_run_inside_a_checkpoint(w, capsys):
    "A run folder inside a checkpoint (LOG_DIR = a run's best/) is refused: --overwrite would destroy the checkpoint"
    run = copy_run(w, 'holder')
    err = one_line_error(['train', *TRAIN(w), '--log_dir', str(run), '--experiment_name', 'best', '--overwrite'],
                         capsys, contains=('checkpoint',))
    assert '--overwrite' not in err and (run/'best'/'model.safetensors').exists()

def test_stale_summary_is_rewritten(w, capsys):
    "KS01: a continued run killed between its last checkpoint and summary: the next summarises last/, not the old run"
    run = copy_run(w, 'ks')
    old = json.loads((run/'summary.json').read_text())
    args = ['train', *TRAIN(w), '--max_steps', '4', '--log_dir', str(w), '--experiment_name', 'ks', '--resume']
    assert main(args) == 0
    (run/'summary.json').write_text(json.dumps(old))                   # as if killed between last/ and summary.json
    capsys.readouterr()
    assert main(args) == 0
    s = json.loads(capsys.readouterr().out)
    read = lambda p: json.loads((run/p).read_text())
    assert s['steps'] == 4 == read('summary.json')['steps'] == read('last/state.json')['step']
    assert s['final'] == json.loads((run/'last'/'config.json').read_text())['val']
    rows = map(json.loads, (run/'metrics.jsonl').read_text().splitlines())
    assert [r['step'] for r in rows if 'val_loss' in r] == [1, 2, 3, 4]

def test_damaged_metrics_on_resume(w, capsys):
    "K24: binary garbage and a cut line in metrics.jsonl: the resume skips them with a warning; the log is clean again"
    run = copy_run(w, 'k24')
    with open(run/'metrics.jsonl', 'ab') as f: f.write(b'\xff\xfe garbage \x00\n{"step": 1, "val_lo\n')
    capsys.readouterr()
    assert main(['train', *TRAIN(w), '--max_steps', '3', '--log_dir', str(w), '--experiment_name', 'k24',
                 '--resume']) == 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'skipped 2 damaged line(s)' in err, err
    from codenas.run import read_metrics
    assert [r['step'] for r in read_metrics(run, warn=False) if 'val_loss' in r] == [1, 2, 3]
    assert b'garbage' not in (run/'metrics.jsonl').read_bytes()

@pytest.mark.parametrize('flags,says', [(['--seq_len', '1'], 'block_size=1 is too small: need at least 2'),
                                        (['--batch_size', '0'], 'batch_size=0 must be a positive integer')])
def test_too_small(w, capsys, flags, says):
    "B04: --block_size 1 is refused in one line, before the run folder is made"
    one_line_error(['train', *TRAIN(w), *flags, '--log_dir', str(w/'runs'), '--experiment_name', 'b04'],
                   capsys, contains=(says,))
    assert not (w/'runs'/'b04').exists()

def _swap_char(tok_json:Path, old:str, new:str):
    t = json.loads(tok_json.read_text())
    assert old in t['chars'] and new not in t['chars']
    t['chars'] = [new if c == old else c for c in t['chars']]
    tok_json.write_text(json.dumps(t))

@pytest.mark.parametrize('how', ['shift', 'big'])
@pytest.mark.parametrize('cmd', ['eval', 'sample', 'resume'])
def test_tokenizer_not_the_checkpoints(w, capsys, cmd, how):
    "K20c, K21b, K21: a tokenizer.json other than config.json records (ids shifted, more ids than the model) is refused"
    run = copy_run(w, f'tok_{cmd}_{how}')
    for ck in ('best', 'last'):
        if how == 'shift': _swap_char(run/ck/'tokenizer.json', 'a', '\xe9')
        else:
            t = json.loads((run/ck/'tokenizer.json').read_text())
            t['chars'] += [chr(0x4e00 + i) for i in range(200)]
            (run/ck/'tokenizer.json').write_text(json.dumps(t))
    argv = dict(eval=['eval', str(run), '--output', str(w/f'tok_{cmd}_{how}.jsonl'), '--human', 'false',
                      '--max_chars', '4'],
                sample=['sample', str(run), '--prompt', 'def \u4e00\u4e01(a):', '--max_chars', '4'],
                resume=['train', *TRAIN(w), '--max_steps', '4', '--log_dir', str(w), '--experiment_name', run.name,
                        '--resume'])[cmd]
    one_line_error(argv, capsys, cmd='train' if cmd == 'resume' else cmd, contains=('tokenizer.json',))

def test_full_disk_while_saving_the_optimizer(w, capsys, monkeypatch):
    "DF01, DF02: a full disk while writing a checkpoint (torch.save raised RuntimeError): one line, no last.tmp left"
    run = copy_run(w, 'df01')
    before = (run/'last'/'optimizer.pt').read_bytes()
    real = Path.write_bytes
    def full(self, data):
        if self.name == 'optimizer.pt': raise OSError(28, 'No space left on device')
        return real(self, data)
    monkeypatch.setattr(Path, 'write_bytes', full)
    args = ['train', *TRAIN(w), '--max_steps', '3', '--log_dir', str(w), '--experiment_name', 'df01']
    one_line_error(args, capsys,
                   contains=('no space left on device while writing', 'last', 'the previous checkpoint is intact'))
    assert (run/'last'/'optimizer.pt').read_bytes() == before and not (run/'last.tmp').exists()
    monkeypatch.undo()
    (run/'last.tmp').mkdir()
    (run/'last.tmp'/'model.safetensors').write_bytes(b'x' * 1000)  # as a kill would leave it
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True,
                          text=True).stdout.strip()
    (run/f'.summary.json.{dead}.abcd1234.tmp').write_text('half')
    assert main(args) == 0
    assert not (run/'last.tmp').exists() and not list(run.glob('.summary.json.*.tmp'))

@pytest.fixture(scope='module')
def hf(w):
    "transformers, needed by export (codenas[hf]); its progress bars off, so that stderr holds only codenas's line"
    t = pytest.importorskip('transformers')
    t.utils.logging.disable_progress_bar()
    return t

def test_export_into_its_own_checkpoint(w, capsys, hf):
    "X03: --out inside the run (its best/) is refused even with --overwrite, and the refusal does not advise it"
    run = copy_run(w, 'xb')
    before = (run/'best'/'model.safetensors').read_bytes()
    for out in (run/'best', run/'hf', run/'last'/'x'):
        err = one_line_error(['export', str(run), '--out', str(out), '--overwrite'],
                             capsys, contains=('give another --out',))
        assert 'pass --overwrite' not in err
    assert (run/'best'/'model.safetensors').read_bytes() == before and not (run/'hf').exists()

def test_export_out_is_a_symlink(w, capsys, hf):
    "X04: --out that is a symbolic link is refused before the work; the folder it points to is kept"
    (w/'victim').mkdir()
    (w/'victim'/'keep.txt').write_text('mine')
    (w/'exp').mkdir(exist_ok=True)
    (w/'exp'/'link').symlink_to(w/'victim')
    one_line_error(['export', str(w/'runs'/'ref'), '--out', str(w/'exp'/'link'), '--overwrite'],
                   capsys, contains=('symbolic link',))
    assert (w/'victim'/'keep.txt').read_text() == 'mine'

def test_export_full_disk(w, capsys, hf, monkeypatch):
    "DF07: a full disk while exporting over an earlier export: one line; the earlier export kept, no temporary folder"
    import codenas.export as ce
    out = w/'exp'/'df07'
    assert main(['export', str(w/'runs'/'ref'), '--out', str(out)]) == 0
    before = sorted(p.name for p in out.iterdir())
    monkeypatch.setattr(ce, 'model_card', lambda *a, **k: (_ for _ in ()).throw(OSError(28, 'No space left on device')))
    one_line_error(['export', str(w/'runs'/'ref'), '--out', str(out), '--overwrite'], capsys,
                   contains=('no space left on device while writing', 'the earlier export is intact'))
    assert sorted(p.name for p in out.iterdir()) == before and not list(out.parent.glob('.df07.*.tmp'))
    assert (out.stat().st_mode & 0o777) == 0o777 & ~_umask()
    assert ((out/'model.safetensors').stat().st_mode & 0o777) == 0o666 & ~_umask()

def _umask():
    m = os.umask(0)
    os.umask(m)
    return m

def test_model_card_escapes(w, capsys, hf):
    "H03, H02: a run name and summary fields holding HTML are escaped in the card: as CommonMark, no tag comes through"
    name = '<img src=x onerror="document.title=\'PWNED\'">'
    run = copy_run(w, name)
    s = json.loads((run/'summary.json').read_text())
    s['device'] = '<script>document.title="PWNED"</script>'
    (run/'summary.json').write_text(json.dumps(s))
    assert main(['export', str(run), '--out', str(w/'exp'/'card')]) == 0
    card = (w/'exp'/'card'/'README.md').read_text()
    mdi = pytest.importorskip('markdown_it')
    page = mdi.MarkdownIt('commonmark').render(card)
    assert '<img' not in page and '<script' not in page and '&lt;script&gt;' in page

@pytest.mark.parametrize('argv,says', [(['experiment', '--dry', '--jobs', '0'], 'jobs=0 must be a positive integer'),
                                       (['experiment', '--jobs', '-1'], 'jobs=-1 must be a positive integer'),
                                       (['search', '--preset', 'tiny', '--trials', '0'],
                                        'trials=0 must be a positive integer'),
                                       (['search', '--preset', 'tiny', '--dry', '--trials', '-2'],
                                        'trials=-2 must be a positive integer')])
def test_count_flags(w, capsys, argv, says):
    "J01: every count flag is checked by the one count check, before any work"
    out = w/'counts'/'_'.join(argv).replace('-', '')
    one_line_error([*argv, '--out', str(out), '--progress', 'false'], capsys, contains=(says,))
    assert not out.exists() or not any(out.iterdir())

def test_flat_fit_report(w):
    "RP01: a nearly flat power law predicts a size beyond range (inf), not an OverflowError; the report's fits say so"
    import math
    import numpy as np, pandas as pd
    from codenas.report import _fits_table
    from codenas.results import predict_size_for
    assert predict_size_for(dict(a=2.4, alpha=0.00095), 1.0) == math.inf
    D = np.array([1.3, 7.92, 32, 100])
    flat = pd.DataFrame(dict(tokenizer='char', tier_mb=D, tier_target_mb=D, seed=0, ablation=False,
                             val_bpb=2.4*D**-0.00095))
    assert 'beyond range' in _fits_table(flat, (1.2, 1.0))

def test_full_disk_anywhere_is_one_line(w, capsys, monkeypatch):
    "A full disk in a writer with no handling of its own is still one line with rc 2, naming the file"
    import codenas.train as ct
    def full(*a, **k): raise OSError(28, 'No space left on device', str(w/'somewhere'))
    monkeypatch.setattr(ct, '_check_log_dir', full)
    one_line_error(['train', *TRAIN(w), '--log_dir', str(w/'runs'), '--experiment_name', 'x'],
                   capsys, contains=('no space left on device while writing', 'somewhere'))

# --- search storage: one URL parser and password mask for every message (ST01, ST02, ST06, ST08) ----------------

@pytest.mark.parametrize('url,says', [('postgresql://u:s3cret@127.0.0.1:1/db', 'postgresql://u:***@127.0.0.1:1/db'),
                                      ('postgresql+psycopg2://u:s3cret@127.0.0.1:1/db', 'OperationalError'),
                                      ('sqlite:////nonexistent_codenas/dir/x.db', 'does not exist'),
                                      ('nosuchdb://u:s3cret@h/db', 'u:***@h')])
def test_search_storage(w, capsys, url, says):
    "ST01, ST02 (a closed port, the README's plain postgresql:// form), ST06 (no folder at root), ST08 (no password)"
    err = one_line_error(['search', '--preset', 'tiny', '--trials', '1', '--progress', 'false',
                          '--train_path', str(w/'c'/'train.txt'), '--out', str(w/'srch'/str(abs(hash(url)))),
                          '--storage', url], capsys, contains=(says,))
    assert 's3cret' not in err
    assert not Path('/nonexistent_codenas').exists()

def test_corpus_sweeps_what_a_killed_build_left(tmp_path):
    "KC-S: a corpus build killed while staging a split leaves `.train.txt.PID.XXXXXXXX.tmp`; the next build removes it"
    import subprocess, sys
    from codenas.corpus import build_corpus, synthetic_project
    src, out = synthetic_project(tmp_path/'src'), tmp_path/'corpus'
    build_corpus(src_dir=[src], out_dir=out, val_ratio=0.1, min_file_size=10, progress=False)
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])  # a process id that is no longer running
    dead.wait()
    left = out/f'.train.txt.{dead.pid}.abcd1234.tmp'
    left.write_text('half a split')
    build_corpus(src_dir=[src], out_dir=out, val_ratio=0.1, min_file_size=10, progress=False)
    assert not left.exists() and (out/'train.txt').exists()

def test_nul_byte_in_a_prompt_file(tmp_path, capsys):
    "PR02: a NUL byte in a .txt prompt file is refused in one line naming the file and line, before the model loads"
    bad = tmp_path/'prompts.txt'
    bad.write_bytes(b'def f(x):\nif x:\x00\n')
    one_line_error(['eval', str(tmp_path/'no-run'), '--eval_file', str(bad)], capsys,
                   contains=(f'{bad}:2: a NUL byte',))
