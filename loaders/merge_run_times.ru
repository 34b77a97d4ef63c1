# Every rank of a distributed run records its own run_start and run_end under the same run id,
# so a workflow execution can hold several start times, end times and statuses. Keep the
# earliest start, the latest end and the worst status (failed > killed > completed); each rank
# stays visible as its own provml:Process. Idempotent, over the whole store: run after every
# load, it also repairs a load that crashed before finishing.
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>

DELETE { GRAPH ?g { ?run prov:startedAtTime ?later } }
WHERE {
  GRAPH ?g {
    ?run a provml:WorkflowExecution ; prov:startedAtTime ?later , ?earlier .
    FILTER (?earlier < ?later)
  }
}
;

DELETE { GRAPH ?g { ?run prov:endedAtTime ?earlier } }
WHERE {
  GRAPH ?g {
    ?run a provml:WorkflowExecution ; prov:endedAtTime ?earlier , ?later .
    FILTER (?earlier < ?later)
  }
}
;

# The pairs as a filter of the runs' statuses (sameTerm: what a VALUES join matches): as a
# VALUES block, Oxigraph joined the pairs with every task's status (0.65 s at 200k events).
DELETE { GRAPH ?g { ?run provml:status ?better } }
WHERE {
  GRAPH ?g {
    ?run a provml:WorkflowExecution ; provml:status ?better , ?worse .
  }
  FILTER (
    sameTerm(?better, "completed") && (sameTerm(?worse, "killed") || sameTerm(?worse, "failed"))
    || sameTerm(?better, "killed") && sameTerm(?worse, "failed")
  )
}
