"""The interactive sampler of 04_eval in a real browser: JupyterLab in a subprocess, headless Debian chromium driven
by Playwright. The test runs a copy of the notebook (the cells `test_notebooks.py` would skip are left out), types a
prompt into the last sampler widget, clicks Generate and waits for the completion to appear.

It skips when Playwright or chromium is missing, except under `CI=true`, where a missing browser is a failure.
A screenshot of the widget goes to `artifacts/browser/sampler.png` (gitignored)."""
import json, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = os.environ.get('CODENAS_BROWSER_NB', 'nbs/04_eval.ipynb')  # relative to the repo root
ART = ROOT/'artifacts'/'browser'       # gitignored: the notebook's copy, the server log, the screenshot
PROMPT = 'def total_'
RUN_TIMEOUT = 600                      # seconds for Run All Cells: it trains a tiny model on CPU (100-225 s seen on 2 cores)

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def _notebook_copy(src, dst):
    "Write `src` to `dst` without outputs and without the cells nbdev's test run skips (same flags as test_notebooks.py)"
    from nbdev.config import get_config
    from nbdev.process import NBProcessor
    from nbdev.test import _skip_cell
    force = os.environ.get('CODENAS_TEST_FLAGS', '').replace(',', ' ').split()
    skip = [f for f in get_config().tst_flags.split() if f not in force]
    proc = NBProcessor(src, rm_directives=False, process=True).nb
    skipped = _skip_cell(proc, skip, force)
    drop = {i for i, c in enumerate(proc.cells) if c.cell_type == 'code' and skipped(c)}
    nb = json.loads(Path(src).read_text())
    assert len(nb['cells']) == len(proc.cells)
    nb['cells'] = [c for i, c in enumerate(nb['cells']) if i not in drop]
    for c in nb['cells']:
        if c['cell_type'] == 'code': c['outputs'], c['execution_count'] = [], None
    dst.write_text(json.dumps(nb, indent=1))
    return len(drop)

def _user_settings(d):
    "JupyterLab user settings: no autosave, no news or update checks, every cell in the DOM"
    settings = {'@jupyterlab/docmanager-extension/plugin': {'autosave': False},
                '@jupyterlab/apputils-extension/notification': {'fetchNews': 'false', 'checkForUpdates': False},
                '@jupyterlab/notebook-extension/tracker': {'windowingMode': 'none'}}
    for name, v in settings.items():
        p = d/f'{name}.jupyterlab-settings'
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(v))

def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r: return json.loads(r.read() or b'null')

def _stop(proc, base, token):
    "Shut the kernels down through the API (they run in their own sessions), then the server's process group"
    try:
        for k in _get(f'{base}/api/kernels?token={token}'):
            req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={token}", method='DELETE')
            urllib.request.urlopen(req, timeout=10).close()
    except Exception: pass
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if proc.poll() is not None: break
        try: os.killpg(proc.pid, sig)
        except ProcessLookupError: break
        try: proc.wait(wait)
        except subprocess.TimeoutExpired: pass

@pytest.fixture(scope='module')
def lab(browser):
    "JupyterLab serving the repo root, with a copy of NOTEBOOK under artifacts/browser/; yields (base url, token, nb path)"
    src = ROOT/NOTEBOOK
    if not src.exists(): pytest.fail(f'{NOTEBOOK} does not exist')
    ART.mkdir(parents=True, exist_ok=True)
    nb = ART/src.name
    _notebook_copy(src, nb)
    tmp = Path(tempfile.mkdtemp(prefix='codenas-lab-'))
    _user_settings(tmp/'user-settings')
    (tmp/'tmp').mkdir()  # the kernel's TMPDIR: what the notebook writes to tempfile goes with the rest
    port, token = _free_port(), secrets.token_hex(16)
    base = f'http://127.0.0.1:{port}'
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp/'config'), JUPYTER_RUNTIME_DIR=str(tmp/'runtime'),
               JUPYTER_DATA_DIR=str(tmp/'data'), IPYTHONDIR=str(tmp/'ipython'), TMPDIR=str(tmp/'tmp'), IN_TEST='1',
               JUPYTER_PLATFORM_DIRS='1', MPLBACKEND='module://matplotlib_inline.backend_inline')
    jupyter = Path(sys.executable).with_name('jupyter')
    cmd = [str(jupyter), 'lab'] if jupyter.exists() else [sys.executable, '-m', 'jupyterlab']
    cmd += ['--no-browser', '--allow-root', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
            '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={ROOT}',
            f'--LabApp.user_settings_dir={tmp/"user-settings"}', f'--LabApp.workspaces_dir={tmp/"workspaces"}',
            '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
            '--LabApp.expose_app_in_browser=True']
    log = open(ART/'jupyterlab.log', 'w')
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None: pytest.fail(f'JupyterLab exited ({proc.returncode}); see {ART/"jupyterlab.log"}')
            try:
                _get(f'{base}/api/status?token={token}', timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.time() > deadline: pytest.fail(f'JupyterLab did not answer in 60 s; see {ART/"jupyterlab.log"}')
                time.sleep(0.5)
        yield base, token, nb
    finally:
        _stop(proc, base, token)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(ART/'.ipynb_checkpoints', ignore_errors=True)
        nb.unlink(missing_ok=True)

# The notebook's state, read from JupyterLab's own model (exposed by --LabApp.expose_app_in_browser)
STATE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.widgets) return null;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const errors = [];
  for (const c of cells) for (const o of c.model.outputs.toJSON())
    if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n'));
  const kernel = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return {n: cells.length, done: cells.filter(c => c.model.executionCount !== null).length,
          running: [...w.content.node.querySelectorAll('.jp-InputArea-prompt')].filter(p => p.textContent.includes('*')).length,
          kernel: kernel ? kernel.status : null, errors};
}"""

def _strip_ansi(s):
    import re
    return re.sub(r'\x1b\[[0-9;]*m', '', s)

def test_sampler_generates_in_jupyterlab(browser, lab):
    base, token, nb = lab
    t0 = time.time()
    for f in ('sampler.png', 'failure.png'): (ART/f).unlink(missing_ok=True)
    page_errors, console_errors = [], []
    ctx = browser.new_context(viewport={'width': 1400, 'height': 1000})
    page = ctx.new_page()
    page.on('pageerror', lambda e: page_errors.append(str(e)))
    page.on('console', lambda m: console_errors.append(m.text) if m.type == 'error' else None)
    try:
        rel = nb.relative_to(ROOT).as_posix()
        page.goto(f'{base}/lab/tree/{rel}?token={token}', timeout=60_000)
        # the kernel starts by itself (the notebook names python3); wait for JupyterLab to report it idle
        page.wait_for_function("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                               " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                               " return k && k.status === 'idle'; }", timeout=90_000)
        page.locator('.jp-Notebook').first.wait_for(timeout=30_000)
        # Run > Run All Cells, waiting for the item before clicking it
        page.locator('#jp-menu-panel, #jp-MainMenu').get_by_text('Run', exact=True).first.click()
        item = page.locator('.lm-Menu-item:visible', has_text='Run All Cells').first
        item.wait_for(state='visible', timeout=10_000)
        item.click()
        t_run = time.time()
        state, deadline = None, t_run + RUN_TIMEOUT
        while time.time() < deadline:
            state = page.evaluate(STATE_JS)
            if state and state['errors']: break
            if state and state['n'] and state['done'] == state['n'] and not state['running'] and state['kernel'] == 'idle': break
            time.sleep(1)
        else: pytest.fail(f'Run All Cells did not finish in {RUN_TIMEOUT} s: {state}')
        if state['errors']: pytest.fail(f'{NOTEBOOK}: a cell raised in JupyterLab:\n' + _strip_ansi(state['errors'][0]))
        t_ran = time.time()

        # the last sampler widget in the notebook (the lesson cell's)
        out = page.locator('.jp-OutputArea-output').filter(has=page.locator('textarea[placeholder="a prompt to continue"]')).last
        out.wait_for(timeout=30_000)
        out.scroll_into_view_if_needed()
        box = out.locator('textarea[placeholder="a prompt to continue"]')
        box.fill('')
        box.press_sequentially(PROMPT)
        out.locator('button', has_text='Generate').click()
        page.wait_for_function("""([out, prompt]) => [...out.querySelectorAll('pre.codenas-completion')]
                                   .some(p => p.textContent.startsWith(prompt) && p.textContent.length > prompt.length)""",
                               arg=[out.element_handle(), PROMPT], timeout=60_000)
        completion = out.locator('pre.codenas-completion').filter(has_text=PROMPT).last.text_content()
        assert completion.startswith(PROMPT) and len(completion) > len(PROMPT), completion
        out.evaluate("""e => { e.scrollIntoView({block: 'start'});   // the whole widget, its prompt box first
                                   let p = e.parentElement; while (p && p.scrollHeight <= p.clientHeight) p = p.parentElement;
                                   if (p) p.scrollTop -= 60; }""")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ART/'sampler.png'))
        assert not page_errors, f'uncaught errors in the page: {page_errors}'
        print(f'\nbrowser test: notebook ran in {t_ran - t_run:.1f} s, total {time.time() - t0:.1f} s; '
              f'completion {completion[:80]!r}; console errors: {len(console_errors)}')
    except Exception:
        try: page.screenshot(path=str(ART/'failure.png'))
        except Exception: pass
        raise
    finally:
        ctx.close()
