"""The one place where Numba options live, and where kernels are made safe to run anywhere.

Every kernel in the package is compiled with :func:`jit` (serial) or
:func:`jit_parallel` (``prange`` loops). Options:

* ``cache=True``: compiled machine code is written next to the module (or
  under ``NUMBA_CACHE_DIR``) so a fresh process does not compile again. Where
  no cache can be written (read-only install, no writable home) kernels are
  compiled in memory instead, with one ``UserWarning`` per process;
* ``nogil=True``: kernels release the GIL, so callers may use threads;
* ``error_model="numpy"``: division by zero gives inf/nan like NumPy instead
  of raising, which lets kernels skip redundant checks.

``fastmath`` is deliberately off: the exact sums rely on ``0 * log 0``,
``-inf`` and subnormal masses behaving as IEEE 754 says.

Parallel kernels and their safety
---------------------------------
A :class:`ParallelKernel` is compiled twice, lazily: with ``parallel=True``
and as a serial twin (``prange`` runs as ``range``). A call from Python runs
the serial twin where a parallel launch is not safe:

* in a process forked after the OpenMP layer started (GNU OpenMP aborts or
  hangs the child: ``multiprocessing`` fork pools);
* under the workqueue layer (what Numba uses where OpenMP and TBB are
  missing), which aborts the process when two threads launch at once: one
  thread at a time runs in parallel, the others run serially meanwhile;
* inside :func:`serial_kernels` (used by the tests).

Kernels write per-chunk results merged in a fixed order, so the twins give the
same bits. A :func:`jit` function that calls a parallel kernel (defined above
it) becomes a :class:`ParallelKernel` too, so the choice is made once, at the
call from Python, and its serial twin calls the serial twins.

The first time a kernel is compiled in a process (a cold cache: the first use
after installation), one line on stderr says so before the compiler starts.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import types
import warnings
from typing import Any

import numba
from numba.core import event
from numba.extending import typeof_impl

_OPTIONS = {"nogil": True, "error_model": "numpy"}
prange = numba.prange

__all__ = ["jit", "jit_parallel", "prange", "ParallelKernel", "serial_kernels"]

_state: dict[str, Any] = {
    "cache_ok": True,
    "noticed": False,
    "layer": None,
    "forked_after_omp": False,
}
_slot = threading.Lock()  # held by the thread running a workqueue launch
_twin_lock = threading.RLock()  # building a twin builds its callees' twins
_local = threading.local()


def _compile(func, options):
    """A Numba dispatcher for ``func``, cached on disk where a cache can be written."""
    dispatcher = numba.njit(**_OPTIONS, **options)(func)
    if not hasattr(dispatcher, "enable_caching"):  # NUMBA_DISABLE_JIT: the Python function
        return dispatcher
    try:
        dispatcher.enable_caching()
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        if _state["cache_ok"]:
            _state["cache_ok"] = False
            warnings.warn(
                f"bonkl_fast: no writable cache for compiled kernels ({exc}); kernels are "
                "compiled in every process (up to two minutes). Set NUMBA_CACHE_DIR to a writable "
                "folder to compile them once.",
                UserWarning,
                stacklevel=4,
            )
    return dispatcher


def _calls_parallel(func) -> bool:
    return any(
        isinstance(func.__globals__.get(name), ParallelKernel) for name in func.__code__.co_names
    )


def jit(func=None, **options):
    """Compile a serial kernel: ``@jit`` or ``@jit(inline="always")``.

    A function calling a :class:`ParallelKernel` by name becomes one itself.
    """
    if func is None:
        return functools.partial(jit, **options)
    if _calls_parallel(func):
        return ParallelKernel(func, parallel=False, **options)
    return _compile(func, options)


def jit_parallel(func=None, **options):
    """Compile a kernel with ``prange`` loops as a :class:`ParallelKernel`."""
    if func is None:
        return functools.partial(jit_parallel, **options)
    return ParallelKernel(func, parallel=True, **options)


class ParallelKernel:
    """A kernel compiled parallel and as a serial twin; a call from Python picks the safe one.

    Numba code calling it by name calls the parallel version (the caller is a
    :class:`ParallelKernel` too and made the choice). ``serial`` is the twin,
    compiled on first use from a copy of the function whose parallel callees
    are their serial twins, with its own cache file.
    """

    def __init__(self, func, parallel: bool, **options):
        self.py_func = func
        self._options = options
        self.parallel = _compile(func, {**options, "parallel": parallel})
        self._serial = None
        functools.update_wrapper(self, func)

    @property
    def serial(self):
        if self._serial is None:
            with _twin_lock:  # threads falling back at once build one twin
                if self._serial is None:
                    self._serial = self._build_serial()
        return self._serial

    def _build_serial(self):
        func = self.py_func
        scope = dict(func.__globals__)
        for name in func.__code__.co_names:
            if isinstance(scope.get(name), ParallelKernel):
                scope[name] = scope[name].serial
        twin = types.FunctionType(
            func.__code__, scope, func.__name__, func.__defaults__, func.__closure__
        )
        twin.__qualname__ = func.__qualname__ + "_serial"  # its own cache index
        twin.__module__, twin.__doc__ = func.__module__, func.__doc__
        return _compile(twin, self._options)

    def __call__(self, *args):
        if getattr(_local, "serial", False) or not _parallel_safe():
            return self.serial(*args)
        if _state["layer"] != "workqueue":
            return self.parallel(*args)
        if not _slot.acquire(blocking=False):  # another thread is in the workqueue
            return self.serial(*args)
        try:
            return self.parallel(*args)
        finally:
            _slot.release()

    def __getattr__(self, name):  # signatures, inspect_types, ... of the parallel version
        if name == "parallel":
            raise AttributeError(name)
        return getattr(self.parallel, name)


@typeof_impl.register(ParallelKernel)
def _typeof_parallel_kernel(value, context):
    return numba.types.Dispatcher(value.parallel)


def _parallel_safe() -> bool:
    """False in a process forked after OpenMP started; starts the threading layer if needed."""
    if _state["forked_after_omp"]:
        return False
    if _state["layer"] is None:
        numba.get_num_threads()  # starts the layer Numba chooses (or NUMBA_THREADING_LAYER)
        _state["layer"] = numba.threading_layer()
    return True


def _after_fork_in_child() -> None:
    global _slot, _twin_lock
    _slot = threading.Lock()  # a lock held by another thread at fork time stays held
    _twin_lock = threading.RLock()
    try:
        layer = numba.threading_layer()
    except ValueError:  # never started in the parent: the child starts its own
        return
    if layer == "omp":
        _state["forked_after_omp"] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def serial_kernels():
    """Run every parallel kernel called from this thread serially (same results)."""
    before = getattr(_local, "serial", False)
    _local.serial = True
    try:
        yield
    finally:
        _local.serial = before


class _CompileNotice(event.Listener):
    """One stderr line before the first compilation of a bonkl_fast kernel in a process."""

    def on_start(self, ev):
        dispatcher = ev.data.get("dispatcher") if isinstance(ev.data, dict) else None
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if _state["noticed"] or not module.startswith("bonkl_fast"):
            return
        _state["noticed"] = True
        if _state["cache_ok"]:
            text = "bonkl_fast: compiling kernels, once after install (up to two minutes) ..."
        else:
            text = "bonkl_fast: compiling kernels (no writable cache: in every process) ..."
        try:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):  # no usable stderr (pythonw, closed)
            pass

    def on_end(self, ev):
        pass


event.register("numba:compile", _CompileNotice())
