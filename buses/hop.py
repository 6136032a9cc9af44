"""A hop: one crossing between two parts, which observers and faults can stand in.

A part that hands something to its neighbour (a channel giving a request
to the BMC core, an interrupt reaching its handler) calls ``hop.call(...)``
instead of the neighbour directly.  With nothing interposed ``call`` *is*
the neighbour's function, so the hop costs one attribute lookup.
``interpose(layer)`` wraps it: ``layer(next)`` returns the callable that
runs instead, and decides whether, when and with what to call ``next``.
Layers stack outermost-last, and ``remove`` takes one out again.
"""

from __future__ import annotations

from collections.abc import Callable


class Hop:
    __slots__ = ("name", "_dest", "_layers", "call")

    def __init__(self, dest: Callable, name: str = ""):
        self.name = name
        self._dest = dest
        self._layers: list[Callable[[Callable], Callable]] = []
        self.call = dest

    def interpose(self, layer: Callable[[Callable], Callable]) -> None:
        """Wrap the crossing in ``layer(next) -> callable``."""
        self._layers.append(layer)
        self._rebuild()

    def remove(self, layer: Callable[[Callable], Callable]) -> None:
        self._layers.remove(layer)
        self._rebuild()

    def retarget(self, dest: Callable) -> None:
        """Point the crossing at a new neighbour, keeping the layers."""
        self._dest = dest
        self._rebuild()

    def _rebuild(self) -> None:
        fn = self._dest
        for layer in self._layers:
            fn = layer(fn)
        self.call = fn

    @property
    def interposed(self) -> bool:
        return bool(self._layers)
