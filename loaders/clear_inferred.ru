# Removes the inferred derivations of the entities some imported PROV documents generated (runs
# have `clear_run_inferred.ru`), before `finish.py` infers them again: re-finishing replaces
# them, so a late batch corrects them.
# ${graphs} are the graph IRIs, validated before they are put in; the inferred graph is named
# literally (Virtuoso fails templates whose graph is a variable).
PREFIX prov: <http://www.w3.org/ns/prov#>

DELETE { GRAPH <https://w3id.org/provml/id/inferred> { ?output prov:wasDerivedFrom ?input } }
WHERE {
  VALUES ?graph { ${graphs} }
  GRAPH ?graph { ?output prov:wasGeneratedBy ?task }
  GRAPH <https://w3id.org/provml/id/inferred> { ?output prov:wasDerivedFrom ?input }
}
