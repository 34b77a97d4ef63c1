"""Run the command line as `python -m provml`."""

from provml.cli import main

main()
