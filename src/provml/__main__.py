"""Run the command line as `python -m provml`."""

from provml.cli import main

if __name__ == "__main__":  # importing the module (a doctest walk, a tool) runs nothing
    main()
