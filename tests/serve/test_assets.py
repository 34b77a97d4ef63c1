"""The page's vendored libraries are the ones web/package-lock.json pins, and ship in the
package (no CDN at run time)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from provml.serve.page import static_directory

ROOT = Path(__file__).resolve().parents[2]
#: npm package -> its vendored build in static/vendor (web/build.mjs copies them).
VENDORED = {"cytoscape": "cytoscape.min.js", "uplot": "uPlot.iife.min.js"}


@pytest.mark.parametrize(("package", "build"), sorted(VENDORED.items()))
def test_vendored_library_matches_the_lock_file(package, build):
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    locked = lock["packages"][f"node_modules/{package}"]["version"]
    vendored = (static_directory() / "vendor" / build).read_text(encoding="utf-8")
    assert re.search(rf"""["'(v]{re.escape(locked)}["')]""", vendored), (
        f"static/vendor/{build} is not {package} {locked}: run `npm ci && npm run build` in web/"
    )


def test_every_vendored_library_has_its_licence():
    vendor = static_directory() / "vendor"
    for package, build in VENDORED.items():
        stem = build.split(".")[0]
        assert (vendor / f"{stem}-LICENSE.txt").is_file(), package


def test_the_page_loads_nothing_from_another_host():
    page = (static_directory() / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/static/") for source in sources)
    # Links in the page go to its own views (hash routes), never to another host.
    links = re.findall(r'<a\b[^>]*\bhref="([^"]+)"', page)
    assert all(link.startswith("#/") for link in links)


def test_the_wheel_ships_every_file_of_the_page(provml_wheel: Path) -> None:
    names = set(zipfile.ZipFile(provml_wheel).namelist())
    static = static_directory()
    page_files = [path for path in static.rglob("*") if path.is_file()]
    assert any(path.name == "uPlot.min.css" for path in page_files)
    for path in page_files:
        assert f"provml/serve/static/{path.relative_to(static).as_posix()}" in names, path.name
