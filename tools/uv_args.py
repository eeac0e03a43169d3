"""uv's flags for what pip is configured to install from here: `uv pip install $(python tools/uv_args.py) ...` takes
the packages `pip install` would. uv reads neither pip's configuration files nor its PIP_* variables; on this machine
they name the find-links folder that holds the CPU wheel of torch, local package indexes and a constraints file.

    python tools/uv_args.py    # prints the flags on one line, shell-quoted

pip's precedence is kept: a PIP_* variable over the files, an [install] setting over a [global] one. pip takes the
best version on any index; uv by default the first index that has the package at all, so the flags ask uv for pip's
rule (`--index-strategy unsafe-best-match`).
"""
import shlex, subprocess, sys

LISTS = ('index-url', 'extra-index-url', 'find-links', 'constraint')  # pip's settings that uv takes as flags

def pip_settings()->dict:
    "pip's settings as `pip config list` prints them ({'global.find-links': '/opt/wheels', ':env:.cert': ...})"
    out = subprocess.run([sys.executable, '-m', 'pip', 'config', 'list'], capture_output=True, text=True).stdout
    return {k: v.strip("'\"") for k, _, v in (l.partition('=') for l in out.splitlines()) if v}

def uv_args(settings:dict)->list:
    "The uv flags for pip's `settings`: for each one, the value pip would use, split on spaces as pip splits it"
    args = ['--index-strategy', 'unsafe-best-match']
    for name in LISTS:
        value = next((settings[k] for k in (f':env:.{name}', f'install.{name}', f'global.{name}') if k in settings), '')
        for v in value.split(): args += [f'--{name}', v]
    if next((settings[k] for k in (':env:.no-index', 'install.no-index', 'global.no-index') if k in settings), '') in (
            '1', 'true', 'yes', 'on'): args.append('--no-index')
    return args

if __name__ == '__main__': print(shlex.join(uv_args(pip_settings())))
