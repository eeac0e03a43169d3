"""Every subcommand called with every flag set to a valid value (issue 18): the CLI builder takes each flag's type from
the function's annotation (or `CLI_TYPES`), never from its default. The cheap commands run for real on tiny fixtures;
the long ones (experiment, search, docs) are parsed, and every parsed value is checked against its annotation."""
import importlib, inspect, json, re, shutil
from pathlib import Path
import pytest
from codenas.cli import CLI_TYPES, COMMANDS, _annotation, _arg_type, main, parser_for
from codenas.corpus import build_corpus, synthetic_project

ROOT = Path(__file__).resolve().parent.parent

def func_of(cmd):
    mod, fn = COMMANDS[cmd][0].split(':')
    return getattr(importlib.import_module(mod), fn)

SAMPLE = {int: '3', float: '0.5', str: 'cpu', bool: 'true'}  # a value of each type (parse-level: any value of the type)

@pytest.mark.parametrize('cmd', sorted(COMMANDS))
def test_every_flag_parses_to_its_annotated_type(cmd):
    func = func_of(cmd)
    argv, want = [], {}
    for name in inspect.signature(func).parameters:
        t, many = _arg_type(_annotation(func, name, CLI_TYPES.get(cmd, {})))
        argv += [f'--{name}', '2,3' if many and t in (int, float) else SAMPLE[t]]
        want[name] = (t, many)
    kw = parser_for(func, f'codenas {cmd}', CLI_TYPES.get(cmd)).parse_kwargs(argv)
    assert set(kw) == set(want)
    for name, (t, many) in want.items():
        vals = kw[name] if many else [kw[name]]
        if many: assert isinstance(kw[name], list) and vals, name
        assert all(type(v) is t for v in vals), f'--{name}: {kw[name]!r} is not {t.__name__}'

@pytest.mark.parametrize('cmd', sorted(COMMANDS))
@pytest.mark.parametrize('fmt', ['yaml', 'toml', 'json'])
def test_every_flag_from_a_config_file(cmd, fmt, tmp_path):
    "`--config FILE` (issue 27) gives every setting of every command as its flag does, in each of the three formats"
    func = func_of(cmd)
    argv, lines = [], []
    for name in inspect.signature(func).parameters:
        t, many = _arg_type(_annotation(func, name, CLI_TYPES.get(cmd, {})))
        v = '2,3' if many and t in (int, float) else SAMPLE[t]
        argv += [f'--{name}', v]
        val = json.dumps(json.loads(v) if t in (int, float, bool) and not many else v)
        lines.append(f'{name} = {val}' if fmt == 'toml' else f'{name}: {val}' if fmt == 'yaml' else f'"{name}": {val}')
    f = tmp_path/f'c.{fmt}'
    f.write_text('{' + ', '.join(lines) + '}' if fmt == 'json' else '\n'.join(lines) + '\n')
    parse = lambda a: parser_for(func, f'codenas {cmd}', CLI_TYPES.get(cmd)).parse_kwargs(a)
    assert parse(['--config', str(f)]) == parse(argv)

@pytest.fixture(scope='module')
def w(tmp_path_factory):
    d = tmp_path_factory.mktemp('flags')
    synthetic_project(d/'src', n=30)
    build_corpus(src_dir=[str(d/'src')], out_dir=str(d/'c'), val_ratio=0.2, progress=False)
    from test_probes import ARCH
    (d/'arch.json').write_text(json.dumps(ARCH))
    return d

def test_corpus_every_flag(w):
    assert main(['corpus', '--src_dir', str(w/'src'), '--packages', '', '--site_packages', 'false', '--stdlib', 'false',
                 '--out_dir', str(w/'c2'), '--train_out', str(w/'c2'/'train.txt'), '--val_out', str(w/'c2'/'val.txt'),
                 '--val_ratio', '0.25', '--min_file_size', '50', '--max_file_size', '100000',
                 '--target_size_mb', '0.01', '--seed', '3', '--progress', 'false', '--text_field', 'content']) == 0
    assert (w/'c2'/'manifest.json').exists()

def test_train_eval_sample_inspect_every_flag(w, capsys):
    train = ['train', '--arch_json', str(w/'arch.json'), '--experiment_name', 'all',
             '--train_path', str(w/'c'/'train.txt'), '--val_path', str(w/'c'/'val.txt'), '--max_steps', '3',
             '--log_dir', str(w/'runs'), '--device', 'cpu', '--tokenizer', 'bpe', '--vocab_size', '300',
             '--batch_size', '4', '--seq_len', '32', '--lr', '0.003', '--warmup_steps', '1', '--min_lr', '0.0003',
             '--recipe', 'classic', '--schedule', 'wsd', '--decay_frac', '0.5', '--optimizer', 'adamw',
             '--weight_decay', '0.1', '--grad_clip', '1.0', '--grad_accum', '2', '--label_smoothing', '0.1',
             '--eval_interval', '2', '--eval_tokens', '512', '--patience', '5', '--seed', '1', '--dtype', 'float32',
             '--compile', 'false', '--resume', 'false', '--overwrite', 'false', '--time_budget', '600',
             '--log_interval', '1', '--stop_at', '3', '--leak_floor_bpb', '0.3', '--leak_max_acc', '0.95',
             '--diagnostic_no_causal_mask', 'false', '--progress', 'false', '--logger', 'csv']
    assert main(train) == 0
    run = str(w/'runs'/'all')
    (w/'p.txt').write_text('def add(a, b):\nimport os\n')
    assert main(['eval', '--checkpoint', run, '--eval_file', str(w/'p.txt'), '--output', str(w/'r.jsonl'),
                 '--samples', '2', '--max_chars', '8', '--max_new_tokens', '16', '--temperature', '0.7',
                 '--top_k', '20', '--top_p', '0.95', '--repetition_penalty', '1.1', '--greedy', 'false', '--seed', '2',
                 '--device', 'cpu', '--human', 'true', '--name_grounding', 'true',
                 '--train_path', str(w/'c'/'train.txt'), '--progress', 'false', '--allow_code_execution', 'false',
                 '--limit', '2']) == 0
    assert main(['sample', '--checkpoint', run, '--prompt', 'def ', '--samples', '2', '--max_chars', '8',
                 '--max_new_tokens', '16', '--temperature', '0.7', '--top_k', '20', '--top_p', '0.95',
                 '--repetition_penalty', '1.1', '--greedy', 'true', '--seed', '2', '--device', 'cpu',
                 '--interactive', 'false']) == 0
    assert main(['inspect', '--results', str(w/'r.jsonl'), '--show_examples', '2',
                 '--show_quality_examples', 'true']) == 0
    assert 'model completions' in capsys.readouterr().out

def test_report_every_flag(tmp_path):
    "`codenas report --out X --targets 1.2 --metrics val_bpb` (all three were broken) writes a report with its plot"
    d = tmp_path/'quick'
    d.mkdir()
    shutil.copy(ROOT/'results'/'quick.csv', d/'results.csv')  # the committed table: a fresh clone has no results/quick/
    out = tmp_path/'r.html'
    assert main(['report', str(d), '--out', str(out), '--targets', '1.2,1.1', '--metrics', 'val_bpb',
                 '--n_examples', '2']) == 0
    html = out.read_text()
    assert html.count('<img') >= 1

def test_experiment_corpus_refusal_names_its_own_flags(tmp_path, capsys):
    """Too few files for a val split: `codenas experiment` refuses in one line whose remedy is its own (every flag the
    line names is one the command has), and raising --val_ratio as it says builds the tier"""
    src = synthetic_project(tmp_path/'src', n=4)
    argv = lambda out: ['experiment', '--preset', 'quick', '--out', str(out), '--src_dir', str(src), '--tiers', '0.01',
                        '--dry', 'true', '--build_only', 'true', '--progress', 'false']
    assert main(argv(tmp_path/'a')) == 2
    err = capsys.readouterr().err
    assert 'val split is empty' in err and err.count('\n') == 1, err
    named = set(re.findall(r'--(\w+)', err))
    assert named and named <= set(inspect.signature(func_of('experiment')).parameters), named
    assert main(argv(tmp_path/'b') + ['--val_ratio', '0.5']) == 0
    assert json.loads((tmp_path/'b'/'settings.json').read_text())['val_ratio'] == 0.5  # recorded
