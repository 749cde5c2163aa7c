"""The catalog as data: for each entry, its arguments in call order, how to make realistic
inputs, its reference and the bytes it must move. Tests and benchmarks both read this, so a
new entry is described once."""

from .base import Arg, Case
from .norm import NORM_CASES

ALL_CASES: dict[str, Case] = {**NORM_CASES}

__all__ = ["ALL_CASES", "NORM_CASES", "Arg", "Case"]
