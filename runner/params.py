"""Parameter counts from safetensors headers, and the rule that refuses a model its hardware cannot hold."""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Sequence
from pathlib import Path

from core.catalog import Precision, SizeClass

# The methodology's memory estimate (§4): the weights plus 20 % for activations, caches and buffers.
MEMORY_OVERHEAD = 1.2
BYTES_PER_PARAMETER = {Precision.FP32: 4, Precision.FP16: 2, Precision.BF16: 2}
# diffusers keeps precision variants beside the main weights (`*.fp16.safetensors`): count one copy.
_VARIANT = re.compile(r"\.(fp16|bf16|fp32)\.safetensors$")
_INDEX = "model.safetensors.index.json"
_HEADER_LENGTH_BYTES = 8


class DoesNotFit(ValueError):
    """The model cannot run on the hardware at hand under the methodology's rules."""


def _header(file: Path) -> dict:
    """The JSON header of a safetensors file: an 8-byte little-endian length, then that many bytes of JSON."""
    with file.open("rb") as stream:
        raw = stream.read(_HEADER_LENGTH_BYTES)
        if len(raw) != _HEADER_LENGTH_BYTES:
            raise ValueError(f"{file}: too short to be a safetensors file")
        (length,) = struct.unpack("<Q", raw)
        return json.loads(stream.read(length))


def _weight_files(folder: Path) -> list[Path]:
    """The files holding one copy of the weights, per sub-folder (a diffusers pipeline has several models)."""
    files = []
    for directory in sorted({f.parent for f in folder.rglob("*.safetensors")}):
        index = directory / _INDEX
        if index.exists():  # the shards the index names; ignores e.g. a `consolidated.safetensors` beside them
            names = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            files += [directory / name for name in names]
            continue
        candidates = sorted(directory.glob("*.safetensors"))
        main = [f for f in candidates if not _VARIANT.search(f.name)]
        files += main or candidates
    return files


def count_safetensors_parameters(folder: Path) -> int | None:
    """Parameters stored in a model folder's safetensors files (sum of the tensors' shape products).

    None when the folder holds no safetensors file (e.g. only `pytorch_model.bin`): then count after
    instantiating the model.
    """
    files = _weight_files(folder)
    if not files:
        return None
    total = 0
    for file in files:
        for name, entry in _header(file).items():
            if name != "__metadata__":
                total += math.prod(entry["shape"])
    return total


def memory_needed_bytes(parameters: int, precision: Precision) -> int:
    return math.ceil(parameters * BYTES_PER_PARAMETER[precision] * MEMORY_OVERHEAD)


def gpus_to_use(
    parameters: int, precision: Precision, gpu_memory_bytes: Sequence[int], size_class: SizeClass | None
) -> int:
    """The fewest of the visible GPUs, in order, whose memory holds the model by the memory rule: every GPU
    more would add its idle draw to the score. Only class C may take several (methodology §4: classes A and
    B must run on one GPU, and are rated as one H100; `size_class` is None for a task without classes).
    Raises DoesNotFit naming the rule when the GPUs it may take cannot hold the model."""
    needed = memory_needed_bytes(parameters, precision)
    allowed = len(gpu_memory_bytes) if size_class is SizeClass.C else min(1, len(gpu_memory_bytes))
    available = 0
    for count, memory in enumerate(gpu_memory_bytes[:allowed], start=1):
        available += memory
        if needed <= available:
            return count
    rule = (
        f"the memory rule, {BYTES_PER_PARAMETER[precision] * MEMORY_OVERHEAD:g} bytes a parameter in {precision} "
        f"(weights + {MEMORY_OVERHEAD - 1:.0%})"
    )
    what = f"{parameters:,} parameters" + (f" (class {size_class})" if size_class else "")
    if size_class is SizeClass.C:
        where = f"the {available / 1e9:.1f} GB of all {allowed} GPU(s) here"
    else:
        one = "class A and B models" if size_class else "this task"
        where = f"the {available / 1e9:.1f} GB of one GPU here, and {one} run on one GPU only (methodology §4)"
    raise DoesNotFit(f"{what} need about {needed / 1e9:.1f} GB by {rule}, more than {where}.")


def check_fits_in_ram(parameters: int, precision: Precision, ram_bytes: int) -> None:
    """A CPU run holds the model in RAM; raises DoesNotFit when its estimate exceeds the machine's RAM."""
    needed = memory_needed_bytes(parameters, precision)
    if needed > ram_bytes:
        raise DoesNotFit(
            f"{parameters:,} parameters in {precision} need about {needed / 1e9:.1f} GB "
            f"(weights + {MEMORY_OVERHEAD - 1:.0%}), more than the {ram_bytes / 1e9:.1f} GB of RAM here."
        )
