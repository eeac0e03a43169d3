"""`report.html` in a real browser at 1,280 pixels: nothing wider than the window, completions as code blocks with
their lines and their whitespace visible, figures drawn at twice their size on the page, learning curves, the
provenance header first. The experiment folder is made from the committed `results/quick.csv` with a few completions
and a short learning curve per run, so the test needs no training. Screenshots go to `artifacts/browser/`."""
import json, math
from pathlib import Path
import pandas as pd
from codenas.report import show_whitespace, write_report

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ['\n    return self.items[-1]\n', '\n' + ' ' * 12 + 'pass',
               'x = [i for i in range(10) if i % 2]  # ' + 'a long line ' * 12, '\n' + ' ' * 24]

def _curve(run_dir:Path, val_loss:float, steps:int):
    "A metrics.jsonl falling towards the run's val loss, and a summary.json that says it ran to the end"
    rows = []
    for s in range(10, steps + 1, 10):
        loss = val_loss + (4.6 - val_loss) * math.exp(-s / (steps / 5))
        rows += [dict(step=s, train_loss=loss * 0.98, lr=1e-3), dict(step=s, val_loss=loss, tokens=s * 1024)]
    (run_dir/'metrics.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    (run_dir/'summary.json').write_text(json.dumps(dict(steps=steps, tokens=steps * 1024, stop_reason='max_steps')))

def _experiment(d:Path)->Path:
    "An experiment folder: the quick results table and, per run, a results.jsonl of four prompts and a learning curve"
    d.mkdir(parents=True)
    df = pd.read_csv(ROOT/'results'/'quick.csv')
    df.to_csv(d/'results.csv', index=False)
    for r in df.itertuples():
        recs = [dict(source=s, prompt_id=i, prompt=f'def f{i}(a, b):', completion=c)
                for i, c in enumerate(COMPLETIONS) for s in ('model', 'human')]
        (d/'runs'/r.run).mkdir(parents=True)
        (d/'runs'/r.run/'results.jsonl').write_text(''.join(json.dumps(x) + '\n' for x in recs))
        _curve(d/'runs'/r.run, r.val_loss, 200)
    return d

def test_report_fits_1280(browser, tmp_path):
    path = write_report(_experiment(tmp_path/'exp'), metrics=('val_bpb', 'mode_collapse'))
    page = browser.new_page(viewport=dict(width=1280, height=900))
    try:
        page.goto(path.as_uri())
        assert page.evaluate('document.documentElement.scrollWidth') <= 1280   # wide tables scroll in their own box
        first = page.locator('table.examples pre').first.inner_text()
        assert first == 'def f0(a, b):'                                       # prompts and completions are code blocks
        texts = page.locator('table.examples pre').all_inner_texts()
        assert show_whitespace(COMPLETIONS[0]) in texts and not any('\\n' in t for t in texts)  # lines break as written
        assert '⏎\n' + '␣' * 24 in texts                                      # a whitespace-only completion: not blank
        imgs = page.evaluate('[...document.images].map(i => [i.naturalWidth, i.width, i.complete])')
        assert len(imgs) == 3 and all(n // 2 == w and ok for n, w, ok in imgs), imgs  # 2 metrics and the curves, at 2x
        assert page.get_by_role('heading', name='Learning curves').is_visible()
        assert page.locator('details table.provenance th').first.inner_text() == 'codenas'
        out = ROOT/'artifacts'/'browser'
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out/'report.png'), full_page=False)
        page.locator('h2', has_text='Learning curves').scroll_into_view_if_needed()
        page.screenshot(path=str(out/'report_curves.png'), full_page=False)
    finally: page.close()
