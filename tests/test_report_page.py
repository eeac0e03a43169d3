"""`report.html` in a real browser at 1,280 pixels: nothing wider than the window, completions as code blocks with
their newlines, the provenance header first. The experiment folder is made from the committed `results/quick.csv`
with a few completions per run, so the test needs no training. A screenshot goes to `artifacts/browser/report.png`."""
import json, shutil
from pathlib import Path
import pandas as pd
from codenas.report import write_report

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ['\n    return self.items[-1]\n', '\n' + ' ' * 12 + 'pass', 'x = [i for i in range(10) if i % 2]  # ' + 'a long line ' * 12]

def _experiment(d:Path)->Path:
    "An experiment folder: the quick results table and, per run, a results.jsonl of three prompts"
    d.mkdir(parents=True)
    df = pd.read_csv(ROOT/'results'/'quick.csv')
    df.to_csv(d/'results.csv', index=False)
    for run in df.run:
        recs = [dict(source=s, prompt_id=i, prompt=f'def f{i}(a, b):', completion=c) for i, c in enumerate(COMPLETIONS) for s in ('model', 'human')]
        (d/'runs'/run).mkdir(parents=True)
        (d/'runs'/run/'results.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in recs))
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
        assert COMPLETIONS[0] in texts and not any('\\n' in t for t in texts)  # newlines shown as line breaks
        assert page.locator('details table.provenance th').first.inner_text() == 'codenas'
        out = ROOT/'artifacts'/'browser'; out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out/'report.png'), full_page=False)
    finally: page.close()
