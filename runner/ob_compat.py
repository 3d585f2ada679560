"""optimum-benchmark 0.6.0 on transformers 5: the one place that knows about the gap between them.

Import this module before anything from `optimum_benchmark` (runner/child.py and runner/scenario.py do).

What it patches, and why:
1. `optimum_benchmark/backends/transformers_utils.py` runs `from transformers import (..., SpecialTokensMixin)`
   for a type alias. transformers 5 folded `SpecialTokensMixin` into `PreTrainedTokenizerBase` and removed the
   name, so every import of optimum-benchmark's PyTorch backend fails. Setting the attribute on `transformers`
   once is not enough: some of transformers' lazy imports re-run its `__init__` (`direct_transformers_import`),
   which puts a fresh module object in `sys.modules["transformers"]` and loses the attribute. So an import hook
   sets the name on whatever module object `sys.modules` holds at the moment that module starts executing.
2. `optimum_benchmark/task_utils.py` maps image-to-text (our image captioning) to `AutoModelForVision2Seq`,
   which transformers 5 renamed `AutoModelForImageTextToText` (its mapping holds vision-encoder-decoder models).
   The same hook renames the entry once that module has run.
3. `transformers_utils.get_flat_artifact_dict` reads a processor's sub-processors from `ProcessorMixin.attributes`,
   a class attribute that transformers 5 replaced with the class method `get_attributes()`: without the patch,
   any model with a processor (Whisper's, for speech recognition) fails to set up.

Nothing else of optimum-benchmark's PyTorch backend needs help on transformers 5: `torch_dtype` is still
accepted by `from_pretrained`. tests/runner/test_ob_compat.py imports the backend through the runner and runs
a model through it, and the engine tests run every task through it.

When to delete it: when optimum-benchmark publishes a release after 0.6.0 that works on transformers 5
(huggingface/optimum-benchmark has the `SpecialTokensMixin` fix open, unreleased, as of December 2026). Pin that
release, delete this module and its two imports, and keep the tests.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

REMOVED_NAME = "SpecialTokensMixin"
RENAMED_AUTO_CLASSES = {"AutoModelForVision2Seq": "AutoModelForImageTextToText"}


def _provide_removed_name(_module: ModuleType) -> None:
    """Give the current `transformers` module object the name optimum-benchmark imports, if it lacks it."""
    import transformers  # noqa: F401  (so that sys.modules holds it)

    current = sys.modules["transformers"]
    if not hasattr(current, REMOVED_NAME):
        from transformers import PreTrainedTokenizerBase  # what SpecialTokensMixin became in transformers 5

        setattr(current, REMOVED_NAME, PreTrainedTokenizerBase)


def _rename_auto_classes(task_utils: ModuleType) -> None:
    """Point optimum-benchmark's task → auto class table at the names transformers 5 has."""
    table = task_utils.TASKS_TO_AUTO_MODEL_CLASS_NAMES
    for task, names in table.items():
        if isinstance(names, str):
            table[task] = RENAMED_AUTO_CLASSES.get(names, names)
        else:
            table[task] = tuple(RENAMED_AUTO_CLASSES.get(name, name) for name in names)


def _processor_attributes(transformers_utils: ModuleType) -> None:
    """`get_flat_artifact_dict` with a processor's sub-processors from `get_attributes()`; the rest as it was."""
    from transformers import ProcessorMixin

    original = transformers_utils.get_flat_artifact_dict
    scalars = (int, str, float, bool, list, tuple, dict)

    def get_flat_artifact_dict(artifact: Any) -> dict[str, Any]:
        if not isinstance(artifact, ProcessorMixin):
            return original(artifact)
        flat = {key: value for key, value in artifact.__dict__.items() if isinstance(value, scalars)}
        for attribute in artifact.get_attributes():
            flat.update(get_flat_artifact_dict(getattr(artifact, attribute)))
        return transformers_utils.get_flat_dict(flat)

    transformers_utils.get_flat_artifact_dict = get_flat_artifact_dict


Patch = Callable[[ModuleType], None]
# module → (run before it executes, run after it has executed)
PATCHES: dict[str, tuple[Patch | None, Patch | None]] = {
    "optimum_benchmark.backends.transformers_utils": (_provide_removed_name, _processor_attributes),
    "optimum_benchmark.task_utils": (None, _rename_auto_classes),
}


class _Loader(importlib.abc.Loader):
    """A patched module's own loader, with its patches run around its execution."""

    def __init__(self, wrapped: importlib.abc.Loader, before: Patch | None, after: Patch | None) -> None:
        self.wrapped, self.before, self.after = wrapped, before, after

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.wrapped.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if self.before is not None:
            self.before(module)
        self.wrapped.exec_module(module)
        if self.after is not None:
            self.after(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path, target=None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in PATCHES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, *PATCHES[fullname])
        return spec


def install() -> None:
    """Install the hook (idempotent); a module already imported gets its after-patch at once.
    A no-op where transformers still has the removed name (transformers 4)."""
    import transformers

    if hasattr(transformers, REMOVED_NAME) or any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())
    for name, (_, after) in PATCHES.items():
        if name in sys.modules and after is not None:
            after(sys.modules[name])


install()
