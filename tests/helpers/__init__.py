"""Shared pieces of the tests: builders, servers, corpora."""
