"""Time tokenizer training and token-file encoding on a corpus folder, and report peak memory.

    python tools/bench_dataset.py {char|bpe} CORPUS_DIR [--vocab_size 8192]

CORPUS_DIR holds `train.txt` (and optionally `val.txt`), e.g. from `codenas corpus --out_dir /tmp/std`. The
tokenizer is trained on train.txt and saved as CORPUS_DIR/tok-KIND.json (reused on later runs); each split is encoded
into CORPUS_DIR/tokens/ and then asked for again, which must hit the cache. Run one kind per process so the peak RSS
belongs to it. A benchmark, not a test: record results in BENCHMARKS.md with the machine and date.
"""
import argparse, json, resource, time
from pathlib import Path
from codenas.dataset import encode_file, load_tokenizer, make_tokenizer

def rss_mb()->float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KB

def timed(f, *args, **kwargs)->tuple:
    "`f(*args, **kwargs)` and the seconds it took"
    t = time.time()
    return f(*args, **kwargs), time.time() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('kind', choices=['char', 'bpe'])
    ap.add_argument('corpus_dir', type=Path)
    ap.add_argument('--vocab_size', type=int, default=8192)
    a = ap.parse_args()
    d = a.corpus_dir
    out = dict(kind=a.kind, corpus=str(d), rss_after_imports_mb=round(rss_mb()))
    tok_path = d/f'tok-{a.kind}.json'
    if tok_path.exists(): tok = load_tokenizer(tok_path)
    else:
        tok, s = timed(make_tokenizer, a.kind, d/'train.txt', a.vocab_size)
        out['train_tokenizer_s'] = round(s, 2)
        tok.save(tok_path)
    out['vocab_size'] = tok.vocab_size
    for split in ('train', 'val'):
        p = d/f'{split}.txt'
        if not p.exists(): continue
        tf, s = timed(encode_file, tok, p, cache_dir=d/'tokens')
        again, s2 = timed(encode_file, tok, p, cache_dir=d/'tokens')  # must hit the cache
        assert again.cached and len(again) == len(tf)
        m = tf.meta
        out[split] = dict(mb=round(m['n_bytes']/1e6, 2), tokens=m['n_tokens'], dtype=m['dtype'], was_cached=tf.cached,
                          encode_s=round(s, 2), mb_per_s=round(m['n_bytes']/1e6/s, 1),
                          bytes_per_token=round(m['n_bytes']/m['n_tokens'], 3), cached_call_s=round(s2, 3))
    out['peak_rss_mb'] = round(rss_mb())
    print(json.dumps(out))

if __name__ == '__main__': main()
