"""The taxonomy of analyses as canned SPARQL queries (.rq files) and helpers that run them."""
