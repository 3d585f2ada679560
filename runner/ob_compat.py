"""optimum-benchmark 0.6.0 on transformers 5: the one place that knows about the gap between them.

Import this module before anything from `optimum_benchmark` (runner/child.py and runner/scenario.py do).

What it patches: `optimum_benchmark/backends/transformers_utils.py` runs `from transformers import (...,
SpecialTokensMixin)` for a type alias. transformers 5 folded `SpecialTokensMixin` into
`PreTrainedTokenizerBase` and removed the name, so every import of optimum-benchmark's PyTorch backend fails.

How: setting the attribute on `transformers` once is not enough. Some of transformers' lazy imports re-run
its `__init__` (`direct_transformers_import`), which puts a fresh module object in `sys.modules["transformers"]`
and loses the attribute. So an import hook sets the name on whatever module object `sys.modules` holds at the
moment that one optimum-benchmark module starts executing, and only then.

Nothing else of optimum-benchmark's PyTorch backend needs help on transformers 5: `torch_dtype` is still
accepted by `from_pretrained` (tests/runner/test_ob_compat.py runs a model through the backend to show it).

When to delete it: when optimum-benchmark publishes a release after 0.6.0 that imports on transformers 5
(huggingface/optimum-benchmark, the open fix for `SpecialTokensMixin`). Pin that release, delete this module
and its imports, and keep the test that runs a model through the backend.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

PATCHED_MODULE = "optimum_benchmark.backends.transformers_utils"
REMOVED_NAME = "SpecialTokensMixin"


def _provide_removed_name() -> None:
    """Give the current `transformers` module object the name optimum-benchmark imports, if it lacks it."""
    import transformers  # noqa: F401  (ensures sys.modules holds it)

    module = sys.modules["transformers"]
    if not hasattr(module, REMOVED_NAME):
        from transformers import PreTrainedTokenizerBase  # what SpecialTokensMixin became in transformers 5

        setattr(module, REMOVED_NAME, PreTrainedTokenizerBase)


class _Loader(importlib.abc.Loader):
    """The original loader of the patched module, with the name provided just before the module runs."""

    def __init__(self, wrapped: importlib.abc.Loader) -> None:
        self.wrapped = wrapped

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.wrapped.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        _provide_removed_name()
        self.wrapped.exec_module(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path, target=None) -> importlib.machinery.ModuleSpec | None:
        if fullname != PATCHED_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    """Install the hook (idempotent). A no-op where transformers still has the name (transformers 4)."""
    import transformers

    if hasattr(transformers, REMOVED_NAME) or any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())


install()
