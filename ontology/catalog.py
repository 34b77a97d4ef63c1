"""Protégé's XML import catalog (catalog-v001.xml): ontology IRI -> local file, no network."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from provml.errors import OntologyError
from provml.ontology.paths import CATALOG_FILE

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


def read_catalog(catalog_file: Path = CATALOG_FILE) -> dict[str, Path]:
    """Map every `<uri name=IRI uri=FILE>` entry to its file, resolved against the catalog's folder.

    Raises OntologyError naming the catalog when it is missing or not well-formed XML.
    """
    try:
        root = ET.parse(catalog_file).getroot()
    except (OSError, ET.ParseError) as error:
        raise OntologyError(
            f"{catalog_file}: cannot read the import catalog: {error}", path=catalog_file
        ) from error
    mapping: dict[str, Path] = {}
    for entry in root.iter(f"{_CATALOG_NS}uri"):
        name, uri = entry.get("name"), entry.get("uri")
        if not name or not uri:
            raise OntologyError(
                f"{catalog_file}: a <uri> entry lacks its name or uri attribute", path=catalog_file
            )
        mapping[name] = (catalog_file.parent / uri).resolve()
    return mapping


def resolve_import(iri: str, catalog_file: Path = CATALOG_FILE) -> Path:
    """Return the local file the catalog gives for an imported ontology IRI.

    Raises OntologyError naming the IRI and the catalog when the IRI is unmapped or the file absent.
    """
    mapping = read_catalog(catalog_file)
    if iri not in mapping:
        raise OntologyError(
            f"{catalog_file}: no entry for the import {iri}; add a <uri name=...> line for it",
            path=catalog_file,
        )
    path = mapping[iri]
    if not path.is_file():
        raise OntologyError(
            f"{catalog_file}: the import {iri} maps to {path}, which is missing", path=catalog_file
        )
    return path
