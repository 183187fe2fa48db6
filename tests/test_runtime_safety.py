"""Parallel kernels under forks and threads, no writable cache, the cold-cache notice.

Each scenario runs in a subprocess (with a timeout, so a hang fails instead of
hanging the suite) under a threading layer forced by NUMBA_THREADING_LAYER.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pkgutil
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

import bonkl_fast
import bonkl_fast as bk
from bonkl_fast._jit import ParallelKernel, serial_kernels


def _loadable(layer: str) -> bool:
    try:
        importlib.import_module(f"numba.np.ufunc.{layer}")
    except ImportError:
        return False
    return True


LAYERS = ["default"] + [
    layer
    for layer, module in (("omp", "omppool"), ("tbb", "tbbpool"), ("workqueue", "workqueue"))
    if _loadable(module)
]

SETUP = """
import numba, numpy as np, bonkl_fast as bk
rng = np.random.default_rng(0)
K = 20_000
p = rng.dirichlet(np.ones(K))
r = rng.permutation(K).astype(float)
NS = [2.0, 1000.0]
def work(seed):
    return bk.kl_exact(p, r, NS).tolist(), bk.sample_best_of_n(p, r, 1000, 200_000, rng=seed)
"""

FORK = """
import multiprocessing
expected = [work(seed) for seed in range(4)]  # parallel kernels run before the fork
with multiprocessing.get_context("fork").Pool(2) as pool:
    got = pool.map_async(work, range(4)).get(timeout=240)
same = all(a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(got, expected))
print(numba.threading_layer(), "same" if same else "DIFFERENT")
"""

THREADS = """
import threading
expected = work(1)
failures = []
def loop():
    for _ in range(5):
        kl, draws = work(1)
        if kl != expected[0] or not np.array_equal(draws, expected[1]):
            failures.append(1)
threads = [threading.Thread(target=loop) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(numba.threading_layer(), "same" if not failures else "DIFFERENT")
"""


def run_python(code: str, env: dict | None = None, timeout: float = 600):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


SCENARIOS = {"threads": THREADS}
if "fork" in multiprocessing.get_all_start_methods():
    SCENARIOS["fork"] = FORK


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_fork_pool_and_threads_after_parallel_work(layer, scenario):
    """Issue 14 item 6: a fork pool after parallel work hung (GNU OpenMP); 4 threads
    aborted the process (workqueue). Both now finish, with the single-process results."""
    result = run_python(SETUP + SCENARIOS[scenario], {"NUMBA_THREADING_LAYER": layer})
    assert result.returncode == 0, result.stderr[-3000:]
    used, verdict = result.stdout.split()
    assert verdict == "same"
    assert layer == "default" or used == layer


def test_serial_twins_give_the_same_bits():
    """The serial twin of every parallel kernel reached here gives the parallel result."""
    rng = np.random.default_rng(3)
    k = 50_000  # several chunks of the KL, tilt and sampling kernels
    p, r = rng.dirichlet(np.ones(k)), rng.permutation(k).astype(float)
    bank = rng.normal(size=20_000)
    groups = np.repeat(np.arange(200), 100)

    def everything():
        return (
            bk.kl_exact(p, r, [1.5, 2.0, 1000.0]),
            bk.sample_best_of_n(p, r, 1000, 300_000, rng=1),
            bk.sample_best_of_n(p, r, 3, 70_000, rng=2, method="direct"),
            bk.simulate_best_of_n(p, r, 1000, 300_000, rng=3).to_dict(),
            bk.bank_curves(bank, [1, 2, 8], groups=groups).to_dict(),
            bk.tilt_for_kl(p, r, 1.5, kind="reward"),
            bk.tilt_for_kl(p, r, 1.5, kind="win_rate"),
        )

    parallel = everything()
    with serial_kernels():
        serial = everything()
    for a, b in zip(parallel, serial, strict=True):
        if isinstance(a, dict):
            assert a.keys() == b.keys()
            for key in a:
                assert np.array_equal(np.asarray(a[key]), np.asarray(b[key])), key
        else:
            assert np.array_equal(a, b)


def _kernel_objects():
    for info in pkgutil.walk_packages(bonkl_fast.__path__, "bonkl_fast."):  # and subpackages
        if info.name.rpartition(".")[2].startswith("_kernels"):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                yield info.name, name, value


def test_every_caller_of_a_parallel_kernel_chooses_serial_or_parallel():
    """A plain kernel calling a parallel one from Python would skip the safety choice.

    _jit.jit turns a function calling a parallel kernel by name into a ParallelKernel;
    that only works if the callee is defined (or imported) first.
    """
    plain = [
        (module, name, value)
        for module, name, value in _kernel_objects()
        if isinstance(value, numba.core.registry.CPUDispatcher)
    ]
    assert len(plain) > 20
    for module, name, dispatcher in plain:
        names = dispatcher.py_func.__code__.co_names
        for used in names:
            value = dispatcher.py_func.__globals__.get(used)
            targets = [value]
            if isinstance(value, type(os)):  # module.attribute calls
                targets = [getattr(value, attr, None) for attr in names]
            assert not any(isinstance(t, ParallelKernel) for t in targets), (
                f"{module}.{name} calls a parallel kernel but is a plain @jit kernel: define it "
                "after its callee and call the callee by its bare name"
            )


def test_parallel_kernels_exist():
    kernels = [value for _, _, value in _kernel_objects() if isinstance(value, ParallelKernel)]
    assert len(kernels) >= 3  # the guard above inspects something real


def _read_only_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the package nobody can write to, and a home without a usable cache folder.

    chmod binds ordinary users; the ``__pycache__`` and ``.cache`` placeholders are
    files, where Numba needs folders, which binds root too.
    """
    site = tmp_path / "site"
    package = site / "bonkl_fast"
    shutil.copytree(
        Path(bonkl_fast.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    home = tmp_path / "home"
    home.mkdir()
    for folder in [home, *[p for p in package.rglob("*") if p.is_dir()], package]:
        (folder / ("__pycache__" if folder != home else ".cache")).write_text("")
    for path in [site, home, *site.rglob("*"), *home.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return site, home


def test_read_only_install_compiles_without_cache_and_warns_once(tmp_path):
    """Issue 14 item 7: RuntimeError 'cannot cache function ...: no locator available'."""
    site, home = _read_only_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE_DIR")}
    env.update(PYTHONPATH=str(site), HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    env.pop("XDG_CACHE_HOME", None)
    code = """
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import bonkl_fast as bk
        kl = bk.kl_exact([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], [4, 1000])
    print(bk.__file__)
    print(repr(kl.tolist()))
    print(sum("no writable cache" in str(w.message) for w in caught), len(caught))
    """
    try:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
            cwd=tmp_path,
        )
    finally:
        for path in [tmp_path, *tmp_path.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert result.returncode == 0, result.stderr[-3000:]
    where, values, counts = result.stdout.splitlines()
    assert where.startswith(str(site))
    assert values == repr(bk.kl_exact([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], [4, 1000]).tolist())
    assert counts == "1 1"  # one warning, about the cache, and nothing else
    assert result.stderr.count("bonkl_fast: compiling kernels") == 1


def test_cold_cache_prints_one_line_warm_cache_none(tmp_path):
    """Issue 9: one stderr line before compiling on a cold cache, none on a warm one."""
    code = """
    import bonkl_fast as bk
    bk.kl_exact([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], [4, 1000])  # several kernels compile
    """
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    cold = run_python(code, env)
    assert cold.returncode == 0, cold.stderr[-3000:]
    lines = cold.stderr.splitlines()
    assert lines == ["bonkl_fast: compiling kernels, once after install (up to two minutes) ..."]
    warm = run_python(code, env)
    assert warm.returncode == 0 and warm.stderr == "", warm.stderr[-3000:]
