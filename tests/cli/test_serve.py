"""`provml serve` refuses what it cannot serve before it listens, with `error: ...` and exit 1."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from provml.cli.app import app
from provml.errors import ServeError
from provml.kg import open_store
from provml.serve import ServeSettings
from provml.serve import settings as defaults
from tests.helpers.serve import TOKEN, running_server


def test_allow_update_without_a_token_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("PROVML_SERVE_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s"), "--allow-update"])
    assert result.exit_code == 1
    assert "error: --allow-update needs --token" in result.output


def test_settings_refuse_writes_without_a_token_naming_the_setting():
    with pytest.raises(ServeError, match="allow_update needs a token"):
        ServeSettings(allow_update=True)


def test_the_command_line_defaults_are_the_server_settings_defaults():
    command = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    default = {param.name: param.default for param in command.params}
    settings = ServeSettings()
    assert (default["host"], default["port"]) == (defaults.DEFAULT_HOST, defaults.DEFAULT_PORT)
    assert default["timeout"] == settings.timeout
    assert default["max_bytes"] == settings.max_bytes
    assert default["workers"] == settings.workers
    assert default["header_timeout"] == settings.header_timeout
    assert default["max_memory"] is None and settings.max_memory is None


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


def test_a_stopped_server_leaves_its_writes_in_a_released_store(tmp_path):
    store = tmp_path / "store"
    with running_server(store, "--allow-update", "--token", TOKEN) as server:
        code, _, body = server.request(
            "/ingest?graph=https://e/g",
            data=b'<https://e/a> <https://e/p> "kept" .\n',
            headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"},
        )
        assert code == 200, body
    assert server.process.returncode == 0, server.log.read_text()
    with open_store(store) as opened:  # the lock is released, and the write is there
        assert opened.count("https://e/g") == 1
