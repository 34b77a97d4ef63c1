"""Metric digests gathered from the events as they convert, so finishing need not read every
measure back.

Each converted batch keeps, per run, metric name and split, the lowest and highest value and the
final measure (the last by epoch, then step, then value): `MetricDigests`. The loader writes them
with the batch, in the same transaction, as pending state in `iris.UNFINISHED_GRAPH`
(`pending_quads`), each of the three as a text key that sorts as the values do (`low_key`,
`final_key`), so that the lowest key of all the pending ones is the key of the lowest value, and
so on. Writing a batch again (a replay after a crash) adds nothing new: the state is a set, and
merging by minimum and maximum is idempotent. Finishing reads one aggregated row per summary
(`provml.loaders.summaries`), writes the summaries and removes the pending state in one update.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import Any

from provml.loaders import iris
from provml.loaders import ntriples as nt

#: (run id, metric name, split or None)
Metric = tuple[str, str, str | None]
#: A measure's order: (epoch, step, value), epoch and step None when missing.
Measure = tuple[int | None, int | None, float]

_STATE = f"<{iris.BASE}loader/"
DIGEST_OF = _STATE + "digestOf>"
METRIC = _STATE + "metric>"
SPLIT = _STATE + "split>"
_SIGN = 1 << 63
_MASK = (1 << 64) - 1
_FLIP = str.maketrans("0123456789", "9876543210")


class MetricDigests(dict[Metric, list[Any]]):
    """Per metric of a batch: [lowest value, highest value, final measure, last epoch or None]."""

    def add(self, metric: Metric, measure: Measure) -> None:
        """Merge one measure."""
        self.merge_state(metric, measure[2], measure[2], measure, measure[0])

    def merge_state(
        self, metric: Metric, lowest: float, highest: float, final: Measure, last_epoch: int | None
    ) -> None:
        """Merge one metric's state (from a measure or another batch's digests)."""
        state = self.get(metric)
        if state is None:
            self[metric] = [lowest, highest, final, last_epoch]
            return
        if lowest < state[0]:
            state[0] = lowest
        if highest > state[1]:
            state[1] = highest
        if order(final) > order(state[2]):
            state[2] = final
        if last_epoch is not None and (state[3] is None or last_epoch > state[3]):
            state[3] = last_epoch


def order(measure: Measure) -> tuple[int, int, float]:
    """Sort key of a measure: epoch, then step (missing ones first), then value."""
    epoch, step, value = measure
    return (-1 if epoch is None else epoch, -1 if step is None else step, value)


def pending_quads(digests: MetricDigests) -> Iterator[str]:
    """The N-Quads lines of a batch's digests, as pending state in `iris.UNFINISHED_GRAPH`."""
    tail = f" {iris.UNFINISHED_GRAPH} .\n"
    for (run, name, split), state in digests.items():
        graph = iris.run(run)
        summary = f"<{iris.metric_summary(iris.plain(graph), name, split)}> "
        yield f"{summary}{DIGEST_OF} {graph}{tail}"
        yield f"{summary}{METRIC} {nt.string(name)}{tail}"
        if split is not None:
            yield f"{summary}{SPLIT} {nt.string(split)}{tail}"
        for kind, key in state_keys(state).items():
            yield f"{summary}{_STATE}{kind}> {nt.string(key)}{tail}"


def state_keys(state: list[Any]) -> dict[str, str]:
    """One metric's state as its pending keys, by kind (`lowestKey`, `highestKey`, `finalKey`,
    `lastEpochKey` when it has epochs): what `pending_quads` writes and finishing merges, the
    lowest key the least, every other kind's the greatest."""
    lowest, highest, final, last_epoch = state
    keys = {
        "lowestKey": double_key(lowest),
        "highestKey": double_key(highest),
        "finalKey": final_key(final),
    }
    if last_epoch is not None:
        keys["lastEpochKey"] = int_key(last_epoch)
    return keys


def merge_keys(found: dict[str, str], keys: dict[str, str]) -> None:
    """Merge pending keys into `found` as finishing does: the least lowest key, the greatest of
    every other kind."""
    for kind, key in keys.items():
        held = found.get(kind)
        if held is None or (key < held if kind == "lowestKey" else key > held):
            found[kind] = key


def merge(batches: Iterable[MetricDigests]) -> MetricDigests:
    """The digests of several batches as one."""
    merged = MetricDigests()
    for digests in batches:
        for metric, state in digests.items():
            merged.merge_state(metric, *state)
    return merged


def double_key(value: float) -> str:
    """Text that sorts as the doubles do (16 hex digits of the IEEE bits, order-flipped)."""
    bits = struct.unpack(">Q", struct.pack(">d", value))[0]
    return f"{(bits ^ _MASK) if bits & _SIGN else (bits | _SIGN):016x}"


def double_of(key: str) -> float:
    """The double a `double_key` stands for."""
    bits = int(key[-16:], 16)
    bits = (bits & ~_SIGN) if bits & _SIGN else (bits ^ _MASK)
    return float(struct.unpack(">d", struct.pack(">Q", bits))[0])


def final_key(measure: Measure) -> str:
    """Text that sorts as `order` does: epoch, step (missing ones as -1), then the value's
    `double_key`."""
    epoch, step, value = order(measure)
    return int_key(epoch) + int_key(step) + double_key(value)


def final_of(key: str) -> Measure:
    """The (epoch, step, value) of `order` a `final_key` stands for."""
    epoch, rest = int_of(key)
    step, rest = int_of(rest)
    return epoch, step, double_of(rest)


def int_key(number: int | None) -> str:
    """Prefix-free text that sorts as the integers do, None first."""
    if number is None:
        return "0"
    digits = str(abs(number))
    if number >= 0:
        return f"2{len(digits):06d}{digits}"
    return f"1{999999 - len(digits):06d}{digits.translate(_FLIP)}"


def int_of(key: str) -> tuple[int | None, str]:
    """The integer an `_int_key` at the start of `key` stands for, and the rest of `key`."""
    if key[0] == "0":
        return None, key[1:]
    length = int(key[1:7])
    if key[0] == "1":
        length = 999999 - length
        return -int(key[7 : 7 + length].translate(_FLIP)), key[7 + length :]
    return int(key[7 : 7 + length]), key[7 + length :]
