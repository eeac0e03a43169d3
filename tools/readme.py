"""Write README.md from nbs/index.ipynb (`python tools/readme.py`), or check it is current (`--check`).

`nbdev-readme` renders the README with Quarto, which cannot be installed on the project's machines, so this small
script does the same job for a notebook of markdown and code cells: directives (`#| ...`) are dropped, `#| hide`
cells are left out, `#| echo: false` cells show only their text outputs, text outputs are kept, and links to notebooks
(`05_report.ipynb`) become links to their pages on the published docs site, as nbdev's README filter makes them.
"""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
DOCS = re.search(r'^Documentation\s*=\s*"([^"]+)"', (root/'pyproject.toml').read_text(), re.M).group(1)  # [project.urls]

def doc_link(target:str)->str:
    "A relative link to a notebook or page as its URL on the docs site (nbdev's `readme_filter.doc_link`)"
    path, _, frag = target.partition('#')
    if '://' in path or not path.endswith(('.ipynb', '.html')): return target
    page = re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(path).stem) + '.html'
    return DOCS.rstrip('/') + '/' + page + ('#' + frag if frag else '')

def render(nb_path=root/'nbs'/'index.ipynb')->str:
    parts = []
    for cell in json.loads(nb_path.read_text(encoding='utf-8'))['cells']:
        lines = ''.join(cell['source']).split('\n')
        directives = [l.removeprefix('#|').strip() for l in lines if l.startswith('#|')]
        if any(d.startswith(('hide', 'default_exp')) for d in directives): continue
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
        if cell['cell_type'] == 'markdown': parts.append(re.sub(r'\]\(([^)\s]+)\)', lambda m: f']({doc_link(m.group(1))})', body))
        elif body:
            if not any(d.replace(' ', '') == 'echo:false' for d in directives): parts.append(f'```python\n{body}\n```')
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
