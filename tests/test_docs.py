"""The docs site in a real browser. `codenas docs` builds it once per pytest session into `artifacts/docs/site`, from the
notebooks the session executed once for the notebook tests (`artifacts/executed`, reused only if run from the same
sources); a local HTTP server serves it, and headless Debian chromium (Playwright) opens every page with the network cut off: each page
must load without a console error or a request leaving the machine, its plots must be drawn images, the sampler and
results widgets must draw from their saved state, and every link between pages must reach a page and anchor that
exist. A full-page screenshot of each page, and one of each widget, go to `artifacts/docs/` (gitignored).

`CODENAS_DOCS_SITE=DIR` reuses a site built earlier (`codenas docs --out DIR`). Like `test_browser.py`, it skips when
Playwright, chromium or npm is missing, except under `CI=true`, where that is a failure."""
import functools, http.server, os, re, shutil, subprocess, sys, threading, time
from pathlib import Path
from urllib.parse import urljoin, urlsplit
import pytest
from conftest import EXECUTED, browser_missing, missing
from codenas.docs import npm_cache

ROOT = Path(__file__).resolve().parent.parent
ART = ROOT/'artifacts'/'docs'          # gitignored: the site built here and the screenshots
BUILD_TIMEOUT = 900                    # seconds for `codenas docs` (about 2-4 minutes on 2 busy cores)
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'

@pytest.fixture(scope='session')
def site(request):
    "The built site: CODENAS_DOCS_SITE, or `codenas docs` run once into artifacts/docs/site from the session's executed notebooks"
    if why := browser_missing(): missing(why)  # before the build, which takes minutes
    if os.environ.get('CODENAS_DOCS_SITE'): return Path(os.environ['CODENAS_DOCS_SITE']).resolve()
    if not shutil.which('npm') and not (npm_cache()/'node_modules').exists():
        missing('npm is not installed (apt-get install npm): the docs build fetches the widget manager with it')
    failed = sorted(n for n, why in request.getfixturevalue('executed').items() if why)  # every notebook, run once
    if failed: pytest.fail(f"no site: {', '.join(failed)} failed (see the notebook tests)")
    out, t0 = ART/'site', time.time()
    r = subprocess.run([str(Path(sys.executable).parent/'codenas'), 'docs', '--out', str(out), '--executed', str(EXECUTED),
                        '--reuse', 'true'], cwd=ROOT,
                       capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    if r.returncode: pytest.fail(f'codenas docs failed ({r.returncode}):\n{r.stderr[-3000:]}')
    print(f'\ncodenas docs: {time.time() - t0:.0f} s\n{r.stderr.strip()}\n{r.stdout.strip()}')
    return out

@pytest.fixture(scope='module')
def server(site):
    "The site over HTTP on 127.0.0.1; yields its base URL"
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{srv.server_address[1]}/'
    finally: srv.shutdown()

# What each page shows once its scripts have run, read from the DOM
PAGE_JS = """() => {
  const vis = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                     return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const imgs = [...document.querySelectorAll('main img')];
  return {title: (document.querySelector('main h1') || {}).textContent,
          nav: [...document.querySelectorAll('nav.site-nav a.page')].map(a => a.getAttribute('href')),
          links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
          ids: [...document.querySelectorAll('[id]')].map(e => e.id),
          images: imgs.length, drawn: imgs.filter(i => i.complete && i.naturalWidth > 0 && vis(i)).length,
          views: document.querySelectorAll('%s').length,
          fonts: [...new Set([...document.querySelectorAll('main h1, main h2, main p, main li, main th, .widget-label, .widget-inline-hbox label, nav.site-nav a')]
                  .map(e => getComputedStyle(e).fontFamily))],
          widgets: [...document.querySelectorAll('%s')].filter(s => s.parentElement.querySelector('.widget-subarea')).length};
}""" % (WIDGET_VIEW, WIDGET_VIEW)

@pytest.fixture(scope='module')
def visits(site, server, browser):
    "Every page in the sidebar, opened once offline: {page: DOM facts, console errors, blocked requests}; screenshots saved"
    ART.mkdir(parents=True, exist_ok=True)
    for f in ART.glob('*.png'): f.unlink()
    ctx = browser.new_context(viewport={'width': 1280, 'height': 900})
    blocked = []
    ctx.route('**/*', lambda r: r.continue_() if r.request.url.startswith(server) else (blocked.append(r.request.url), r.abort()))
    res, todo, t0 = {}, ['index.html'], time.time()
    try:
        while todo:
            name = todo.pop(0)
            if name in res: continue
            page, errors, n_blocked = ctx.new_page(), [], len(blocked)
            page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
            page.on('pageerror', lambda e: errors.append(str(e)))
            page.goto(server + name, wait_until='networkidle', timeout=60_000)
            if page.locator(WIDGET_VIEW).count():   # the widget manager draws each view next to its script tag
                page.wait_for_function(f"() => [...document.querySelectorAll('{WIDGET_VIEW}')].every(s => s.parentElement.querySelector('.widget-subarea'))", timeout=30_000)
            page.wait_for_timeout(300)
            res[name] = dict(page.evaluate(PAGE_JS), errors=errors, blocked=blocked[n_blocked:])
            page.screenshot(path=str(ART/name.replace('.html', '.png')), full_page=True)
            for sel, shot in (('textarea[placeholder="a prompt to continue"]', 'sampler'), ('.widget-output img', 'results-widget')):
                w = page.locator(f'.jupyter-widgets.jp-OutputArea-output:has({sel})').last
                if w.count(): w.screenshot(path=str(ART/f'{name[:-5]}-{shot}.png'))
            page.close()
            todo += res[name]['nav']
    finally: ctx.close()
    print(f'\n{len(res)} pages opened in {time.time() - t0:.1f} s')
    return res

def test_every_page_loads_offline_without_errors(site, visits):
    assert set(visits) == {p.name for p in site.glob('*.html')}, 'the sidebar must list every page'
    assert visits['index.html']['nav'][0] == 'index.html'
    bad = {p: v['errors'] + v['blocked'] for p, v in visits.items() if v['errors'] or v['blocked']}
    assert not bad, f'console errors or requests leaving the machine: {bad}'

def test_one_font_family_and_only_the_site(visits, site):
    "Headings, prose, tables, widget labels and the sidebar in one font family; the build folder holds only the site"
    assert {p: v['fonts'] for p, v in visits.items() if len(v['fonts']) != 1} == {}
    assert len({f for v in visits.values() for f in v['fonts']}) == 1
    assert not [p.relative_to(site) for p in site.rglob('*.ipynb')], 'executed notebooks belong outside the site'

def test_plots_are_drawn_images(visits):
    assert {p: (v['drawn'], v['images']) for p, v in visits.items() if v['drawn'] < v['images']} == {}
    assert visits['index.html']['images'] >= 1 and visits['results.html']['images'] >= 2, {p: v['images'] for p, v in visits.items()}

def test_widgets_draw_from_saved_state(visits, site):
    views = {p: (v['widgets'], v['views']) for p, v in visits.items() if v['views']}
    assert all(w == n for w, n in views.values()), f'widgets not drawn (drawn, views): {views}'
    assert visits['eval.html']['views'] >= 1 and visits['report.html']['views'] >= 1, views
    assert (ART/'eval-sampler.png').exists() and (ART/'report-results-widget.png').exists()

def test_sampler_shows_its_saved_completion(server, browser, visits):
    page = browser.new_page()
    try:
        page.goto(server + 'eval.html', wait_until='networkidle')
        box = page.locator('textarea[placeholder="a prompt to continue"]').last
        box.wait_for(timeout=30_000)
        prompt = box.input_value()
        out = page.locator('.jupyter-widgets.jp-OutputArea-output', has=box)
        done = out.locator('pre.codenas-completion').last.text_content()
        assert prompt and done.startswith(prompt) and len(done) > len(prompt), (prompt, done)
        assert out.locator('button', has_text='Generate').is_visible()
    finally: page.close()

def test_links_between_pages_work(server, browser, visits):
    "Every link within the site reaches a page, and its anchor exists, except nbdev's links to names no page documents"
    documented, broken, undocumented = {i for v in visits.values() for i in v['ids']}, [], set()
    for name, v in visits.items():
        for href in v['links']:
            url = urljoin(server + name, href)
            if not url.startswith(server): continue   # another site: not followed offline
            u = urlsplit(url)
            target = u.path.lstrip('/') or 'index.html'
            if target not in visits: broken.append(f'{name}: {href} (no such page)')
            elif u.fragment and u.fragment not in visits[target]['ids']:
                # nbdev links every backticked name it knows, private helpers and methods without a show_doc too:
                # such a link opens its page at the top, on the Quarto site as here
                if re.fullmatch(r'[\w.]+', u.fragment) and u.fragment not in documented: undocumented.add(href)
                else: broken.append(f'{name}: {href} (no such anchor)')
    assert not broken, '\n'.join(broken)
    if undocumented: print(f'\nlinks to names no page documents (they open the page at the top): {sorted(undocumented)}')
    page = browser.new_page()
    try:   # and clicking through the sidebar lands on each page
        page.goto(server + 'index.html')
        for href in visits['index.html']['nav'][1:]:
            page.locator(f'nav.site-nav a[href="{href}"]').click()
            page.wait_for_url(server + href)
            assert page.locator('main h1').first.text_content() == visits[href]['title']
    finally: page.close()

def test_search_box_finds_sections(server, browser):
    "Typing in the sidebar's search box lists the matching sections of every page; Enter opens the first at its anchor"
    page = browser.new_page()
    try:
        page.goto(server + 'index.html', wait_until='networkidle')
        box, hits = page.locator('nav.site-nav input.site-search'), page.locator('nav.site-nav .search-results a')
        box.fill('power law')
        hits.first.wait_for(timeout=5_000)
        hrefs = hits.evaluate_all('as => as.map(a => a.getAttribute("href"))')
        assert any(h.startswith('results.html#') for h in hrefs), hrefs
        box.press('Enter')
        page.wait_for_url(server + hrefs[0])
        frag = urlsplit(hrefs[0]).fragment
        assert not frag or page.locator(f'[id="{frag}"]').count() == 1, hrefs[0]
        box = page.locator('nav.site-nav input.site-search')
        box.fill('zzqx nowhere')
        assert page.locator('nav.site-nav .search-results').inner_text() == 'No match'
        box.fill('')
        assert page.locator('nav.site-nav .search-results').inner_text() == ''
    finally: page.close()
