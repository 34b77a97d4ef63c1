"""Rewrite the checkout's ontology Turtle files in canonical form (sorted, stable blank nodes).

Run from a checkout: `python tools/canonical.py` rewrites ontology/*.ttl (and imports/, examples/)
in the form `provml.ontology.canonical` defines; `--check` only reports the files that are not,
and exits 1 if any. A development tool: it is not part of the installed package.
"""

from __future__ import annotations

import sys
from pathlib import Path

from provml.ontology.canonical import canonical_files, canonical_text_of

# The checkout's ontology folder, never the installed package's copy.
ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with --check, only test) the checkout's Turtle files in canonical form."""
    args = sys.argv[1:] if argv is None else argv
    check_only = "--check" in args
    stale = []
    for path in canonical_files(ONTOLOGY_DIR):
        text = canonical_text_of(path)
        if path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check_only:
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'not canonical' if check_only else 'rewrote'}: {path}")
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
