"""Python forms of Starlark values shared by the test harness and the real-Bazel answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Struct:
    """A Starlark ``struct`` in Python: fields are attributes (``vars(s)`` is the dict).

    Also indexable (``s["f"]``), iterable over field names, and equal to a dict with the
    same fields.  It has no public methods, so any field name works as an attribute.
    """

    __slots__ = ("__dict__", "_starlark_kind")

    def __init__(self, fields: Mapping[str, Any] | None = None, /, **kwargs: Any):
        self.__dict__.update(fields or {}, **kwargs)
        self._starlark_kind: str | None = None

    def __getitem__(self, name: str) -> Any:
        return self.__dict__[name]

    def __contains__(self, name: object) -> bool:
        return name in self.__dict__

    def __iter__(self):
        return iter(self.__dict__)

    def __len__(self) -> int:
        return len(self.__dict__)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Struct):
            return self.__dict__ == other.__dict__
        if isinstance(other, Mapping):
            return self.__dict__ == dict(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"Struct({inner})"
