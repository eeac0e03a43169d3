"""lm-evaluation-harness on an export (issue 27). A tiny run is trained, exported, and scored by `lm_eval` itself, run
offline as the two commands of the export lesson (nbs/07_export.ipynb, its "Evaluation harnesses" cell), on tasks
written here from the run's val split:

- bits per byte over whole documents (`loglikelihood_rolling`): lm_eval scores each document after its prefix token
  (the end-of-document id) in disjoint chunks of the model's context, each chunk seeing only the ids of its own window.
  codenas's side is the same sum over the same windows, computed by codenas's `CodeLM`; on documents within one
  context it is `continuation_bits` itself (which, on longer documents, slides by half a context and so scores lower).
  Tolerance 1e-5 bits per byte: the two sides compute the same float32 sums (they differ by about 1e-9), while the
  smallest mistake an export or a command can make, one extra id per document (the tokenizer's own end-of-document
  id after lm_eval's, scored and shifting the windows by one), moves the number by about 6e-4, and shifted logits or
  another tokenizer by far more.
- batched greedy generation (`generate_until` a newline, batch size 8, so prompts of different lengths are padded on
  the left): the completions equal `codenas sample --greedy`'s, cut at the first newline. Comparable here because the
  run is character-level: one id per character makes lm_eval's token budget codenas's character budget, and codenas's
  token healing has nothing to back up over (with BPE it may change the first tokens, which lm_eval does not do).
"""
import importlib.util, json, math, os, shlex, subprocess, sys
from pathlib import Path
import pytest
from conftest import missing

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-5                # bits per byte (see above)
NEW = 24                  # characters (= tokens) generated at most
TASKS = dict(bpb='codenas_val_bpb', short='codenas_val_short', gen='codenas_val_gen')

def lesson_commands()->list:
    "The `lm_eval` command lines of the export lesson's markdown, in order"
    nb = json.loads((ROOT/'nbs'/'07_export.ipynb').read_text(encoding='utf-8'))
    cells = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown']
    cmds = [l.strip() for c in cells for l in c.splitlines() if l.strip().startswith('lm_eval --model hf')]
    assert len(cmds) == 2, f'the export lesson should show two lm_eval commands, not {len(cmds)}'
    return cmds

def task_yaml(name:str, data:Path, output_type:str, rest:str)->str:
    "A local lm_eval task over the JSONL file `data` (the `datasets` json loader: no hub)"
    return (f'task: {name}\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: {json.dumps(str(data))}\n'
            f'test_split: test\noutput_type: {output_type}\n{rest}')

BPB = 'doc_to_text: ""\ndoc_to_target: text\nmetric_list:\n  - metric: bits_per_byte\n    aggregation: bits_per_byte\n'
GEN = (f'doc_to_text: prompt\ndoc_to_target: target\ngeneration_kwargs:\n  until: ["\\n"]\n  do_sample: false\n'
       f'  max_gen_toks: {NEW}\nmetric_list:\n  - metric: exact_match\n    aggregation: mean\n')

def write_jsonl(path:Path, recs:list)->Path:
    path.write_text(''.join(json.dumps(r) + '\n' for r in recs), encoding='utf-8')
    return path

def prompts_from(docs:list)->list:
    "Line starts from the val split, of different lengths: a def cut after `(`, a return cut after its operator"
    out = []
    for d in docs[:4]:
        lines = d.split('\n')
        a = next(l for l in lines if l.startswith('def '))
        b = next(l for l in lines if l.startswith('    return ') and ' - ' in l)
        out += [dict(prompt=a[:a.index('(') + 1], target=a[a.index('(') + 1:]),
                dict(prompt=b[:b.index(' - ') + 3], target=b[b.index(' - ') + 3:])]
    return out

def lm_eval(cmd:str, export:Path, tasks:Path, names:list, out:Path, home:Path)->dict:
    "Run one lesson command (`EXPORT`, `TASK`, `TASKS` filled in) on the CPU: {task: its per-document samples}"
    argv = shlex.split(cmd.replace('EXPORT', str(export)).replace('TASKS', str(tasks)).replace('TASK', ','.join(names)))
    argv = [sys.executable, '-m', 'lm_eval', *argv[1:], '--device', 'cpu', '--output_path', str(out), '--log_samples']
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1', 'HF_HOME': str(home),
           'OMP_NUM_THREADS': '1', 'HF_HUB_DISABLE_PROGRESS_BARS': '1', 'TOKENIZERS_PARALLELISM': 'false'}
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f'lm_eval failed ({r.returncode}):\n{r.stderr[-3000:]}'
    res = json.loads(next(out.rglob('results_*.json')).read_text())['results']
    read = lambda n: [json.loads(l) for l in next(out.rglob(f'samples_{n}_*.jsonl')).read_text().splitlines()]
    samples = {n: read(n) for n in names}
    for n in names:
        if n != TASKS['gen']: assert res[n]['bits_per_byte,none'] == pytest.approx(bpb(samples[n]), abs=1e-12)
    return samples

def bits(recs:list)->list: return [-r['bits_per_byte'][0] / math.log(2) for r in recs]  # logged: (nats, bytes)
def bpb(recs:list)->float: return sum(bits(recs)) / sum(r['bits_per_byte'][1] for r in recs)

def rolling_bits(model, tok, doc:str, extra_eod:bool=False)->float:
    "Bits of `doc` after the end-of-document id, scored in disjoint chunks of the context, each from its own window"
    import torch
    ids, bs, nll = [tok.eod_id] * (2 if extra_eod else 1) + tok.encode(doc), model.cfg.block_size, 0.0
    with torch.no_grad():
        for pos in range(1, len(ids), bs):  # ids[pos:end] scored, from the window ids[s:end-1]
            end = min(len(ids), pos + bs)
            s = max(0, end - 1 - bs)
            logp = model(torch.tensor([ids[s:end-1]]))[0, pos-1-s:].float().log_softmax(-1)  # (end-pos, V)
            nll -= logp.gather(1, torch.tensor(ids[pos:end])[:, None]).sum().item()
    return nll / math.log(2)

@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    "A character-level run trained for a few seconds, its export, and the local tasks from its val split"
    for mod, why in (('lm_eval', 'lm_eval is not installed (pip install "lm_eval[hf]", in codenas[dev])'),
                     ('transformers', 'transformers is not installed (pip install "transformers>=5")'),
                     ('accelerate', "lm_eval's hf model needs accelerate (pip install \"lm_eval[hf]\")")):
        if importlib.util.find_spec(mod) is None: missing(why)
    import torch
    from codenas.corpus import EOD, build_corpus, synthetic_project
    from codenas.export import export
    from codenas.model import ArchConfig
    from codenas.run import load_run
    from codenas.train import train
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp('lm_eval')
    build_corpus(src_dir=[synthetic_project(tmp/'src', n=40)], out_dir=tmp/'corpus', val_ratio=0.2, min_file_size=10,
                 progress=False)
    arch = ArchConfig(n_layer=2, n_head=4, n_embd=64, block_size=64, vocab_size=1, pos='rope', n_kv_head=2)
    arch.to_json(tmp/'arch.json')
    train(arch_json=str(tmp/'arch.json'), experiment_name='demo', train_path=str(tmp/'corpus'/'train.txt'),
          log_dir=str(tmp/'runs'), max_steps=300, batch_size=8, warmup_steps=10, lr=3e-3, eval_interval=300,
          eval_tokens=2048, seed=0, device='cpu', progress=False)
    export(str(tmp/'runs'/'demo'), str(tmp/'hf'))
    docs = [d for d in (tmp/'corpus'/'val.txt').read_text(encoding='utf-8').split(EOD) if d]
    data = dict(bpb=write_jsonl(tmp/'val.jsonl', [dict(text=d) for d in docs]),
                short=write_jsonl(tmp/'short.jsonl', [dict(text=d[:40]) for d in docs]),  # within one context
                gen=write_jsonl(tmp/'prompts.jsonl', prompts_from(docs)))
    (tmp/'tasks').mkdir()
    for k, rest in (('bpb', BPB), ('short', BPB), ('gen', GEN)):
        out = 'generate_until' if k == 'gen' else 'loglikelihood_rolling'
        (tmp/'tasks'/f'{k}.yaml').write_text(task_yaml(TASKS[k], data[k], out, rest), encoding='utf-8')
    model, tok, _ = load_run(tmp/'runs'/'demo')
    return dict(tmp=tmp, model=model, tok=tok, docs=docs, commands=lesson_commands())

@pytest.fixture(scope='module')
def harness(exported):
    "lm_eval's per-document samples from the lesson's two commands: bits per byte, then generation and bits per byte"
    tmp, (plain, default) = exported['tmp'], exported['commands']
    assert 'add_bos_token=False' in plain and 'add_bos_token' not in default
    run = lambda cmd, names, out: lm_eval(cmd, tmp/'hf', tmp/'tasks', names, tmp/out, tmp/'hf-home')
    return dict(plain=run(plain, [TASKS['bpb'], TASKS['short']], 'res-plain'),
                default=run(default, [TASKS['gen'], TASKS['bpb']], 'res-default'))

def test_bits_per_byte_agree(exported, harness):
    from codenas.human import continuation_bits
    model, tok = exported['model'], exported['tok']
    long, short = harness['plain'][TASKS['bpb']], harness['plain'][TASKS['short']]
    assert [r['doc']['text'] for r in long] == exported['docs']
    assert all(r['bits_per_byte'][1] == len(r['doc']['text'].encode('utf-8')) for r in long + short)
    assert max(len(tok.encode(r['doc']['text'])) for r in long) > 4 * model.cfg.block_size  # several windows each
    ours = [rolling_bits(model, tok, r['doc']['text']) for r in long]
    nbytes = sum(r['bits_per_byte'][1] for r in long)
    theirs_bpb, ours_bpb = bpb(long), sum(ours) / nbytes
    print(f'\nlm_eval {theirs_bpb:.8f} bits/byte, codenas {ours_bpb:.8f}, difference {theirs_bpb - ours_bpb:.2e}')
    assert abs(theirs_bpb - ours_bpb) <= TOL
    assert max(abs(a - b) for a, b in zip(bits(long), ours)) <= 1e-3  # bits, per document of ~1,000 bytes
    # on documents within one context, lm_eval's windows are continuation_bits's: codenas's own function, unchanged
    cb = [continuation_bits(model, tok, '', r['doc']['text']) for r in short]
    assert max(abs(a - b[0]) for a, b in zip(bits(short), cb)) <= 1e-4
    assert abs(bpb(short) - sum(b[0] for b in cb) / sum(b[1] for b in cb)) <= TOL
    # on whole documents continuation_bits slides by half a context, so each id sees more of the past: fewer bits
    slid = sum(continuation_bits(model, tok, '', d)[0] for d in exported['docs']) / nbytes
    print(f'continuation_bits (windows sliding by half a context) {slid:.6f} bits/byte')
    assert slid < ours_bpb - 100 * TOL

def test_default_tokenizer_scores_an_extra_eod(exported, harness):
    "Without add_bos_token=False each document is scored after two end-of-document ids, the first of them scored too"
    model, tok, long = exported['model'], exported['tok'], harness['default'][TASKS['bpb']]
    extra = [rolling_bits(model, tok, d, extra_eod=True) for d in exported['docs']]
    plain = [rolling_bits(model, tok, d) for d in exported['docs']]
    nbytes = sum(r['bits_per_byte'][1] for r in long)
    moved = sum(abs(e - p) for e, p in zip(extra, plain)) / nbytes
    print(f'\nlm_eval, default tokenizer: {bpb(long):.6f} bits/byte; the extra id moves documents by {moved:.2e}')
    assert abs(bpb(long) - sum(extra) / nbytes) <= TOL
    assert max(abs(a - b) for a, b in zip(bits(long), extra)) <= 1e-3  # bits, per document, as for the plain command
    # the tolerance tells the two commands apart document by document; their totals may cancel (the extra id costs
    # bits, the windows shifted by one may save some: 0.0056 bits over all 8 documents for a model trained in float32)
    assert moved > 10 * TOL

def test_batched_generation_equals_codenas_sample(exported, harness):
    from codenas.eval import sample
    recs, tok = harness['default'][TASKS['gen']], exported['tok']
    argv = shlex.split(exported['commands'][1])
    batch = int(argv[argv.index('--batch_size') + 1])
    assert 1 < len(recs) <= batch  # one batch, all padded on the left to the longest prompt
    assert len({len(tok.encode(r['doc']['prompt'])) for r in recs}) > 1
    theirs, ours = [r['resps'][0][0] for r in recs], []
    for r in recs:
        p = r['doc']['prompt']
        out = sample(str(exported['tmp']/'runs'/'demo'), prompt=p, greedy=True, max_chars=NEW)
        ours.append(out[len(p):out.rindex('\n--- ')].split('\n')[0])  # the completion, cut as `until` cuts it
    for r, t, o in zip(recs, theirs, ours): print(f"{r['doc']['prompt']!r:26} lm_eval {t!r:28} codenas {o!r}")
    assert theirs == ours
    assert any(len(t) < NEW for t in theirs) and all(t for t in theirs)  # some stop at the newline, none are empty
