# Links that need more than one event, written after a load for the runs it touched
# (idempotent). ${graphs} are the runs' graph IRIs, validated before they are put in; the
# template names its graph (the shared one): Virtuoso fails INSERT templates whose graph is a
# variable, so the links written into each run's graph come from `informed_by.rq` instead.
# - a run's workflow is composed of the data transformations its tasks executed or its plan
#   events declared (provml:hasDataTransformation, in the shared graph with the workflow).
# Consecutive epochs and iterations are linked by `finish.py` from `run_sections.rq`: engines
# evaluate that join on computed indexes pair by pair, quadratic in the sections of a stage.
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>

INSERT { GRAPH <https://w3id.org/provml/id/shared> { ?workflow provml:hasDataTransformation ?transformation } }
WHERE {
  VALUES ?graph { ${graphs} }
  GRAPH ?graph {
    ?run a provml:WorkflowExecution ; provml:executesPlan ?workflow .
    { ?task provml:executesPlan ?transformation } UNION { ?run prov:wasInfluencedBy ?transformation }
  }
  GRAPH <https://w3id.org/provml/id/shared> { ?transformation a provml:DataTransformation }
}
