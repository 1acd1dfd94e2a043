"""A function run in a forked child: the same answer as in-process, whatever happens.

Each case runs in a fresh interpreter (`run_fresh`): this test process has threads, and
its fixtures turn forking off.
"""

from __future__ import annotations

from tests.conftest import run_fresh

SETUP = """
    import os, time, threading, multiprocessing
    from runtime.forked import ForkedCall, ForkedError, can_fork
    PARENT = os.getpid()
    def in_child():
        return os.getpid() != PARENT
"""


def test_the_child_computes_and_the_parent_gets_its_answer() -> None:
    out = run_fresh(SETUP + """
    call = ForkedCall.start(lambda: ("child" if in_child() else "parent", 6 * 7), name="t")
    assert call.forked
    print(call.result(), call.source, multiprocessing.active_children())
    """)
    assert out.strip() == "('child', 42) child []"


def test_no_fork_while_another_thread_runs_or_inside_a_daemonic_worker() -> None:
    out = run_fresh(SETUP + """
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    call = ForkedCall.start(lambda: "parent" if not in_child() else "child", name="t")
    print(can_fork(), call.forked, call.result(), call.source)
    release.set()
    other.join()
    def worker(queue):
        call = ForkedCall.start(lambda: 1, name="inner")
        queue.put((can_fork(), call.forked, call.result()))
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    daemon = context.Process(target=worker, args=(queue,), daemon=True)
    daemon.start()
    print(*queue.get(timeout=60))
    daemon.join()
    """)
    assert out.split("\n")[:2] == ["False False parent here", "False False 1"]


def test_a_child_that_dies_before_answering_is_replaced_by_computing_here() -> None:
    out = run_fresh(SETUP + """
    def slow_in_child():
        if in_child():
            time.sleep(60)
        return "computed here"
    call = ForkedCall.start(slow_in_child, name="sleeper")
    (child,) = multiprocessing.active_children()
    child.kill()
    child.join()
    print(child.exitcode, call.result(), call.source)
    """)
    assert out.strip() == "-9 computed here here"


def test_a_child_killed_while_sending_is_replaced_too() -> None:
    out = run_fresh(SETUP + """
    call = ForkedCall.start(lambda: b"x" * 5_000_000, name="big")  # blocks on the pipe
    time.sleep(1.0)  # long enough to have started sending 5 MB through a 64 KB pipe
    (child,) = multiprocessing.active_children()
    child.kill()
    result = call.result()
    print(len(result), call.source)
    """)
    assert out.strip() == "5000000 here"


def test_exceptions_come_back_as_they_were_or_named() -> None:
    out = run_fresh(SETUP + """
    def fails():
        raise KeyError("no such thing")
    call = ForkedCall.start(fails, name="fails")
    try:
        call.result()
    except KeyError as exc:
        print("KeyError", exc, call.source)
    class Picky(Exception):
        def __init__(self, path, why):
            super().__init__(f"{path}: {why}")
    def fails_oddly():
        raise Picky("a.pbf", "broken")
    call = ForkedCall.start(fails_oddly, name="picky")
    try:
        call.result()
    except ForkedError as exc:
        print("ForkedError", exc, call.source)
    call = ForkedCall.start(lambda: (lambda: 1), name="unpicklable")  # a lambda result
    try:
        call.result()
    except ForkedError as exc:
        print("ForkedError", str(exc).split(" (")[0])
    """)
    assert out.split("\n")[:3] == [
        "KeyError 'no such thing' child", "ForkedError Picky: a.pbf: broken child",
        "ForkedError the result could not be sent back"]


def test_cancel_ends_the_child_even_where_the_parent_ignores_sigterm() -> None:
    out = run_fresh(SETUP + """
    import signal
    signal.signal(signal.SIGTERM, lambda *_: None)  # the parent ignores SIGTERM; the child
    def forever():                                   # must not inherit that
        while True:
            time.sleep(1)
    call = ForkedCall.start(forever, name="forever")
    started = time.monotonic()
    call.cancel()
    print(multiprocessing.active_children(), time.monotonic() - started < 4)
    """)
    assert out.strip() == "[] True"
