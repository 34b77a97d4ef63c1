"""`provml annotate`: state a key and value about an entity, run or task after the fact."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from provml.cli import options
from provml.errors import CaptureError, ProvmlError

TARGET = typer.Argument(
    ...,
    metavar="TARGET",
    help="entity:ID, path:FILE (the entity capture records for that file), run:RUN, "
    "task:RUN/TASK (task id), or an absolute IRI.",
)
PAIRS = typer.Argument(..., metavar="KEY=VALUE...", help="What to state; one annotation each.")
BY = typer.Option(None, "--by", metavar="NAME", help="Who states it (default: your login name).")
AT = typer.Option(
    None,
    "--at",
    metavar="ISO-8601",
    help="When it was stated, with its UTC offset (2024-06-03T09:30:00+00:00); default now.",
)
UNIT = typer.Option(None, "--unit", help="Unit of the values (UCUM code preferably: m, ms, %).")
COMMENT = typer.Option(None, "--comment", help="Free text kept with each annotation.")
TEXT = typer.Option(False, "--text", help="Keep every value as text (no numbers or booleans).")
SPOOL = typer.Option(
    None,
    "--spool",
    metavar="DIR",
    help="Spool directory to write to (default: $PROVML_SPOOL or ./provml-spool); "
    "`provml load DIR` loads it. Ignored with --store.",
)
TO_STORE = typer.Option(
    None,
    "--store",
    metavar="PATH|URL",
    help="Load the annotations into this store now instead of writing them to a spool.",
)


def annotate(
    target: str = TARGET,
    pairs: list[str] = PAIRS,
    by: str | None = BY,
    at: str | None = AT,
    unit: str | None = UNIT,
    comment: str | None = COMMENT,
    text: bool = TEXT,
    spool: Path | None = SPOOL,
    store: str | None = TO_STORE,
    wait: float = options.WAIT,
) -> None:
    """Annotate an entity, run or task after the fact; a later value supersedes an earlier one."""
    from provml.capture.annotations import annotate as write_annotation
    from provml.capture.annotations import annotation_event

    try:
        about = target_spec(target)
        values = [pair_value(pair, text) for pair in pairs]
        when = None if at is None else _time(at)
        fields: dict[str, Any] = {"by": by, "at": when, "unit": unit, "comment": comment}
        if store is None:
            for key, value in values:
                event = write_annotation(about, key, value, spool_dir=spool, **fields)
            where = str(_spool_root(spool) / event["run"])
        else:
            from provml.loaders.load import load_events

            events = [annotation_event(about, key, value, **fields) for key, value in values]
            with options.open_cli_store(store, wait=wait, must_exist=False) as opened:
                report = load_events(opened, events, source="provml annotate", strict=True)
                where = opened.location
            assert report.events == len(events)
    except ProvmlError as error:
        raise options.fail(error) from None
    named = ", ".join(f"{key} = {value!r}" for key, value in values)
    typer.echo(f"annotated {target}: {named} (into {where})")


def target_spec(target: str) -> dict[str, str]:
    """A TARGET argument as the annotation event's target; raises CaptureError naming it."""
    if target.startswith("<") and target.endswith(">"):
        return {"iri": target[1:-1]}
    kind, colon, rest = target.partition(":")
    if colon and rest:
        if kind == "entity":
            return {"entity": rest}
        if kind == "path":
            from provml.capture.entities import entity_id_for_path

            return {"entity": entity_id_for_path(rest)}
        if kind == "run":
            return {"run": rest}
        if kind == "task":
            run, slash, task = rest.partition("/")
            if slash and run and task:
                return {"run": run, "task": task}
        elif rest.startswith("//") or kind in ("urn", "tag"):
            return {"iri": target}
    raise CaptureError(
        f"target {target!r}: expected entity:ID, path:FILE, run:RUN, task:RUN/TASK or an IRI"
    )


def pair_value(pair: str, text: bool) -> tuple[str, str | int | float | bool]:
    """KEY=VALUE as (key, value): true/false, integers and decimals become numbers and
    booleans unless `text`; raises CaptureError naming the pair."""
    key, equals, raw = pair.partition("=")
    if not equals or not key:
        raise CaptureError(f"{pair!r}: expected KEY=VALUE")
    if text:
        return key, raw
    if raw in ("true", "false"):
        return key, raw == "true"
    for kind in (int, float):
        try:
            number = kind(raw)
        except ValueError:
            continue
        if number == number and number not in (float("inf"), float("-inf")):
            return key, number
    return key, raw


def _spool_root(spool: Path | None) -> Path:
    """The spool directory `annotate` writes under, as capture chooses it."""
    import os

    from provml.capture.workflow import DEFAULT_SPOOL_DIR, SPOOL_ENV

    return Path(spool or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL_DIR).resolve()


def _time(text: str) -> datetime:
    """--at as a timezone-aware datetime; raises CaptureError naming the text."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CaptureError(f"--at {text!r} is not an ISO 8601 time") from None
    if moment.utcoffset() is None:
        raise CaptureError(f"--at {text!r} has no UTC offset; add one (2024-06-03T09:30:00+00:00)")
    return moment
