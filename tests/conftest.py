"""What the tests share: the notebooks executed once per session (the notebook tests and the docs test both read them),
headless Debian chromium through Playwright, and skipping (or failing under CI=true) when a tool the browser tests need
is missing."""
import importlib.util, os, shutil
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

@pytest.fixture(scope='session')
def executed(request, tmp_path_factory):
    "The notebooks this session tests (all of them when the docs test runs), run once: {name: None, or its failure}"
    from nbdev.config import get_config
    from codenas.docs import execute_notebooks
    items = request.session.items
    params = lambda i: getattr(getattr(i, 'callspec', None), 'params', {})
    wanted = {i.callspec.params['nb'].name for i in items if 'nb' in params(i)}
    if any(i.path.name == 'test_docs.py' for i in items): wanted = {p.name for p in NBS}
    force = os.environ.get('CODENAS_TEST_FLAGS', '').replace(',', ' ').split()
    skip = [f for f in get_config().tst_flags.split() if f not in force]
    tmp = tmp_path_factory.mktemp('notebooks')  # the notebooks' temporary folders go here, which pytest prunes
    return execute_notebooks([p for p in NBS if p.name in wanted], EXECUTED, cwd=ROOT/'nbs', skip_flags=skip,
                             timeout=int(get_config().cell_timeout), env={'TMPDIR': str(tmp)}, progress=True)

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
    "One line at the end of `make test` naming the skipped tests and the command that enables them"
    skipped = terminalreporter.stats.get('skipped', [])
    if not skipped: return
    files = sorted({r.nodeid.split('::')[0] for r in skipped})
    terminalreporter.write_line(f"codenas: {len(skipped)} test(s) skipped in {', '.join(files)}: "
                                "`apt-get install -y chromium` (plus npm if there is none), "
                                "then `make test`, runs them")
