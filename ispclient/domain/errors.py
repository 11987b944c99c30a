"""The one error type for bad input: a plain-words message per field."""

from __future__ import annotations

from collections.abc import Mapping


class ValidationError(ValueError):
    """Raised when input is refused; ``errors`` maps a field name to what is wrong with it.

    Field names are those of the form the user filled in (``name``, ``email``, ``start``…);
    ``"__all__"`` is for a problem that belongs to no single field.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(self.errors.values()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})


class Collector:
    """Gathers every field problem so the user sees them all at once, then raises."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def check(self, field: str, func: object, *args: object) -> object:
        try:
            return func(*args)  # type: ignore[operator]
        except ValidationError as e:
            for msg in e.errors.values():
                self.add(field, msg)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
