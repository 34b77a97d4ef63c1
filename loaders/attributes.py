"""Flattening capture's domain attributes into named values: dotted names, ranges, units.

- Nested objects give dotted names: `{"bbox": {"west": 4.6}}` -> `bbox.west`.
- A `unit` string beside other keys applies to them (and their children) and is not a value
  itself; a `value` key beside it takes the parent's name: `{"dt": {"value": 4, "unit": "ms"}}`
  -> `dt` = 4 in ms; `{"depth": {"min": 0, "max": 1848, "unit": "ms"}}` -> `depth.min`,
  `depth.max` in ms.
- A list of two numbers is a range: `{"inline": [100, 750]}` -> `inline.min`, `inline.max`.
  Any other list is kept as one JSON text value.
- `null` values are left out (a domain attribute always has a value).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

Scalar = str | int | float | bool


def flatten(
    attributes: Mapping[str, Any], prefix: str = "", unit: str | None = None
) -> Iterator[tuple[str, Scalar, str | None]]:
    """Yield (dotted name, value, unit) for every value in `attributes`."""
    local_unit = attributes.get("unit")
    has_unit = isinstance(local_unit, str) and len(attributes) > 1
    if has_unit:
        unit = local_unit
    for key, value in attributes.items():
        if has_unit and key == "unit":
            continue
        name = f"{prefix}.{key}" if prefix else key
        if has_unit and key == "value" and prefix:
            name = prefix
        if value is None:
            continue
        if isinstance(value, Mapping):
            yield from flatten(value, name, unit)
        elif isinstance(value, list):
            if len(value) == 2 and all(_is_number(item) for item in value):
                yield f"{name}.min", min(value), unit
                yield f"{name}.max", max(value), unit
            else:
                yield name, json.dumps(value, ensure_ascii=False), unit
        else:
            yield name, value, unit


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
