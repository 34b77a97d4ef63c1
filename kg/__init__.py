"""The knowledge graph: one Store interface over embedded Oxigraph or a remote SPARQL endpoint."""
