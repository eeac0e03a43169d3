"""The `original` presets' dry versions (issue 24), cheap enough for CI: `codenas experiment --preset original
--dry` end to end on synthetic Python modules of fixed content (the preset's pool is 16 PyPI packages, which CI cannot
fetch), and the runs `original-grid` plans, dry and whole, without training. `tools/gpu_experiment.sh run` runs
both presets on a GPU."""
import json
import pandas as pd

def test_original_dry(tmp_path):
    "The dry original trains and evaluates its three char runs and the no-mask diagnostic, on the original's model"
    import torch
    from codenas.cli import main
    from codenas.presets import PRESETS
    was = torch.get_num_threads()
    torch.set_num_threads(1)
    from codenas.corpus import synthetic_project
    # a source of fixed content: val files are picked by content hash, and at the preset's 0.017 the package's own
    # 27 files all landed in train after one change of code
    src = synthetic_project(tmp_path/'src', n=400)
    argv = ['experiment', '--preset', 'original', '--dry', '--out', str(tmp_path/'out'), '--src_dir', str(src),
            '--report', 'false', '--progress', 'false']
    try: rc = main(argv)
    finally: torch.set_num_threads(was)
    assert rc in (0, None)
    r, s = pd.read_csv(tmp_path/'out'/'results.csv'), json.loads((tmp_path/'out'/'settings.json').read_text())
    assert sorted(r.run) == ['char-1.3MB-s0', 'char-1.3MB-s0-nomask', 'char-7.92MB-s0']
    assert set(r.tokenizer) == {'char'} and r.ablation.sum() == 1
    assert s['dry'] and s['preset'] == 'original' and s['recipe'] == 'classic'
    orig = PRESETS['original']
    assert (orig['batch_size'], orig['arch']['block_size']) == (32, 256)      # the original's batch of 256 characters
    assert orig['tokens_per_run'] // (32 * 256) == 10_000                     # the baseline's steps
    a = orig['arch']
    assert (a['n_layer'], a['n_head'], a['n_embd'], a['ffn_mult'], a['norm'], a['activation'], a['pos']) == \
        (4, 8, 256, 3.0, 'rmsnorm', 'gelu', 'rope')                          # data/archs/codenas_best_current.json
    assert (s['arch']['n_layer'], s['arch']['norm'], s['arch']['activation']) == (1, 'rmsnorm', 'gelu')  # dry

def test_original_grid_plan():
    "original-grid plans the grid at GPU scale: up to 4.7 M parameters, 20 tokens a parameter, the whole pool"
    from codenas.experiment import grid_runs
    from codenas.presets import _settings
    from codenas.model import ArchConfig, param_count
    p = _settings('original-grid', {}, dry=False)
    unique = {mb: round(mb * 1e6 / 3.37) for mb in p.tiers}  # about the grid's bytes per BPE token
    runs = grid_runs(p, unique)
    assert len(runs) == 26 and {r.regime for r in runs} == {'grid', 'original', 'seed'}
    n = {k: param_count(c := ArchConfig(vocab_size=p.bpe_vocab, **a), non_embedding=True) - c.vocab_size * c.n_embd
         for k, a in p.archs.items()}
    assert 4.5e6 < max(n.values()) < 5e6 and abs(max(p.budgets) / max(n.values()) - 20) < 0.5
    assert max(p.tiers) >= 75                                              # the whole pool (under 75 MB)
    orig = [r for r in runs if r.regime == 'original']
    assert all(abs(r.budget / unique[min(p.tiers)] - 63) < 0.1 for r in orig)
    d = _settings('original-grid', {}, dry=True)
    dry = grid_runs(d, {mb: round(mb * 1e6 / 3.37) for mb in d.tiers})
    assert len(dry) == 10 and max(r.budget for r in dry) // (d.batch_size * 32) <= 1440  # small enough for a CPU
