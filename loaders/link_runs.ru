# Links that need more than one event, written after a load for each run it touched
# (idempotent). ${graph} is the run's graph IRI, validated before it is put in; Virtuoso fails
# INSERT templates with a variable graph, so each run is named.
# - a run's workflow is composed of the data transformations its tasks executed or its plan
#   events declared (provml:hasDataTransformation, in the shared graph with the workflow);
# - a task that used an entity another task generated was informed by it (prov:wasInformedBy),
#   also across runs, since entities are shared.
# Consecutive epochs and iterations are linked by `finish.py` from `run_sections.rq`: engines
# evaluate that join on computed indexes pair by pair, quadratic in the sections of a stage.
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>

INSERT { GRAPH <https://w3id.org/provml/id/shared> { ?workflow provml:hasDataTransformation ?transformation } }
WHERE {
  GRAPH ${graph} {
    ?run a provml:WorkflowExecution ; provml:executesPlan ?workflow .
    { ?task provml:executesPlan ?transformation } UNION { ?run prov:wasInfluencedBy ?transformation }
  }
  GRAPH <https://w3id.org/provml/id/shared> { ?transformation a provml:DataTransformation }
}
;

WITH ${graph}
INSERT { ?consumer prov:wasInformedBy ?producer }
WHERE {
  ?consumer prov:used ?entity ; provml:partOfExecution ?context .
  GRAPH ?origin { ?entity prov:wasGeneratedBy ?producer . ?producer provml:partOfExecution ?parent . }
  FILTER (?consumer != ?producer)
}
