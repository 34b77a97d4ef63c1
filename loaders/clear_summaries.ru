# Removes what `summaries.py` rewrites for some runs before it writes it again: durations (a
# merged run's end moves). Metric summaries are replaced by `replace_summaries.ru`.
# ${graphs} are the runs' graph IRIs, validated before they are put in.
PREFIX provml: <https://w3id.org/provml/ontology#>

DELETE { GRAPH ?graph { ?activity provml:durationSeconds ?seconds } }
WHERE {
  VALUES ?graph { ${graphs} }
  GRAPH ?graph { ?activity provml:durationSeconds ?seconds }
}
