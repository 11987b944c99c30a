"""Reading files: encodings, delimiters, XLSX, MikroTik exports — and hostile files, each
refused with a sentence saying what to do."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from ispclient.dataio import routeros_export, sources
from ispclient.dataio.sources import ReadOptions, SourceError, open_source

HEADER = ["Name", "Phone", "Town"]
ROWS = [["Amina Wanjiru", "+254712345678", "Nairobi"], ["Zoë Müller-Otieno", "0712 000 111", "Kisumu"]]


def _text(rows: list[list[str]], delimiter: str = ",") -> str:
    return "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"


def _read(path: Path, options: ReadOptions = ReadOptions()  # noqa: B008 - frozen
          ) -> tuple[sources.Source, list[list[object]]]:
    source = open_source(path, options)
    return source, [cells for _line, cells in source.rows()]


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("cp1252", b""),
                                               ("utf-16-le", codecs.BOM_UTF16_LE)])
def test_encodings_are_detected(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "clients.csv"
    delimiter = "\t" if encoding.startswith("utf-16") else ","  # Excel's "Unicode text" is tab-separated
    path.write_bytes(bom + _text([HEADER, *ROWS], delimiter).encode(encoding))
    source, rows = _read(path)
    assert source.header == HEADER
    assert rows == ROWS
    assert source.info.delimiter == delimiter


def test_utf16_without_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(_text([HEADER, *ROWS], ";").encode("utf-16-le"))
    source, rows = _read(path)
    assert source.info.encoding == "utf-16-le" and source.info.delimiter == ";"
    assert rows == ROWS


def test_excel_sep_line_and_override(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("sep=|\n" + _text([HEADER, *ROWS], "|"), encoding="utf-8", newline="")  # Excel's \r\n as is
    source, rows = _read(path)
    assert source.header == HEADER and rows == ROWS
    # The override wins over the detection.
    source, rows = _read(path, ReadOptions(delimiter=","))
    assert source.header == ["Name|Phone|Town"]


def test_wrong_encoding_override_says_which_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(_text([HEADER] + [["Ann", "1", "x"]] * 3000 + [["Zoë", "2", "y"]]).encode("cp1252"))
    with pytest.raises(SourceError, match=r"Row 3,002 of c.csv is not utf-8 text.*cp1252"):
        _read(path, ReadOptions(encoding="utf-8"))
    _source, rows = _read(path, ReadOptions(encoding="cp1252"))
    assert rows[-1][0] == "Zoë"


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"\r\n\r\n  \r\n", "no rows"),
    (b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "not a spreadsheet or a text file"),
    (b"\x00\x01\x02garbage\x00" * 300, "not a text file"),
    (bytes(range(256)) * 50, "not a text file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old Excel file"),
    (b"PK\x03\x04" + b"\x00" * 100, "damaged"),
])
def test_hostile_files_are_refused_plainly(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        open_source(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="There is no file"):
        open_source(tmp_path / "nope.csv")
    with pytest.raises(SourceError, match="is a folder"):
        open_source(tmp_path)


def test_header_only_one_column_and_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("Name,Phone\n", encoding="utf-8")
    source, rows = _read(path)
    assert source.header == ["Name", "Phone"] and rows == []
    path.write_text("Name\nAmina\nBaraka\n", encoding="utf-8")
    source, rows = _read(path)
    assert source.header == ["Name"] and rows == [["Amina"], ["Baraka"]]
    path.write_text("Name,Phone\nAmina\nBaraka,1,2,3\n", encoding="utf-8")
    _source, rows = _read(path)
    assert rows == [["Amina"], ["Baraka", "1", "2", "3"]]  # the preview says what is wrong with each


def test_an_unclosed_quote_is_a_message_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('Name,Phone\n"Amina,1\n' + "x" * (sources.MAX_CELL_CHARS + 10) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="more than 100,000 characters"):
        _read(path)


def test_nul_bytes_after_the_sample_are_a_message(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(_text([HEADER] + [["Ann", "1", "x"]] * 8000).encode() + b"Bad\x00,1,2\n")
    with pytest.raises(SourceError, match="NUL"):
        _read(path)


def test_xlsx_first_or_chosen_sheet_with_typed_cells(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    first.title = "Clients"
    first.append(["Name", "Phone", "Expires on", "Price"])
    first.append(["Amina", 254712345678, datetime(2026, 2, 1), 1500.5])
    first.append([None, None, None, None])
    other = book.create_sheet("Old")
    other.append(["Name"])
    other.append(["Baraka"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    source, rows = _read(path)
    assert source.info.sheets == ("Clients", "Old") and source.info.sheet == "Clients"
    assert source.header == ["Name", "Phone", "Expires on", "Price"]
    assert rows[0] == ["Amina", 254712345678, datetime(2026, 2, 1), 1500.5]
    _source, rows = _read(path, ReadOptions(sheet="Old"))
    assert rows == [["Baraka"]]
    with pytest.raises(SourceError, match="no sheet “Nope”"):
        open_source(path, ReadOptions(sheet="Nope"))


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(SourceError, match="not an Excel workbook"):
        open_source(path)


EXPORT = r"""# jan/02/2026 10:00:00 by RouterOS 7.12
# software id = ABCD-1234
/interface bridge
add name=bridge1
/ppp profile
add name=home-10m rate-limit=10M/10M
/ppp secret
add comment="C00012 Amina W" name=amina password=s3cret profile=home-10m \
    service=pppoe
add disabled=yes name=baraka password="with space\_and \"quotes\"" profile=\
    home-5m service=pppoe
add name=zoe password=pw comment="Zo\C3\AB M\C3\BCller" profile=home-10m
set [ find default=yes ] local-address=10.0.0.1
/ppp secret add name=oneliner password=x profile=default
/ip address
add address=10.0.0.1/24 interface=bridge1
"""


def test_mikrotik_export_secrets(tmp_path: Path) -> None:
    path = tmp_path / "secrets.rsc"
    path.write_text(EXPORT, encoding="utf-8")
    source, rows = _read(path)
    assert source.info.kind == "mikrotik"
    by_name = {dict(zip(source.header, r, strict=True))["name"]: dict(zip(source.header, r, strict=True))
               for r in rows}
    assert list(by_name) == ["amina", "baraka", "zoe", "oneliner"]
    assert by_name["amina"]["comment"] == "C00012 Amina W"
    assert by_name["amina"]["service"] == "pppoe"
    assert by_name["baraka"]["password"] == 'with space and "quotes"'
    assert by_name["baraka"]["profile"] == "home-5m" and by_name["baraka"]["disabled"] == "yes"
    assert by_name["zoe"]["comment"] == "Zoë Müller"
    lines = [line for line, _cells in source.rows()]
    assert lines[0] == 8  # the line its "add" starts on


def test_an_export_without_secrets_says_how_to_make_one(tmp_path: Path) -> None:
    path = tmp_path / "router.rsc"
    path.write_text("/ip address\nadd address=10.0.0.1/24 interface=ether1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="/ppp secret export"):
        open_source(path)


def test_logical_lines_join_continuations() -> None:
    joined = list(routeros_export.logical_lines(["add a=1 \\\n", "    b=2\n", "add c=3\n"]))
    assert joined == [(1, "add a=1 b=2"), (3, "add c=3")]


MILLION = r"""
import resource, sys, time
from pathlib import Path
from ispclient.dataio import prepare, sources
from ispclient.dataio.mapping import guess

def peak_kib():
    # This process's own high-water mark: ru_maxrss also counts what a forked parent had resident
    # before exec (a big pytest process made it 456 MB before a single row was read).
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

path = Path(sys.argv[1])
with open(path, "w", encoding="utf-8") as f:
    f.write("Name,Phone,Username\n")
    for i in range(1_000_000):
        f.write(f"Client number {i},+2547{10000000 + i % 9000000:08d},user{i}\n")
before = peak_kib()
source = sources.open_source(path)
known = prepare.Known("KE", "KES", "", {}, {}, {}, {}, {}, {}, {}, {})
started = time.perf_counter()
try:
    prepare.preview(source, guess(source.header), known=known)
    print("NOT REFUSED")
except sources.SourceError as e:
    print("REFUSED", e)
print("PEAK_RSS_MB", peak_kib() / 1024, "BEFORE_MB", before / 1024,
      "SECONDS", round(time.perf_counter() - started, 1))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="peak RSS from the resource module")
def test_a_million_rows_are_refused_while_streaming(tmp_path: Path) -> None:
    """Read a row at a time and refused past MAX_ROWS: never the whole file in memory. The peak
    RSS is printed for the issue's note (run with -s); the bound only proves it streamed."""
    done = subprocess.run([sys.executable, "-c", MILLION, str(tmp_path / "million.csv")], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "ISPCLIENT_LOCALE": "en_US"})
    assert done.returncode == 0, done.stderr
    print(done.stdout)
    assert f"more than {sources.MAX_ROWS:,} rows: split it" in done.stdout
    assert "Nothing was imported" in done.stdout
    peak = float(done.stdout.split("PEAK_RSS_MB ")[1].split()[0])
    assert peak < 400, f"peak RSS {peak:.0f} MB: the file was not streamed"


def test_xlsx_without_dimension_is_not_parsed_whole_to_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our own exports have no <dimension>; openpyxl then parses the whole sheet each time the
    workbook opens, to size it. The import opens it without that, and still reads every row and
    gives the progress bar a row count."""
    from openpyxl.worksheet import _reader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    from ispclient.dataio.writers import write_table

    path = tmp_path / "export.xlsx"
    write_table(path, "xlsx", ["Name", "Phone"], [[f"Client {i}", f"+2547{i:08d}"] for i in range(3000)])
    with zipfile.ZipFile(path) as z:
        assert b"<dimension" not in z.read("xl/worksheets/sheet1.xml")
    usual = ReadOnlyWorksheet._get_size
    parsed: list[int] = []
    real = _reader.WorkSheetParser.parse_dimensions
    monkeypatch.setattr(_reader.WorkSheetParser, "parse_dimensions",
                        lambda self: parsed.append(1) or real(self))  # type: ignore[func-returns-value]
    source = open_source(path)
    rows = list(source.rows())
    assert parsed == [] and ReadOnlyWorksheet._get_size is usual  # openpyxl's own sizing is back
    assert len(rows) == 3000 and rows[-1][1] == ["Client 2999", "+254700002999"]
    assert 2000 < source._total < 4500  # estimated from the sheet's size  # type: ignore[attr-defined]
    assert source.done_fraction() >= 0.66


def test_xlsx_dimension_is_read_from_the_head(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for i in range(40):
        book.active.append([f"Client {i}", i])
    book.active.insert_rows(1)
    book.active["A1"], book.active["B1"] = "Name", "Number"
    path = tmp_path / "dim.xlsx"
    book.save(path)
    source = open_source(path)
    assert len(list(source.rows())) == 40
    assert source._total == 41 and source.done_fraction() == 1.0  # type: ignore[attr-defined]
