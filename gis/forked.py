"""One function run in a forked child process while the caller goes on.

For CPU-bound work in C++ libraries that keep Python's lock (libosmium assembling areas):
a thread would not run alongside, a process does. The child is forked only where that is
safe: the platform forks, and the caller runs no other thread (one that could hold a lock
the child would then wait for forever). Otherwise, and if the child dies, the function
runs in the caller's process when its result is asked for, so the answer is the same
either way.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """Whether `ForkedCall.start` would fork now."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _child(function: Callable[[], object], sender: Connection) -> None:
    try:
        sender.send(("ok", function()))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        sender.send(("error", exc))
    finally:
        sender.close()


class ForkedCall(Generic[T]):
    """``function()``, computed by a forked child where that is safe.

    Its result or exception comes back pickled through a pipe; `result` raises the
    child's exception as its own.
    """

    def __init__(self, function: Callable[[], T], process: BaseProcess | None = None,
                 receiver: Connection | None = None) -> None:
        self._function = function
        self._process = process
        self._receiver = receiver

    @classmethod
    def start(cls, function: Callable[[], T], *, name: str) -> ForkedCall[T]:
        """Fork a child named ``name`` running ``function`` (or defer it, see the module)."""
        if not can_fork():
            return cls(function)
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):  # else the child flushes the parent's
            stream.flush()                        # buffered output a second time
        process = context.Process(target=_child, args=(function, sender), daemon=True,
                                  name=name)
        process.start()
        sender.close()
        return cls(function, process, receiver)

    @property
    def forked(self) -> bool:
        """Whether a child is computing the result (until the result is taken)."""
        return self._process is not None

    def result(self) -> T:
        """The function's result: the child's, or computed here if there is no child.

        Raises
        ------
        Exception
            Whatever the function raised (in the child or here).
        """
        if self._process is None or self._receiver is None:
            return self._function()
        try:
            status, payload = self._receiver.recv()
        except EOFError:  # the child died: compute here
            status, payload = "died", None
        self._receiver.close()
        self._process.join()
        self._process = self._receiver = None
        if status == "error":
            raise payload
        return payload if status == "ok" else self._function()

    def cancel(self) -> None:
        """Stop the child, if any (nothing happens once the result was taken)."""
        if self._process is None or self._receiver is None:
            return
        self._receiver.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._process = self._receiver = None
