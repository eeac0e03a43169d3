"""What the tests share: the notebooks executed once per session (the notebook tests and the docs test both read them),
headless Debian chromium through Playwright, and skipping (or failing under CI=true) when a tool the browser tests need
is missing.

The notebooks start at the session's first test, in the background: their kernels are processes of their own, so the
other tests run on the second core meanwhile, and the tests that read the notebooks go last."""
import importlib.util, os, shutil, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))
EXECUTED = ROOT/'artifacts'/'executed'  # gitignored: the executed copies, which the docs build renders

def procs_with(marker:str)->list:
    "Host processes whose command line holds `marker` (the sandbox tests' check that no child outlived its sandbox)"
    out = []
    for p in Path('/proc').iterdir():
        try:
            if p.name.isdigit() and marker.encode() in (p/'cmdline').read_bytes(): out.append(p.name)
        except OSError: pass
    return out

READERS = ('test_docs.py', 'test_notebooks.py')  # the tests that read the executed notebooks

def pytest_collection_modifyitems(items):
    "The tests that read the executed notebooks last (in their own order), so the others run while the notebooks do"
    items.sort(key=lambda i: i.path.name in READERS)

def wanted_notebooks(items)->set:
    "The notebooks these tests read: those the notebook tests name, all of them when the docs test runs"
    params = lambda i: getattr(getattr(i, 'callspec', None), 'params', {})
    wanted = {i.callspec.params['nb'].name for i in items if 'nb' in params(i)}
    return {p.name for p in NBS} if any(i.path.name == 'test_docs.py' for i in items) else wanted

RAN = {}  # when the notebooks started and ended, and how long the tests waited for them (the summary line)

@pytest.fixture(scope='session', autouse=True)
def notebooks_running(request, tmp_path_factory):
    "The session's notebooks, started at its first test in a thread of their own: a future of `execute_notebooks`"
    wanted = wanted_notebooks(request.session.items)
    if not wanted:
        yield None
        return
    from nbdev.config import get_config
    from codenas.docs import execute_notebooks
    force = os.environ.get('CODENAS_TEST_FLAGS', '').replace(',', ' ').split()
    skip = [f for f in get_config().tst_flags.split() if f not in force]
    tmp = tmp_path_factory.mktemp('notebooks')  # the notebooks' temporary folders go here, which pytest prunes
    kw = dict(cwd=ROOT/'nbs', skip_flags=skip, timeout=int(get_config().cell_timeout), env={'TMPDIR': str(tmp)})
    def run():
        try: return execute_notebooks([p for p in NBS if p.name in wanted], EXECUTED, **kw)
        finally: RAN['end'] = time.time()
    RAN.update(n=len(wanted), start=time.time())
    with ThreadPoolExecutor(1) as pool: yield pool.submit(run)  # an early end of the session waits for them

@pytest.fixture(scope='session')
def executed(notebooks_running):
    "The notebooks this session tests (all of them when the docs test runs), run once: {name: None, or its failure}"
    t0 = time.time()
    try: return notebooks_running.result()
    finally: RAN['waited'] = time.time() - t0

CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync',
                  '--disable-dev-shm-usage']

def missing(why):
    "Skip, or fail where CI must run the browser tests"
    if os.environ.get('CI', '').lower() == 'true': pytest.fail(f'{why} (CI=true: the browser tests must run)')
    pytest.skip(why)

def browser_missing():
    "Why the browser tests cannot run here, or None: checked before any expensive work"
    if importlib.util.find_spec('playwright') is None: return 'playwright is not installed (pip install playwright)'
    if not (shutil.which('chromium') or shutil.which('chromium-browser')):
        return "Debian's chromium is not installed (apt-get install chromium)"

@pytest.fixture(scope='session')
def browser():
    "A headless chromium through Playwright, or a skip (a failure under CI=true)"
    if why := browser_missing(): missing(why)
    from playwright.sync_api import sync_playwright
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try: yield b
        finally: b.close()

def pytest_terminal_summary(terminalreporter):
    "A line on the notebooks' time, and one naming the skipped tests and the command that enables them"
    if 'end' in RAN:
        took, waited = RAN['end'] - RAN['start'], RAN.get('waited', 0)
        terminalreporter.write_line(f"codenas: {RAN['n']} notebook(s) ran in {took:.0f} s beside the other tests, "
                                    f"which then waited {waited:.0f} s for them")
    skipped = terminalreporter.stats.get('skipped', [])
    if not skipped: return
    files = sorted({r.nodeid.split('::')[0] for r in skipped})
    terminalreporter.write_line(f"codenas: {len(skipped)} test(s) skipped in {', '.join(files)}: "
                                "`apt-get install -y chromium` (plus npm if there is none), "
                                "then `make test`, runs them")
