# Replaces the metric summaries of some runs in one transaction: the old summaries of the runs
# whose summaries are computed again from their measures (${summarized}), and the pending digest
# state of all of them (${graphs}) are removed, the new summaries (${summaries}) added. One
# update, so that a crash leaves either the pending state or the summaries it made.
PREFIX provml: <https://w3id.org/provml/ontology#>
PREFIX loader: <https://w3id.org/provml/id/loader/>

DELETE { GRAPH ?graph { ?summary ?property ?value } }
WHERE {
  VALUES ?graph { ${summarized} }
  GRAPH ?graph { ?summary a provml:MetricSummary ; ?property ?value }
}
;
DELETE { GRAPH <https://w3id.org/provml/id/loader/unfinished> { ?summary ?property ?value } }
WHERE {
  VALUES ?graph { ${graphs} }
  GRAPH <https://w3id.org/provml/id/loader/unfinished> {
    ?summary loader:digestOf ?graph ; ?property ?value
  }
}
;
INSERT DATA { ${summaries} }
