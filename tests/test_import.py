"""``import bonkl_fast`` is cheap and every public name resolves."""

from __future__ import annotations

import subprocess
import sys

import bonkl_fast


def test_import_loads_neither_numba_nor_numpy():
    code = "import sys, bonkl_fast; print('numba' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_every_public_name_resolves():
    for name in bonkl_fast.__all__:
        assert getattr(bonkl_fast, name) is not None
        assert name in dir(bonkl_fast)


def test_unknown_name_is_an_attribute_error():
    try:
        bonkl_fast.no_such_function  # noqa: B018
    except AttributeError as exc:
        assert "no_such_function" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
