"""What both browser tests share: headless Debian chromium through Playwright, and skipping (or failing under CI=true)
when a tool they need is missing."""
import os, shutil
import pytest

CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

def missing(why):
    "Skip, or fail where CI must run the browser tests"
    if os.environ.get('CI', '').lower() == 'true': pytest.fail(f'{why} (CI=true: the browser tests must run)')
    pytest.skip(why)

@pytest.fixture(scope='session')
def browser():
    "A headless chromium through Playwright, or a skip (a failure under CI=true)"
    try: from playwright.sync_api import sync_playwright
    except ImportError: missing('playwright is not installed (pip install playwright)')
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if not exe: missing("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try: yield b
        finally: b.close()
