"""What both browser tests share: headless Debian chromium through Playwright, and skipping (or failing under CI=true)
when a tool they need is missing."""
import importlib.util, os, shutil
import pytest

CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

def missing(why):
    "Skip, or fail where CI must run the browser tests"
    if os.environ.get('CI', '').lower() == 'true': pytest.fail(f'{why} (CI=true: the browser tests must run)')
    pytest.skip(why)

def browser_missing():
    "Why the browser tests cannot run here, or None: checked before any expensive work"
    if importlib.util.find_spec('playwright') is None: return 'playwright is not installed (pip install playwright)'
    if not (shutil.which('chromium') or shutil.which('chromium-browser')): return "Debian's chromium is not installed (apt-get install chromium)"

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
                                "`apt-get install -y chromium` (plus npm if there is none), then `make test`, runs them")
