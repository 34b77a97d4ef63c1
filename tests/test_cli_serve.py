"""`provml serve` refuses what it cannot serve before it listens, with `error: ...` and exit 1."""

from __future__ import annotations

from provml.kg import open_store
from typer.testing import CliRunner

from provml.cli import app


def test_allow_update_without_a_token_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("PROVML_SERVE_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s"), "--allow-update"])
    assert result.exit_code == 1
    assert "error: --allow-update needs --token" in result.output


def test_a_missing_store_is_refused_when_read_only(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert f"error: no store at {tmp_path / 'nothing'}" in result.output
    assert not (tmp_path / "nothing").exists()


def test_a_remote_store_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--store", "http://127.0.0.1:9/sparql"])
    assert result.exit_code == 1
    assert "serves an embedded store directory" in result.output


def test_a_store_held_by_another_writer_is_named(tmp_path):
    with open_store(tmp_path / "held"):
        result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "held")])
    assert result.exit_code == 1
    assert "is already open for writing" in result.output
