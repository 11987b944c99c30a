"""A file as a header and rows of cells: CSV, XLSX or a MikroTik export — streamed, never read
whole into memory.

What kind of file it is comes from its content (an .xlsx is a zip, an export has ``/ppp secret``
lines), not its name; a CSV's encoding (UTF-8 with or without BOM, UTF-16 as Excel's "Unicode
text" writes it, Windows-1252) and delimiter are worked out from its first 64 KB, and both can
be overridden. Anything else — an old .xls, a picture renamed .csv, an empty file — is refused
with a sentence saying what it is and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from ispclient.dataio import routeros_export
from ispclient.dataio.cells import Cell

SAMPLE_BYTES = 64 * 1024
MAX_ROWS = 200_000  # beyond this the file is refused (split it): the preview keeps a few bytes per row
MAX_COLUMNS = 500
MAX_CELL_CHARS = 100_000
# An .xlsx is a zip: a small file may unpack to gigabytes (a "zip bomb"), and openpyxl keeps the
# shared strings in memory.
MAX_XLSX_UNPACKED = 1_500_000_000
MAX_SHARED_STRINGS = 300_000_000
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}

csv.field_size_limit(MAX_CELL_CHARS)
_BAD_TEXT = re.compile("[\x00\udc80-\udcff]")


class SourceError(ValueError):
    """The file can't be read as rows; the message says why and what to do."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read the file; None means "work it out"."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None  # XLSX: a sheet name (default: the first)


@dataclass(frozen=True)
class SourceInfo:
    path: Path
    kind: str  # "csv", "xlsx" or "mikrotik"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        if self.kind == "xlsx":
            return f"Excel workbook, sheet “{self.sheet}”"
        if self.kind == "mikrotik":
            return f"MikroTik export (/ppp secret), {self.encoding}"
        return f"CSV, {DELIMITERS.get(self.delimiter, repr(self.delimiter))}-separated, {self.encoding}"


class Source(Protocol):
    info: SourceInfo
    header: list[str]

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """(row number as a spreadsheet shows it, cells) for every row after the header."""
        ...

    def done_fraction(self) -> float:
        """How far the last :meth:`rows` has read, 0…1 (for a progress bar)."""
        ...


# -- detection ------------------------------------------------------------------------------


def _sample(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise SourceError(f"There is no file at {path}.") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a folder, not a file.") from None
    except OSError as e:
        if path.is_dir():  # Windows opens a folder with "Permission denied", not IsADirectoryError
            raise SourceError(f"{path} is a folder, not a file.") from None
        raise SourceError(f"{path.name} can't be read: {e.strerror or e}.") from None


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
            return "utf-16-le"
        if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # cp1252 leaves five bytes undefined; Latin-1 reads every byte


def _looks_binary(sample: bytes, encoding: str) -> bool:
    if encoding.startswith("utf-16"):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return controls > max(8, len(sample) // 50)


def detect_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if lines and lines[0].lower().startswith("sep=") and len(lines[0]) == 5:
        return lines[0][4]
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    counts = {d: [line.count(d) for line in lines[:20]] for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (min(counts[d] or [0]), sum(counts[d])))
    return best if sum(counts[best]) else ","


def open_source(path: Path | str, options: ReadOptions = ReadOptions()) -> Source:  # noqa: B008 - frozen
    """The file as rows, or SourceError saying why it can't be read."""
    path = Path(path)
    sample = _sample(path)
    if not sample:
        raise SourceError(f"{path.name} is empty.")
    if sample.startswith(b"PK\x03\x04"):
        return XlsxSource(path, options)
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(f"{path.name} is an old Excel file (.xls). Open it in Excel or LibreOffice and save it "
                          "as .xlsx or CSV, then import that.")
    if sample.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")):
        raise SourceError(f"{path.name} is not a spreadsheet or a text file (it looks like a picture, a PDF or an "
                          "archive). Choose a CSV, XLSX or MikroTik export file.")
    encoding = options.encoding or detect_encoding(sample)
    if options.encoding is None and _looks_binary(sample, encoding):
        raise SourceError(f"{path.name} is not a text file (it holds binary data); it can't be read as CSV. "
                          "Choose a CSV, XLSX or MikroTik export file.")
    text = sample.decode(encoding, errors="replace")
    if path.suffix.lower() == ".rsc" or routeros_export.looks_like_export(text):
        return MikrotikSource(path, encoding)
    return CsvSource(path, encoding, options.delimiter or detect_delimiter(text.lstrip("\ufeff")))


# -- CSV ------------------------------------------------------------------------------------


class _Counting(io.RawIOBase):
    """The file, counting the bytes read (progress without asking the text layer to tell())."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.read_bytes += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def _header(cells: list[str]) -> list[str]:
    return [(c.strip().lstrip("\ufeff") or f"Column {i + 1}") for i, c in enumerate(cells)]


class CsvSource:
    def __init__(self, path: Path, encoding: str, delimiter: str) -> None:
        if encoding not in ENCODINGS:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise SourceError(f"“{encoding}” is not a text encoding this program knows.") from None
        self.path = path
        self.size = max(path.stat().st_size, 1)
        self._counter: _Counting | None = None
        self.info = SourceInfo(path, "csv", encoding=encoding, delimiter=delimiter)
        self.header: list[str] = []
        self._skip = 0
        for number, cells in self._records():
            if any(str(c).strip() for c in cells):
                self.header = _header([str(c) for c in cells])
                self._skip = number
                break
        if not self.header:
            raise SourceError(f"{path.name} has no rows (only empty lines).")
        if len(self.header) > MAX_COLUMNS:
            raise SourceError(f"{path.name} has {len(self.header):,} columns; at most {MAX_COLUMNS} can be imported. "
                              "Is it really a list of clients?")

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        counter = _Counting(open(self.path, "rb"))  # noqa: SIM115 - closed by the wrapper below
        self._counter = counter
        encoding = self.info.encoding
        # Undecodable bytes come through as lone surrogates (found per row below, so the message names
        # the right row: the decoder works a block of rows ahead of the reader).
        text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=encoding, newline="",
                                errors="surrogateescape")
        try:
            reader = csv.reader(text, delimiter=self.info.delimiter)
            number = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError as e:
                    raise SourceError(
                        f"Row {number + 1:,} of {self.path.name} is not {encoding} text "
                        f"(byte 0x{e.object[e.start]:02X}). Choose the file's encoding (often "
                        f"{'cp1252 — Windows' if encoding.startswith('utf-8') else 'UTF-8'}) and read it again."
                    ) from None
                except csv.Error as e:
                    text_error = str(e)
                    if "NUL" in text_error:
                        raise SourceError(f"Row {number + 1:,} of {self.path.name} holds NUL bytes: this is not a "
                                          "text file, or its encoding is wrong (try UTF-16).") from None
                    if "field larger" in text_error:
                        raise SourceError(f"Row {number + 1:,} of {self.path.name} has a cell of more than "
                                          f"{MAX_CELL_CHARS:,} characters (often an unclosed \" quote).") from None
                    raise SourceError(f"Row {number + 1:,} of {self.path.name} can't be read: {text_error}.") from None
                number += 1
                bad = _BAD_TEXT.search("".join(cells))
                if bad is not None:
                    if bad.group() == "\x00":
                        raise SourceError(f"Row {number:,} of {self.path.name} holds NUL bytes: this is not a text "
                                          "file, or its encoding is wrong (try UTF-16).")
                    byte = ord(bad.group()) - 0xDC00
                    other = "cp1252 — Windows" if encoding.startswith("utf-8") else "UTF-8"
                    raise SourceError(f"Row {number:,} of {self.path.name} is not {encoding} text (byte 0x{byte:02X}). "
                                      f"Choose the file's encoding (often {other}) and read it again.")
                line_text = self.info.delimiter.join(cells)
                if number == 1 and len(line_text) <= 6 and line_text.lower().startswith("sep="):
                    continue  # Excel's "sep=;" line
                yield number, cells
        finally:
            text.close()

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        for number, cells in self._records():
            if number <= self._skip:
                continue
            yield number, list(cells)

    def done_fraction(self) -> float:
        return min(1.0, self._counter.read_bytes / self.size) if self._counter else 0.0


# -- XLSX -----------------------------------------------------------------------------------


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            names = {i.filename: i for i in z.infolist()}
            if "xl/workbook.xml" not in names:
                raise SourceError(f"{path.name} is a zip file but not an Excel workbook (.xlsx).")
            unpacked = sum(i.file_size for i in names.values())
            strings = names.get("xl/sharedStrings.xml")
    except zipfile.BadZipFile:
        raise SourceError(f"{path.name} is damaged: it starts like an Excel workbook but can't be opened.") from None
    if unpacked > MAX_XLSX_UNPACKED or (strings is not None and strings.file_size > MAX_SHARED_STRINGS):
        raise SourceError(f"{path.name} unpacks to {unpacked / 1e9:.1f} GB, too much to import at once. Save it as "
                          "CSV (which is read a row at a time), or split it.")


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z0-9:$]+)\"")
_ROW_START = re.compile(rb"<(?:\w+:)?row[\s>]")
_HEAD = 1 << 16
_sizing = threading.Lock()


def _size_from_head(worksheet: Any) -> None:
    """openpyxl's read-only worksheet sizes itself when the workbook opens, from the sheet's
    ``<dimension>``; when there is none (our own exports, some other tools) it parses the whole
    sheet to find out — at 100,000 rows longer than reading the rows, and the import opens the
    workbook three times. This looks for the ``<dimension>`` in the first 64 KB only (where it
    is, before the rows) and otherwise leaves the sheet unsized, which openpyxl reads as well."""
    from openpyxl.utils.cell import range_boundaries

    source = worksheet._get_source()
    try:
        head = source.read(_HEAD)
    finally:
        source.close()
    found = _DIMENSION.search(head)
    if found:
        try:
            bounds = range_boundaries(found.group(1).decode("ascii"))
        except ValueError:
            return
        if all(b is not None for b in bounds):
            worksheet._min_column, worksheet._min_row, worksheet._max_column, worksheet._max_row = bounds


def _rows_hint(sheet: Any) -> int:
    """About how many rows the sheet has (for the progress bar): its ``<dimension>``, else the
    sheet's XML size over the size of its first rows."""
    if sheet.max_row:
        return max(int(sheet.max_row), 1)
    try:
        with sheet._get_source() as source:
            head = source.read(_HEAD)
        size = sheet.parent._archive.getinfo(sheet._worksheet_path).file_size
    except Exception:  # noqa: BLE001 - a workbook openpyxl reads otherwise: no estimate
        return 1
    rows = len(_ROW_START.findall(head))
    return max(1, rows * size // max(len(head), 1)) if rows else 1


class XlsxSource:
    def __init__(self, path: Path, options: ReadOptions) -> None:
        _check_zip(path)
        self.path = path
        self._row = 0
        self._total = 1
        try:
            workbook = self._open()
        except SourceError:
            raise
        except Exception as e:  # openpyxl raises many kinds for a damaged workbook
            raise SourceError(f"{path.name} can't be read as an Excel workbook ({type(e).__name__}: {e}).") from None
        try:
            sheets = tuple(workbook.sheetnames)
            sheet = options.sheet or (sheets[0] if sheets else "")
            if sheet not in sheets:
                raise SourceError(f"{path.name} has no sheet “{sheet}” (it has: {', '.join(sheets)}).")
        finally:
            workbook.close()
        self.info = SourceInfo(path, "xlsx", sheet=sheet, sheets=sheets)
        self.header = []
        self._skip = 0
        for number, cells in self._records():
            if any(c is not None and str(c).strip() for c in cells):
                from ispclient.dataio.cells import as_text

                self.header = _header([as_text(c) for c in cells])
                self._skip = number
                break
        if not self.header:
            raise SourceError(f"The sheet “{sheet}” of {path.name} is empty.")
        if len(self.header) > MAX_COLUMNS:
            raise SourceError(f"The sheet “{sheet}” has {len(self.header):,} columns; at most {MAX_COLUMNS}.")

    def _open(self) -> Any:
        import warnings

        import openpyxl
        from openpyxl.worksheet._read_only import ReadOnlyWorksheet

        # The sizing above for this opening only (under a lock: the class is openpyxl's).
        with _sizing, warnings.catch_warnings():  # "Workbook contains no default style": harmless
            warnings.simplefilter("ignore")
            usual = ReadOnlyWorksheet._get_size
            ReadOnlyWorksheet._get_size = _size_from_head
            try:
                return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            finally:
                ReadOnlyWorksheet._get_size = usual

    def _records(self) -> Iterator[tuple[int, list[Cell]]]:
        workbook = self._open()
        try:
            from ispclient.dataio import xlsx_rows

            sheet = workbook[self.info.sheet]
            self._total = _rows_hint(sheet)
            found = xlsx_rows.rows(sheet) if xlsx_rows.usable(sheet) else \
                enumerate(sheet.iter_rows(values_only=True), start=1)
            for number, values in found:
                self._row = number
                cells = list(values)
                while cells and cells[-1] is None:  # a styled but empty cell at the end
                    cells.pop()
                yield number, cells
        except SourceError:
            raise
        except Exception as e:  # noqa: BLE001 - a damaged sheet shows part-way through
            raise SourceError(f"Row {self._row + 1:,} of the sheet “{self.info.sheet}” can't be read "
                              f"({type(e).__name__}: {e}).") from None
        finally:
            workbook.close()

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        for number, cells in self._records():
            if number > self._skip:
                yield number, cells

    def done_fraction(self) -> float:
        return min(1.0, self._row / self._total)


# -- MikroTik export ------------------------------------------------------------------------


class MikrotikSource:
    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.info = SourceInfo(path, "mikrotik", encoding=encoding)
        self.header = list(routeros_export.COLUMNS)
        self._read = 0
        self.size = max(path.stat().st_size, 1)
        if next(iter(self.rows()), None) is None:
            raise SourceError(f"{path.name} has no /ppp secret entries. Export them on the router with "
                              "/ppp secret export file=secrets, then import secrets.rsc.")

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        encoding = self.info.encoding
        with open(self.path, encoding=encoding, errors="strict", newline="") as f:
            def lines() -> Iterator[str]:
                try:
                    for line in f:
                        self._read += len(line)
                        yield line
                except UnicodeDecodeError:
                    raise SourceError(f"{self.path.name} is not {encoding} text; choose its encoding.") from None

            for secret in routeros_export.secrets(lines(), "utf-8" if encoding.startswith("utf") else encoding):
                yield secret.line, [secret.values.get(c, "") for c in self.header]

    def done_fraction(self) -> float:
        return min(1.0, self._read / self.size)

