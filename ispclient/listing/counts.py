"""What the status bar says about the list (no numpy: imported before the first page shows)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListCounts:
    shown: int
    total: int
    online: int
    offline: int
    unknown: int
    expiring: int
    owing: int = 0
