"""A widget made a few milliseconds at a time, so making it never holds the GUI thread long."""

from __future__ import annotations

from collections.abc import Iterator

_MADE = object()  # what a finished build's next() returns


class MadeInSteps:
    """Mixed into a widget whose ``_steps`` generator makes one piece per ``next()`` (None once
    everything is made): :meth:`build_step` from an idle timer, :meth:`finish_building` when the
    widget is needed whole now."""

    _steps: Iterator[None] | None

    @property
    def built(self) -> bool:
        """Whether every piece is made."""
        return self._steps is None

    def build_step(self) -> bool:
        """Make the next piece; False once everything is made."""
        if self._steps is not None and next(self._steps, _MADE) is _MADE:
            self._steps = None
        return self._steps is not None

    def finish_building(self) -> None:
        while self.build_step():
            pass
