"""Small helpers shared by the engine's pydantic models (imports only the standard library).

Pydantic asks a ``default_factory`` for its signature when it builds a model class; for a builtin
such as ``list`` that means parsing the builtin's text signature with ``tokenize``, whose first use
compiles a large regular expression (about 8 ms of every command's start-up on the reference
machine). A Python function answers at once, so the models use these instead.
"""

from __future__ import annotations

from typing import Any


def empty_list() -> list[Any]:
    """A new empty list (``default_factory`` for list fields)."""
    return []


def empty_dict() -> dict[str, Any]:
    """A new empty dict (``default_factory`` for dict fields)."""
    return {}
