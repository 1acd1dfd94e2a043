"""Pausing Python's cyclic garbage collector while large structures are built.

Reading an extract or contracting a road graph allocates hundreds of thousands of
containers that all stay alive. Each allocation burst sets off a collection that walks
them again, for nothing: they hold no reference cycles. Measured on Heidelberg, the
graph build spent up to a quarter of its time (0.1 s) in such collections. Reference
counting still frees everything as usual while the collector is paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
