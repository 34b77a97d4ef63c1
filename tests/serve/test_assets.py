"""The page's vendored graph library is the one web/package-lock.json pins, and ships in the
package (no CDN at run time)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from provml.serve.page import static_directory

ROOT = Path(__file__).resolve().parents[2]


def test_vendored_cytoscape_matches_the_lock_file():
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/cytoscape"]["version"]
    vendored = (static_directory() / "vendor" / "cytoscape.min.js").read_text(encoding="utf-8")
    assert f'"{locked}"' in vendored or f"'{locked}'" in vendored, (
        f"static/vendor/cytoscape.min.js is not cytoscape {locked}: run `npm ci && npm run build` "
        "in web/"
    )


def test_the_page_loads_nothing_from_another_host():
    page = (static_directory() / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/static/") for source in sources)
