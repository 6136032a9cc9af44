"""Driver variants: a named, small difference in one driver's code path.

A race lives in one code path of one driver, and its fix changed that path.  A variant is a
subclass of the driver that overrides the one method standing for that path, registered under
a name with the commit it stands for::

    @variant(KcsSm, "fix-msg-stack-6.2", "ipmi: fix msg stack when IPMI is disconnected (6.2)")
    class FixMsgStack(KcsSm):
        def _hosed_reinit(self):
            self._init_state(KcsSmState.ERROR0)

``compose(base, names)`` is the class a world builds for ``base``: ``base`` itself when no
chosen variant is of it, else a class whose method order puts the chosen variants first (in
the order named), so the rest of the driver is the base's.  The base is the code ipmilab
mirrors (the fixed driver); a scenario defines its own variant the same way, and names it in
``World(variants=...)`` or the world file's ``variants``.  Why subclasses: a variant is then
plain, readable code at one method, costs nothing when not chosen, and cannot drift from the
driver it changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    base: type            # the driver class it changes
    cls: type             # the subclass with the overridden path
    commit: str           # the fix it undoes or applies: subject (kernel version), or what it stands for


REGISTRY: dict[str, Variant] = {}
_composed: dict[tuple, type] = {}


def variant(base: type, name: str, commit: str):
    """Register the decorated subclass of ``base`` as the variant ``name``."""
    def register(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(f"variant {name!r}: {cls!r} is not a subclass of {base.__name__}")
        old = REGISTRY.get(name)
        if old is not None and old.cls.__qualname__ != cls.__qualname__:
            raise ValueError(f"variant {name!r}: already registered for {old.base.__name__} ({old.cls.__qualname__})")
        REGISTRY[name] = Variant(name, base, cls, commit)
        _composed.clear()
        return cls
    return register


def check(names, where: str = "variants") -> tuple[str, ...]:
    """The names as a tuple; ValueError naming the first unknown one and the known ones."""
    names = tuple(names)
    for n in names:
        if n not in REGISTRY:
            known = ", ".join(sorted(REGISTRY)) or "none"
            raise ValueError(f"{where}: {n!r} is not a known variant (known: {known})")
    return names


def compose(base: type, names) -> type:
    """The class to build for ``base`` with the chosen variants of it (of ``base`` or a class it derives from)."""
    if not names:
        return base
    chosen = tuple(REGISTRY[n].cls for n in check(names) if issubclass(base, REGISTRY[n].base))
    if not chosen:
        return base
    key = (base, chosen)
    cls = _composed.get(key)
    if cls is None:
        if len(chosen) == 1 and chosen[0].__mro__[1] is base:
            cls = chosen[0]
        else:
            label = "+".join(REGISTRY[n].name for n in names if REGISTRY[n].cls in chosen)
            cls = type(f"{base.__name__}[{label}]", (*chosen, base), {"__module__": base.__module__})
        _composed[key] = cls
    return cls


def of(base: type) -> list[Variant]:
    """The registered variants that apply to ``base``."""
    return [v for v in REGISTRY.values() if issubclass(base, v.base)]
