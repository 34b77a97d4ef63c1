"""Loaders: capture events and foreign provenance (PROV, MLflow) into PROV-ML triples."""
