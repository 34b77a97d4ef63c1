"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.wheel import build_wheel

pytest_plugins = ["tests.helpers.virtuoso", "tests.helpers.oxigraph_server"]


@pytest.fixture(scope="session")
def provml_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the checkout as it is now, built once per session."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))
