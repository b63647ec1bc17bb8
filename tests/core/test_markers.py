"""The lanes stay honest: `-m "not e2e"` really leaves out every browser test."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"


@pytest.mark.parametrize("path", sorted(E2E.glob("test_*.py")), ids=lambda p: p.name)
def test_every_e2e_module_carries_the_marker(path):
    # A conftest's pytestmark marks nothing: each module must say it itself.
    module = importlib.import_module(f"tests.e2e.{path.stem}")
    marks = getattr(module, "pytestmark", [])
    marks = marks if isinstance(marks, list) else [marks]
    assert any(m.name == "e2e" for m in marks)
