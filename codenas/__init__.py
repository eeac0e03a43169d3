__version__ = "0.1.0"

def __getattr__(name):
    "`codenas.load` (and `codenas.LoadedRun`) import torch only when first touched, so `import codenas` stays cheap"
    if name in ('load', 'LoadedRun'):
        from codenas import export
        return getattr(export, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
