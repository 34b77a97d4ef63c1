# Links that need more than one event, written after every load (idempotent):
# - a run's workflow is composed of the data transformations its tasks executed or its plan
#   events declared (provml:hasDataTransformation);
# - a task that used an entity another task generated was informed by it (prov:wasInformedBy),
#   also across runs, since entities are shared;
# - an epoch or iteration was informed by the section before it in the same stage.
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>

INSERT { GRAPH ?g { ?workflow provml:hasDataTransformation ?transformation } }
WHERE {
  GRAPH ?g {
    ?run a provml:WorkflowExecution ; provml:executesPlan ?workflow .
    ?transformation a provml:DataTransformation .
  }
} ;

INSERT { GRAPH ?g { ?consumer prov:wasInformedBy ?producer } }
WHERE {
  GRAPH ?g { ?consumer prov:used ?entity ; provml:partOfExecution ?context . }
  GRAPH ?h { ?entity prov:wasGeneratedBy ?producer . ?producer provml:partOfExecution ?origin . }
  FILTER (?consumer != ?producer)
} ;

INSERT { GRAPH ?g { ?next prov:wasInformedBy ?previous } }
WHERE {
  GRAPH ?g {
    ?next provml:sectionIndex ?index ; provml:partOfExecution ?stage .
    ?previous provml:sectionIndex ?before ; provml:partOfExecution ?stage .
    FILTER (?before = ?index - 1)
  }
}
