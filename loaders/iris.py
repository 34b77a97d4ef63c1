"""The IRI scheme of provml's instance data: deterministic, replay-safe.

Every instance IRI is minted here, under `https://w3id.org/provml/id/`. One rule for text: each
piece of text (run, task and entity ids, names, metric and parameter keys, host names) is one
path segment, percent-encoded by `segment`, so distinct texts never share an IRI. Ids the event
schema restricts to `[A-Za-z0-9._-]` come out of `segment` unchanged, so ids stay readable and
IRIs stored before the rule was shared stay valid. Event ids (validated tokens, unique per event)
skip the `segment` cache, which they would only churn.

Functions return the IRI in angle brackets, as N-Quads writes it (`plain` strips them); those
named `*_graph` and the other helpers for pyoxigraph terms return plain IRIs, as stores name
graphs.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import quote, unquote

import pyoxigraph

BASE = "https://w3id.org/provml/id/"
ONTOLOGY_GRAPH = "https://w3id.org/provml/ontology"
# Descriptions many runs share (workflows, entities, agents, nodes, software) are stored once
# here, not in every run's graph: the union default graph would repeat a triple per graph.
SHARED_GRAPH = f"<{BASE}shared>"
_SAFE = re.compile(r"[A-Za-z0-9._~-]+")


@functools.lru_cache(maxsize=65536)
def segment(text: str) -> str:
    """`text` as one IRI path segment: unreserved characters kept, everything else %-encoded."""
    if _SAFE.fullmatch(text):
        return text
    return quote(text, safe="")


def plain(iri: str) -> str:
    """The IRI without its angle brackets."""
    return iri[1:-1]


# The shared graph as a term, for code that writes quads into it.
SHARED_GRAPH_NODE = pyoxigraph.NamedNode(plain(SHARED_GRAPH))


#: Annotations made after the fact (`provml.annotate`): statements by people, kept apart from
#: what capture recorded, so a run's graph stays what its job wrote.
ANNOTATIONS_GRAPH = f"<{BASE}annotations>"

#: Derivations the finishing step inferred (`provml.loaders.finish`) where capture recorded none:
#: a derivation edge is inferred iff it is in this graph, as a plain IRI (graphs are named so).
INFERRED_GRAPH = f"{BASE}inferred"

#: The loader's own bookkeeping: each run a committed batch touched is marked here, in the
#: batch's transaction, until the finishing updates have run for it (`provml.loaders.finish`).
UNFINISHED_GRAPH = f"<{BASE}loader/unfinished>"
#: The class of those marks: `<run> a <UnfinishedRun>` in UNFINISHED_GRAPH.
UNFINISHED_RUN = f"<{BASE}loader/UnfinishedRun>"

#: Where the runs' IRIs (and their named graphs) start, as a plain IRI.
RUNS = f"{BASE}run/"
#: Where the named graphs of imported PROV documents start, as a plain IRI.
PROV_IMPORTS = f"{BASE}import/prov/"


def run(run_id: str) -> str:
    """A workflow execution; also the IRI of the run's named graph."""
    return f"<{RUNS}{segment(run_id)}>"


def run_graph(run_id: str) -> str:
    """The named graph of workflow run `run_id`, as a plain IRI."""
    return f"{RUNS}{segment(run_id)}"


def is_run_graph(graph: str) -> bool:
    """Whether the plain IRI `graph` names a run's graph (or a graph inside a run's IRI)."""
    return graph.startswith(RUNS)


def task(run_id: str, task_id: str) -> str:
    """A task execution of a run (task ids from free-text fields are encoded)."""
    return f"<{RUNS}{segment(run_id)}/task/{segment(task_id)}>"


def process(run_id: str, host: str, pid: int) -> str:
    """An operating-system process that took part in a run."""
    return f"<{RUNS}{segment(run_id)}/process/{segment(host)}/{pid}>"


def measure(run_id: str, event_id: str, key: str) -> str:
    """The evaluation measure of metric `key` in metrics event `event_id` of a run."""
    return f"<{RUNS}{segment(run_id)}/metric/{event_id}/{segment(key)}>"


def metric_summary(run_graph: str, metric: str, split: str | None) -> str:
    """The summary of one metric and split (None: no split) of the run with graph `run_graph`;
    both plain IRIs."""
    return f"{run_graph}/summary/{segment(metric)}/{segment(split or '-')}"


def entity(entity_id: str) -> str:
    """A data set, model or artifact (ids are global across runs)."""
    return f"<{BASE}entity/{segment(entity_id)}>"


def entity_version(entity_id: str, key: str) -> str:
    """One version (content state) of entity `entity_id`: key `key` is the id of the event that
    generated it, or `sha256-` and the start of its content hash (docs/loaders.md)."""
    return f"<{BASE}entity/{segment(entity_id)}/version/{segment(key)}>"


def annotation(event_id: str) -> str:
    """An annotation made after the fact, by the id of its event (unique across processes)."""
    return f"<{BASE}annotation/{event_id}>"


def attribute(owner: str, dotted_name: str) -> str:
    """A domain attribute of an entity, task or run (`owner` in angle brackets)."""
    return f"{owner[:-1]}/attribute/{segment(dotted_name)}>"


def param(owner: str, name: str) -> str:
    """A hyperparameter setting of a run or task (`owner` in angle brackets)."""
    return f"{owner[:-1]}/param/{segment(name)}>"


def named(kind: str, name: str) -> str:
    """A shared thing named by text: workflow, transformation, person, node, study..."""
    return f"<{BASE}{kind}/{segment(name)}>"


def software(name: str, version: str) -> str:
    """A program or library at one version (one IRI per version, so versions never clash)."""
    return f"<{BASE}software/{segment(name)}/{segment(version)}>"


def gpu(host: str, device: str) -> str:
    """A GPU of a compute node, by the identifier the job saw (CUDA_VISIBLE_DEVICES)."""
    return f"<{BASE}node/{segment(host)}/gpu/{segment(device)}>"


def job(scheduler: str | None, job_id: str) -> str:
    """An HPC job, by scheduler and job id."""
    return f"<{BASE}job/{segment(scheduler or 'job')}-{segment(job_id)}>"


def in_run(run_id: str, kind: str, event_id: str) -> str:
    """A node minted from one event of a run (a qualified usage or generation)."""
    return f"<{RUNS}{segment(run_id)}/{kind}/{event_id}>"


def prov_import_graph(digest: str) -> str:
    """The named graph of an imported PROV document whose sha256 hex digest is `digest`."""
    return f"{PROV_IMPORTS}{digest[:16]}"


def bundle_graph(graph: str, bundle: str) -> str:
    """The named graph of bundle IRI `bundle` of the document imported into graph `graph`."""
    return f"{graph}/bundle/{segment(bundle)}"


def bundle_of(graph: str, named: str) -> str | None:
    """The bundle IRI whose graph (under `graph`) is `named`; None if `named` is no such graph."""
    prefix = f"{graph}/bundle/"
    return unquote(named[len(prefix) :]) if named.startswith(prefix) else None


def skolem_base(digest: str) -> str:
    """The prefix of the skolem IRIs of the document whose sha256 hex digest is `digest`."""
    return f"{prov_import_graph(digest)}/genid/"


#: A skolem IRI of `skolem_base`: the digest's 16 hex digits and the blank node's label.
SKOLEM_IRI = re.compile(re.escape(PROV_IMPORTS) + r"([0-9a-f]{16})/genid/([A-Za-z0-9_]+)")
