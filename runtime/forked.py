"""One function run in a forked child process while the caller goes on.

For CPU-bound work in C++ libraries that keep Python's lock (libosmium assembling areas):
a thread would not run alongside, a process does. The child is forked only where that is
safe: the platform forks, the caller is not itself a daemonic worker, and it runs no
other Python thread (one that could hold a lock the child would then wait for forever).
Threads that Python does not see (a C++ library's pool) are the caller's to avoid: start
the call before such a library runs. Otherwise, and if the child cannot be started, dies
or sends something unreadable, the function runs in the caller's process when its result
is asked for, so the answer is the same either way.

The child closes its copy of the pipe's reading end and takes the default SIGTERM action
at once, so `ForkedCall.cancel` always ends it; it leaves through ``os._exit`` (as every
multiprocessing child does), so no finaliser of the parent's objects (database
connections) runs in it.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)
CANCEL_WAIT_S = 5.0  # after SIGTERM, before SIGKILL


class ForkedError(RuntimeError):
    """The child raised an exception that cannot travel back: its type and message."""


def can_fork() -> bool:
    """Whether `ForkedCall.start` would fork now."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon
            and threading.active_count() == 1)


def _child(function: Callable[[], object], sender: Connection, receiver: Connection) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # blocked until now (see start)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    receiver.close()  # else a send larger than the pipe could block on our own reader
    try:
        result: tuple[str, object] = ("ok", function())
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        try:  # some exceptions pickle but cannot be rebuilt (a custom __init__)
            pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
        except Exception:  # noqa: BLE001 - cannot travel: say what it was
            exc = ForkedError(f"{type(exc).__name__}: {exc}")
        result = ("error", exc)
    try:
        sender.send(result)  # pickles first: a failure writes nothing
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        sender.send(("error", ForkedError(
            f"the result could not be sent back ({type(exc).__name__}: {exc})")))
    finally:
        sender.close()


class ForkedCall(Generic[T]):
    """``function()``, computed by a forked child where that is safe.

    Its result or exception comes back pickled through a pipe; `result` raises the
    child's exception as its own. After `result`, ``source`` says where the answer was
    computed: ``"child"`` or ``"here"``.
    """

    def __init__(self, function: Callable[[], T], process: BaseProcess | None = None,
                 receiver: Connection | None = None) -> None:
        self._function = function
        self._process = process
        self._receiver = receiver
        self.source: str | None = None

    @classmethod
    def start(cls, function: Callable[[], T], *, name: str) -> ForkedCall[T]:
        """Fork a child named ``name`` running ``function`` (or defer it, see the module)."""
        if not can_fork():
            return cls(function)
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        try:
            for stream in (sys.stdout, sys.stderr):  # else the child flushes the parent's
                if stream is not None:               # buffered output a second time
                    stream.flush()
            process = context.Process(target=_child, args=(function, sender, receiver),
                                      daemon=True, name=name)
            # SIGTERM stays blocked across the fork, so it cannot reach the child before
            # the child drops a handler it inherited; the child unblocks it.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
            try:
                process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        except (OSError, ValueError, AssertionError) as exc:  # no memory, closed stream, …
            logger.warning("cannot fork %s (%s): computing in this process", name, exc)
            receiver.close()
            sender.close()
            return cls(function)
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
            Whatever the function raised (in the child or here); `ForkedError` for a
            child's exception that could not be sent back.
        """
        if self._process is None or self._receiver is None:
            return self._here()
        try:
            status, payload = self._receiver.recv()
        except Exception as exc:  # noqa: BLE001 - died before or while sending, or garbled
            logger.warning("%s sent no result (%s): computing in this process",
                           self._process.name, exc)
            status, payload = "lost", None
        finally:
            self._stop(wait_s=CANCEL_WAIT_S)
        if status == "error":
            self.source = "child"
            raise payload
        if status == "ok":
            self.source = "child"
            return payload  # type: ignore[no-any-return]
        return self._here()

    def cancel(self) -> None:
        """Stop the child, if any (after the result was taken: nothing to do)."""
        self._stop(wait_s=0.0)

    def _stop(self, *, wait_s: float) -> None:
        """Give the child ``wait_s`` to exit, then SIGTERM, then SIGKILL; reap it."""
        process, receiver = self._process, self._receiver
        if process is None or receiver is None:
            return
        self._process = self._receiver = None
        receiver.close()
        process.join(wait_s)
        if process.is_alive():
            process.terminate()
            process.join(CANCEL_WAIT_S)
        if process.is_alive():
            process.kill()
            process.join()

    def _here(self) -> T:
        self.source = "here"
        return self._function()
