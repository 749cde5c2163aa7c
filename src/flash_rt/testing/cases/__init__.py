"""The catalog as data: for each entry, its arguments in call order, how to make realistic
inputs, its reference and the bytes it must move. Tests and benchmarks both read this, so a
new entry is described once. One module per kernel group; each exports `CASES`."""

from . import activation, fused, fused_norm, patch, quantize, rope, utility
from .base import Arg, Case
from .norm import NORM_CASES

ALL_CASES: dict[str, Case] = {**NORM_CASES}
for _module in (fused_norm, activation, fused, quantize, rope, utility, patch):
    ALL_CASES.update(_module.CASES)

__all__ = ["ALL_CASES", "NORM_CASES", "Arg", "Case"]
