"""Each notebook in nbs/ is a test, one pytest case per notebook, so a failure names its notebook and shows its failing
cell's traceback. The notebooks this session needs run once (the `executed` fixture in conftest.py), from the session's
first test on, beside the other tests (these tests come last): in kernels of their own, two at a time, in quick mode,
skipping the cells `nbdev-test` skips, which is exactly how the docs build runs them (`codenas.docs.execute_notebooks`);
the docs test then renders these executed copies instead of running every notebook a second time. Cells flagged `slow`
run only with CODENAS_TEST_FLAGS=slow. `nbdev-test` runs the same cells in-process, one notebook at a time."""
import pytest
from conftest import NBS

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.name)
def test_notebook(nb, executed):
    failure = executed[nb.name]
    if failure: pytest.fail(f'{nb.name}: a cell failed\n{failure}', pytrace=False)
