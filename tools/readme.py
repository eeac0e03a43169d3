"""Write README.md from nbs/index.ipynb (`python tools/readme.py`), or check it is current (`--check`).

`nbdev-readme` renders the README with Quarto, which cannot be installed on the project's machines, so this small
script does the same job for a notebook of markdown and code cells: directives (`#| ...`) are dropped, `#| hide`
cells are left out, and text outputs are kept.
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path=root/'nbs'/'index.ipynb')->str:
    parts = []
    for cell in json.loads(nb_path.read_text(encoding='utf-8'))['cells']:
        lines = ''.join(cell['source']).split('\n')
        directives = [l.removeprefix('#|').strip() for l in lines if l.startswith('#|')]
        if any(d.startswith(('hide', 'default_exp')) for d in directives): continue
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
        if cell['cell_type'] == 'markdown': parts.append(body)
        elif body:
            parts.append(f'```python\n{body}\n```')
            for out in cell.get('outputs', []):
                text = out.get('text') or out.get('data', {}).get('text/plain')
                if text: parts.append('```\n' + ''.join(text).rstrip('\n') + '\n```')
    return '<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), root/'README.md'
    if '--check' in sys.argv[1:]:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/readme.py`')
    else: readme.write_text(text, encoding='utf-8')
