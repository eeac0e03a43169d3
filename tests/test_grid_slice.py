"""CI's slice of the grid (issue 24): the smallest grid run, `bpe-U0.16MB-D0.655M-N0.2M-s0`, re-made up to its first
evaluation (20 of 160 steps), the way CI re-makes `results/quick.csv` whole.

The grid's tiers are built from wheels of 16 PyPI packages, which CI cannot fetch in seconds, so the 0.16 MB tier's two
splits are committed here (`tests/grid_slice/*.xz`, 250 KB). What is bit-stable is compared exactly with the committed
tables: the splits (bytes, val's SHA-256, xz's bits per byte of val given train), the study's BPE tokenizer (its
fingerprint) and the tokens it makes (unique tokens of train, val tokens). The run is trained with the grid's own
settings (`results/grid/settings.json`, the schedule of its 160 steps, stopped at step 20 with `stop_at`), and its train
and val loss at the first evaluation are compared with the run's committed learning curve within `RTOL`.

Why 1e-4: float rounding is what may differ on another CPU. Made here (AMD Zen 4, AVX-512) on one thread, the slice
equals the committed curve to the last digit; on two threads (another order of summation) val loss moved by 2e-8
relative and train loss not at all. A changed seed moves the mean train loss of the first 20 steps by 3e-3 relative
(0.022 nats: the committed second seed's curve), 29 times the tolerance; val loss at step 20 barely depends on the seed
(1e-5 relative), so the train loss carries that check, and a wrong tier or tokenizer fails the exact checks."""
import hashlib, json, lzma
from pathlib import Path
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
GRID = ROOT/'results'/'grid'
RUN, TIER = 'bpe-U0.16MB-D0.655M-N0.2M-s0', 0.16
FIXTURE = Path(__file__).parent/'grid_slice'
RTOL = 1e-4  # relative, on train and val loss at the first evaluation

def unpack(tmp:Path)->dict:
    "The 0.16 MB tier's train and val splits, written to TMP: {'train_path', 'val_path'}"
    paths = {}
    for split in ('train', 'val'):
        p = tmp/f'{split}.txt'
        p.write_bytes(lzma.decompress((FIXTURE/f'{split}.txt.xz').read_bytes()))
        paths[f'{split}_path'] = str(p)
    return paths

def tier_row()->pd.Series: return pd.read_csv(GRID/'tiers.csv').set_index('tier_target_mb').loc[TIER]

def exact_differences(paths:dict)->list[str]:
    "The bit-stable figures of the tier and tokenizer that differ from results/grid's tables"
    from codenas.dataset import encode_file, load_tokenizer
    from codenas.experiment import xz_bpb
    t, done, out = tier_row(), json.loads((GRID/'runs'/RUN/'done.json').read_text()), []
    tok = load_tokenizer(GRID/'tokenizer-bpe.json')
    train, val = Path(paths['train_path']), Path(paths['val_path'])
    # the tables count file bytes, not the EOD byte after each file
    made = dict(tier_mb=(train.stat().st_size - t.files) / 1e6,
                val_sha256=hashlib.sha256(val.read_bytes()).hexdigest(),
                unique_tokens=len(encode_file(tok, train)), val_tokens=len(encode_file(tok, val)),
                xz_bpb=xz_bpb(train, val))
    out += [f'{k}: made {v}, committed {t[k]}' for k, v in made.items() if v != t[k]]
    if tok.fingerprint != done['tokenizer_fingerprint']:
        out.append(f"tokenizer: {tok.fingerprint}, the run's {done['tokenizer_fingerprint']}")
    return out

def first_evaluation(paths:dict, tmp:Path, seed:int=0, threads:int=1)->pd.Series:
    "The run's first learning-curve row, re-made with the grid's settings: step, tokens, passes, train and val loss"
    import torch
    from codenas.experiment import learning_curve, train_kwargs
    from codenas.model import ArchConfig
    from codenas.presets import experiment_settings
    from codenas.train import train
    p, t = experiment_settings(GRID), tier_row()
    arch = p.archs['0.2M']
    ArchConfig(vocab_size=1, **arch).to_json(tmp/'arch.json')
    q = p.replace(arch=arch, tokens_per_run=json.loads((GRID/'runs'/RUN/'done.json').read_text())['budget_tokens'])
    kw = train_kwargs(tmp/'arch.json', RUN, paths, 'bpe', seed, q, tmp/'runs')
    was = torch.get_num_threads()
    torch.set_num_threads(threads)
    try: train(**{**kw, 'eval_tokens': p.eval_tokens, 'tokenizer_file': str(GRID/'tokenizer-bpe.json'),
                  'log_interval': min(10, kw['eval_interval']), 'stop_at': kw['eval_interval']})
    finally: torch.set_num_threads(was)
    return learning_curve(tmp/'runs'/RUN, int(t.unique_tokens)).iloc[0]

def loss_differences(made:pd.Series, rtol:float=RTOL)->list[str]:
    "Where the re-made first evaluation differs from the committed curve's: step and tokens exactly, losses within RTOL"
    c = pd.read_csv(GRID/'runs'/RUN/'curve.csv').iloc[0]
    out = [f'{k}: made {made[k]}, committed {c[k]}' for k in ('step', 'tokens') if made[k] != c[k]]
    return out + [f'{k}: made {made[k]:.6f}, committed {c[k]:.6f} (relative {abs(made[k] / c[k] - 1):.1e} > {rtol})'
                  for k in ('train_loss', 'val_loss') if abs(made[k] / c[k] - 1) > rtol]

@pytest.fixture(scope='module')
def tier(tmp_path_factory):
    "The tier unpacked once: its token files, made by the first test, are reused by the second"
    return unpack(tmp_path_factory.mktemp('tier'))

def test_tier_and_tokenizer_exact(tier):
    "The committed 0.16 MB tier, the study's tokenizer and its tokens are the ones results/grid's tables record"
    assert exact_differences(tier) == []

def test_first_evaluation(tier, tmp_path):
    "The smallest grid run's first evaluation, re-made on one thread, matches its committed curve within RTOL"
    assert loss_differences(first_evaluation(tier, tmp_path)) == []
