"""Write README.md from nbs/index.ipynb (`python tools/readme.py`), or check it is current (`--check`).

`nbdev-readme` renders the README with Quarto, which cannot be installed on the project's machines, so this small
script does the same job for a notebook of markdown and code cells. It runs the notebook first, as the docs build
runs it (`codenas.docs.execute_notebook`, quick mode), so every figure a code cell computes from the committed tables
is current; the `#| readme_check` cells, which compare README.md with those figures, are the ones it does not run.
Then directives (`#| ...`) are dropped, `#| hide` cells are left out, `#| echo: false` cells show only their outputs,
Markdown outputs (`IPython.display.Markdown`) are kept as Markdown, text outputs as text (a figure's text stand-in is
not), and links to notebooks (`05_report.ipynb`) become links to their pages on the published docs site, as nbdev's
README filter makes them.
"""
import json, re, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
DOCS = re.search(r'^Documentation\s*=\s*"([^"]+)"', (root/'pyproject.toml').read_text(), re.M).group(1)  # [project.urls]

def doc_link(target:str)->str:
    "A relative link to a notebook or page as its URL on the docs site (nbdev's `readme_filter.doc_link`)"
    path, _, frag = target.partition('#')
    if '://' in path or not path.endswith(('.ipynb', '.html')): return target
    page = re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(path).stem) + '.html'
    return DOCS.rstrip('/') + '/' + page + ('#' + frag if frag else '')

def md_links(text:str)->str:
    "Markdown whose links to notebooks point at their docs pages"
    return re.sub(r'\]\(([^)\s]+)\)', lambda m: f']({doc_link(m.group(1))})', text)

def execute(nb_path=root/'nbs'/'index.ipynb')->dict:
    "The notebook run in a kernel in its own folder, without its `readme_check` cells (nor those nbdev-test skips)"
    from codenas.docs import execute_notebook
    with tempfile.TemporaryDirectory() as d:
        execute_notebook(nb_path, Path(d)/nb_path.name, skip_flags=['notest', 'slow', 'readme_check'])
        return json.loads((Path(d)/nb_path.name).read_text(encoding='utf-8'))

def output_text(out:dict)->str|None:
    "A cell output as README text: Markdown as it is, text fenced, figures (and their text stand-ins) left out"
    data = out.get('data', {})
    if 'text/markdown' in data: return md_links(''.join(data['text/markdown']).strip('\n'))
    if any(k.startswith('image/') for k in data): return None
    text = out.get('text') or data.get('text/plain')
    return '```\n' + ''.join(text).rstrip('\n') + '\n```' if text else None

def render(nb:dict)->str:
    "README.md's text from an executed notebook"
    parts = []
    for cell in nb['cells']:
        lines = ''.join(cell['source']).split('\n')
        directives = [l.removeprefix('#|').strip() for l in lines if l.startswith('#|')]
        if any(d.startswith(('hide', 'default_exp')) for d in directives): continue
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
        if cell['cell_type'] == 'markdown': parts.append(md_links(body))
        elif body:
            if not any(d.replace(' ', '') == 'echo:false' for d in directives): parts.append(f'```python\n{body}\n```')
            parts += [t for t in map(output_text, cell.get('outputs', [])) if t]
    return '<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(execute()), root/'README.md'
    if '--check' in sys.argv[1:]:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/readme.py`')
    else: readme.write_text(text, encoding='utf-8')
