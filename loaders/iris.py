"""The IRI scheme of provml's instance data: deterministic, replay-safe.

Everything is under `https://w3id.org/provml/id/`. Ids that the event schema restricts to
`[A-Za-z0-9._-]` (run, task, entity and event ids) are used as they are; any other text (names,
metric and parameter keys, host names) is percent-encoded as one path segment, so distinct texts
never share an IRI. Functions return the IRI in angle brackets, as N-Quads writes it; `plain`
strips them.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

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


def run(run_id: str) -> str:
    """A workflow execution; also the IRI of the run's named graph."""
    return f"<{BASE}run/{run_id}>"


def task(run_id: str, task_id: str) -> str:
    """A task execution of a run (task ids from free-text fields are encoded)."""
    return f"<{BASE}run/{run_id}/task/{segment(task_id)}>"


def process(run_id: str, host: str, pid: int) -> str:
    """An operating-system process that took part in a run."""
    return f"<{BASE}run/{run_id}/process/{segment(host)}/{pid}>"


def entity(entity_id: str) -> str:
    """A data set, model or artifact (ids are global across runs)."""
    return f"<{BASE}entity/{segment(entity_id)}>"


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
    return f"<{BASE}run/{run_id}/{kind}/{event_id}>"
