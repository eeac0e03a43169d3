"""tools/lint.py's long-function check (FN): a function one line over `MAX_FUNCTION_LINES` is a finding, one at the
limit is not, counted from `def` to its last line, methods and nested functions included."""
import importlib.util
from conftest import ROOT

spec = importlib.util.spec_from_file_location('lint', ROOT/'tools'/'lint.py')
lint = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lint)

def fn(name, lines, indent=''):
    "Source of a function `lines` long, `def` line included"
    return f'{indent}def {name}():\n' + ''.join(f'{indent}    x = {i}\n' for i in range(lines - 1))

def test_long_functions_flags_only_those_over_the_limit(tmp_path):
    n = lint.MAX_FUNCTION_LINES
    (tmp_path/'codenas').mkdir()
    src = fn('at_limit', n) + fn('over', n + 1) + 'class C:\n' + fn('method_over', n + 1, '    ')
    (tmp_path/'codenas'/'m.py').write_text(src)
    found = lint.long_functions(tmp_path)
    assert sorted(f['message'].split()[0] for f in found) == ['method_over', 'over']
    assert {f['filename'] for f in found} == {'codenas/m.py'} and {f['code'] for f in found} == {'FN'}
    assert lint.long_functions(ROOT) == []  # the package itself: every function at or under the limit
