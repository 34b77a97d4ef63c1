"""provml's benchmarks: `python -m bench` runs them all into one table (bench/RESULTS.md);
`python bench/<name>.py` runs one."""
