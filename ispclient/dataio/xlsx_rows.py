"""A sheet's cell values, streamed with expat — what openpyxl's ``iter_rows(values_only=True)``
gives, several times quicker.

openpyxl opens the workbook (sheet list, shared strings, which styles are dates, the date
epoch); only the sheet's ``<row>``/``<c>`` elements are read here, with a C parser calling a few
small Python functions per cell instead of building an element and a dictionary for each. The
values are made the way openpyxl makes them (``_cast_number``, ``from_excel``,
``from_ISO8601``), and tests compare both readers on the same workbooks. A workbook this reader
doesn't understand falls back to openpyxl's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat

_COLUMN = re.compile(r"([A-Z]+)(\d+)")
BLOCK = 1 << 16


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def usable(worksheet: Any) -> bool:
    """Whether this reader can read the openpyxl read-only worksheet (else use openpyxl's)."""
    parent = getattr(worksheet, "parent", None)
    return all(hasattr(o, a) for o, a in ((worksheet, "_get_source"), (worksheet, "_shared_strings"),
                                          (parent, "_date_formats"), (parent, "epoch")))


def rows(worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) for every row element of the sheet, trailing empty cells dropped."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    shared = worksheet._shared_strings
    date_styles = worksheet.parent._date_formats
    timedelta_styles: set[int] = getattr(worksheet.parent, "_timedelta_formats", set())
    epoch = worksheet.parent.epoch
    done: list[tuple[int, list[Any]]] = []
    state: dict[str, Any] = {"row": 0, "values": None, "col": 0, "type": "n", "style": 0, "text": None,
                             "in": ""}
    buffer: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]  # "c", or "x:c" where the main namespace has a prefix
        if local == "c":
            ref = attrs.get("r")
            if ref:
                m = _COLUMN.match(ref)
                state["col"] = _column_index(m.group(1)) if m else state["col"] + 1
            else:
                state["col"] += 1
            state["type"] = attrs.get("t", "n")
            style = attrs.get("s")
            state["style"] = int(style) if style else 0
            state["text"] = None
        elif local == "v" or (local == "t" and state["type"] == "inlineStr"):
            state["in"] = local
            buffer.clear()
        elif local == "row":
            r = attrs.get("r")
            state["row"] = int(r) if r else state["row"] + 1
            state["values"] = []
            state["col"] = 0

    def chars(data: str) -> None:
        if state["in"]:
            buffer.append(data)

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "v":
            state["text"] = "".join(buffer)
            state["in"] = ""
        elif local == "t" and state["in"] == "t":
            state["text"] = (state["text"] or "") + "".join(buffer)
            state["in"] = ""
        elif local == "c":
            text, kind = state["text"], state["type"]
            value: Any = None
            if text is not None and text != "":
                if kind == "n":
                    value = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
                    if state["style"] in date_styles:
                        try:
                            value = from_excel(value, epoch, timedelta=state["style"] in timedelta_styles)
                        except (OverflowError, ValueError):
                            value = "#VALUE!"
                elif kind == "s":
                    value = shared[int(text)]
                elif kind == "b":
                    value = bool(int(text))
                elif kind == "d":
                    value = from_ISO8601(text)
                else:  # str (a formula's text), inlineStr, e (an error like #DIV/0!)
                    value = text
            values = state["values"]
            if values is not None and value is not None:
                col = state["col"]
                if len(values) < col:
                    values.extend([None] * (col - len(values)))
                values[col - 1] = value
        elif local == "row":
            done.append((state["row"], state["values"] or []))
            state["values"] = None

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    with worksheet._get_source() as source:
        while True:
            block = source.read(BLOCK)
            parser.Parse(block, not block)
            yield from done
            done.clear()
            if not block:
                break
