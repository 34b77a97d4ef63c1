# Removes the inferred derivations of the versions some runs generated, before `finish.py` infers
# them again (`infer_derivations.rq` infers only for a version, `provml:versionOf` in the run's
# graph, and only provml writes run graphs: the rest a run generated is measures, by the
# thousand, which this leaves unread). Re-finishing replaces them, so a late batch corrects them.
# ${graphs} are the run graph IRIs, validated before they are put in; the inferred graph is
# named literally (Virtuoso fails templates whose graph is a variable). Imported PROV documents
# have `clear_inferred.ru`.
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>

DELETE { GRAPH <https://w3id.org/provml/id/inferred> { ?output prov:wasDerivedFrom ?input } }
WHERE {
  VALUES ?graph { ${graphs} }
  GRAPH ?graph { ?output provml:versionOf ?stable ; prov:wasGeneratedBy ?task }
  GRAPH <https://w3id.org/provml/id/inferred> { ?output prov:wasDerivedFrom ?input }
}
