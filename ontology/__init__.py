"""The provml ontology (Turtle), its SHACL shapes and import catalog, as package data."""
