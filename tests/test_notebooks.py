"""Each notebook in nbs/ is a test: run through nbdev's own test runner, one pytest case per notebook,
so a failure names its notebook. Cells flagged `slow` run only with CODENAS_TEST_FLAGS=slow."""
import os, tempfile
from pathlib import Path
import pytest
import nbdev.test as nbt
from nbdev.config import get_config

NBS = sorted(p for p in (Path(__file__).resolve().parent.parent/'nbs').glob('*.ipynb') if not p.name.startswith('_'))

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.name)
def test_notebook(nb, tmp_path, monkeypatch):
    # the notebooks' temporary folders go under pytest's tmp_path, which pytest prunes (it keeps the last 3 sessions)
    monkeypatch.setenv('TMPDIR', str(tmp_path)); monkeypatch.setattr(tempfile, 'tempdir', None)
    force = os.environ.get('CODENAS_TEST_FLAGS', '').replace(',', ' ').split()
    skip = [f for f in get_config().tst_flags.split() if f not in force]
    ok, _ = nbt.test_nb(nb, skip_flags=skip, force_flags=force)
    assert ok, f'{nb.name}: a cell failed (its traceback is printed above)'
