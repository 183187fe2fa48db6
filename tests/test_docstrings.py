"""Every docstring example of the installed package runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import bonkl_fast

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(bonkl_fast.__path__, prefix="bonkl_fast.")
)


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_functions_have_examples():
    missing = []
    for name in bonkl_fast.__all__:
        obj = getattr(bonkl_fast, name)
        if callable(obj) and not isinstance(obj, type) and ">>>" not in (obj.__doc__ or ""):
            missing.append(name)
    assert not missing, f"public functions without a docstring example: {missing}"
