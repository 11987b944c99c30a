"""Values as RouterOS prints them: durations, dates, booleans."""

from __future__ import annotations

import re
from datetime import datetime

_DURATION_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_TRUE = {"true", "yes"}
_FALSE = {"false", "no"}


def format_duration(seconds: int) -> str:
    """RouterOS duration: ``1w2d3h4m5s``; zero is ``0s``."""
    seconds = max(0, int(seconds))
    parts = []
    for unit, size in _DURATION_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_duration(text: str) -> int:
    """``1w2d3h4m5s`` → seconds (what :func:`format_duration` wrote); unknown parts count 0."""
    sizes = dict(_DURATION_UNITS)
    return sum(int(n) * sizes[u] for n, u in re.findall(r"(\d+)([wdhms])", text or ""))


def version_tuple(version: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else (7, 16)


def format_datetime(moment: datetime, version: str) -> str:
    """RouterOS 7.10+ prints ``2024-05-06 10:11:12``; older versions ``may/06/2024 10:11:12``."""
    if version_tuple(version) >= (7, 10):
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    month = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    return f"{month[moment.month - 1]}/{moment:%d/%Y %H:%M:%S}"


def normalize_bool(value: str) -> str | None:
    """RouterOS accepts yes/no/true/false and prints true/false; None if neither."""
    lowered = value.lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    return None
