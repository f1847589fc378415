"""A strict YAML reader for the engine's data files.

PyYAML silently keeps the last of two equal keys; for legal data that would hide a typo that
changes money, so duplicate keys are an error here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from benefits_rules.errors import RulesDataError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise RulesDataError(
                loader.name, str(key), f"duplicate key (line {key_node.start_mark.line + 1})"
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def load_yaml(path: Path) -> Any:
    """Read one YAML file strictly, naming the file in every error."""
    text = path.read_text(encoding="utf-8")
    return loads_yaml(text, str(path))


def loads_yaml(text: str, source: str) -> Any:
    """Parse YAML text strictly; `source` names it in errors."""
    loader = _StrictLoader(text)
    loader.name = source
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise RulesDataError(source, "-", f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
