"""glorot: a reproduction suite for Glorot & Bengio (2010). Importing the package is light: the
submodules load on first use (``from glorot import watch`` loads :mod:`glorot.watch`)."""


def __getattr__(name: str):
    # lazy: `import glorot; glorot.watch(model, ...)` without importing torch at `import glorot`
    if name in ("watch", "diagnose", "export"):
        import importlib  # noqa: PLC0415

        return importlib.import_module(f"glorot.{name}")
    raise AttributeError(f"module 'glorot' has no attribute {name!r}")
