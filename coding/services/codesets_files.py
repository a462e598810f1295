"""Reading the code-set files a site owns into plain rows (no database here).

Each reader takes the file's bytes and yields rows, or raises ``FileFormatError``
naming the line and what is wrong with it, so nothing is half-loaded.

- CMS HCPCS Level II annual file: the fixed-width 320-character record
  (``HCPC20xx_..._ANWEB.txt``) or its spreadsheet twin (xlsx, or csv saved from
  it) with the same column names. Record layout (``HCPC20xx_recordlayout.txt``):
  code 1-5, sequence 6-10, record identification 11 (3 first line of a
  procedure, 4 its continuation, 7 first line of a modifier, 8 its
  continuation), long description 12-91, short description 92-119, code added
  date 269-276, action effective date 277-284, termination date 285-292,
  action code 293 (dates YYYYMMDD).
- AMA CPT data file: one code and its descriptor per line, tab-delimited
  (LONGULT/MEDU/SHORTU ``.txt``) or space after the code (older fixed files),
  or the CSV/xlsx data file with "CPT Code" and a descriptor column.
- Modifiers: "code,descriptor" CSV (a header line is allowed).
- NCCI procedure-to-procedure (PTP) quarterly files, practitioner or hospital:
  tab-delimited text (or csv) after a few lines of notice, columns column 1,
  column 2, in existence prior to 1996 ("*"), effective date, deletion date
  ("*" = none), modifier indicator (0, 1, 9), PTP edit rationale.
- NCCI MUE files (practitioner, hospital outpatient, DME supplier): csv/tab
  after a notice, columns HCPCS/CPT code, MUE value, MUE adjudication
  indicator, MUE rationale.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_ERRORS_SHOWN = 5


class FileFormatError(ValueError):
    """The file is not what it says it is; ``str()`` tells a person what to fix."""


@dataclass
class CodeRow:
    code: str
    title: str
    short: str = ""
    flags: dict = field(default_factory=dict)


@dataclass
class PairRow:
    column1: str
    column2: str
    effective_from: dt.date
    effective_to: dt.date | None
    modifier_indicator: str
    rationale: str


@dataclass
class MueRow:
    code: str
    units: int
    adjudication_indicator: str
    rationale: str


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise FileFormatError("This is a zip or xlsx file; pass the sheet itself.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("The file is neither UTF-8 nor Windows-1252 text.")


def _is_xlsx(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise FileFormatError(f"The spreadsheet could not be read ({exc}).") from exc
    sheet = book.worksheets[0]
    rows = [
        ["" if v is None else str(v).strip() for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    return rows


def _table(data: bytes) -> list[list[str]]:
    """Rows of a delimited text file (tab, comma or pipe, sniffed) or xlsx."""
    if _is_xlsx(data):
        return _xlsx_rows(data)
    text = _decode(data)
    sample = "\n".join(text.splitlines()[:50])
    delimiter = "\t" if "\t" in sample else ("|" if sample.count("|") > sample.count(",") else ",")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _errors(problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:MAX_ERRORS_SHOWN])
        more = (
            f" (and {len(problems) - MAX_ERRORS_SHOWN} more)"
            if len(problems) > MAX_ERRORS_SHOWN
            else ""
        )
        raise FileFormatError(f"{shown}{more}. Nothing was loaded.")


def _date(text: str, *, line: int, what: str, problems: list[str]) -> dt.date | None:
    text = text.strip()
    if not text or text in ("*", "0", "00000000"):
        return None
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    problems.append(f"line {line}: {what} {text!r} is not a date (YYYYMMDD)")
    return None


_HCPCS_CODE = re.compile(r"^[A-Z0-9]{5}$")
_MODIFIER_CODE = re.compile(r"^[A-Z0-9]{2}$")


# ------------------------------------------------------------------ HCPCS


@dataclass
class HcpcsFile:
    codes: list[CodeRow]
    modifiers: list[CodeRow]


def read_hcpcs(data: bytes) -> HcpcsFile:
    if _is_xlsx(data):
        return _hcpcs_table(_xlsx_rows(data))
    text = _decode(data)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if first.upper().startswith(("HCPC", '"HCPC')) and ("," in first or "\t" in first):
        return _hcpcs_table(_table(data))
    return _hcpcs_fixed(text)


def _hcpcs_fixed(text: str) -> HcpcsFile:
    codes: dict[str, CodeRow] = {}
    modifiers: dict[str, CodeRow] = {}
    problems: list[str] = []
    current: CodeRow | None = None
    started = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if not started:
            # Some releases (the contractor file) open with a few title lines.
            if (
                len(line) < 11
                or line[10] not in "37"
                or not (
                    _HCPCS_CODE.match(line[0:5].strip().upper())
                    or _MODIFIER_CODE.match(line[0:5].strip().upper())
                )
            ):
                continue
            started = True
        if len(line) < 11:
            problems.append(
                f"line {number}: too short for an HCPCS record ({len(line)} characters)"
            )
            continue
        code, record = line[0:5].strip().upper(), line[10]
        long_text = line[11:91].strip()
        if record in "37":
            target = codes if record == "3" else modifiers
            pattern = _HCPCS_CODE if record == "3" else _MODIFIER_CODE
            if not pattern.match(code):
                problems.append(
                    f"line {number}: {code!r} is not an HCPCS {'code' if record == '3' else 'modifier'}"
                )
                continue
            added = _date(line[268:276], line=number, what="added date", problems=problems)
            effective = _date(
                line[276:284], line=number, what="action effective date", problems=problems
            )
            terminated = _date(
                line[284:292], line=number, what="termination date", problems=problems
            )
            flags = {
                k: v.isoformat()
                for k, v in (("added", added), ("effective", effective), ("terminated", terminated))
                if v
            }
            action = line[292:293].strip()
            if action:
                flags["action"] = action
            current = CodeRow(code=code, title=long_text, short=line[91:119].strip(), flags=flags)
            target[code] = current
        elif record in "48":
            if current is None or current.code != code:
                problems.append(f"line {number}: continuation of {code!r} without its first line")
                continue
            current.title = f"{current.title} {long_text}".strip()
        else:
            problems.append(
                f"line {number}: record identification {record!r} is not 3, 4, 7 or 8 "
                "(is this the HCPCS fixed-width file?)"
            )
    _errors(problems)
    if not codes and not modifiers:
        raise FileFormatError("No HCPCS records were found in the file. Nothing was loaded.")
    return HcpcsFile(list(codes.values()), list(modifiers.values()))


def _column(header: list[str], *names: str) -> int | None:
    normalized = [re.sub(r"[^a-z0-9]", "", h.lower()) for h in header]
    for name in names:
        key = re.sub(r"[^a-z0-9]", "", name.lower())
        if key in normalized:
            return normalized.index(key)
    return None


def _hcpcs_table(rows: list[list[str]]) -> HcpcsFile:
    start = next((i for i, r in enumerate(rows) if r and r[0].strip().upper() == "HCPC"), None)
    if start is None:
        raise FileFormatError("No header row starting with HCPC was found. Nothing was loaded.")
    header = rows[start]
    col = {
        "code": _column(header, "HCPC"),
        "record": _column(header, "RECID"),
        "long": _column(header, "LONG DESCRIPTION"),
        "short": _column(header, "SHORT DESCRIPTION"),
        "added": _column(header, "ADD DT", "ADD_DT"),
        "effective": _column(header, "ACT EFF DT", "ACT_EFF_DT"),
        "terminated": _column(header, "TERM DT", "TERM_DT"),
        "action": _column(header, "ACTION CD", "ACTION_CD"),
    }
    if col["long"] is None:
        raise FileFormatError("The header has no LONG DESCRIPTION column. Nothing was loaded.")
    codes: dict[str, CodeRow] = {}
    modifiers: dict[str, CodeRow] = {}
    problems: list[str] = []
    current: CodeRow | None = None

    def cell(row: list[str], key: str) -> str:
        index = col[key]
        return row[index].strip() if index is not None and index < len(row) else ""

    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(c.strip() for c in row):
            continue
        code, record = cell(row, "code").upper(), cell(row, "record") or "3"
        if record in ("4", "8"):
            if current is None or current.code != code:
                problems.append(f"line {number}: continuation of {code!r} without its first line")
                continue
            current.title = f"{current.title} {cell(row, 'long')}".strip()
            continue
        is_modifier = record == "7" or len(code) == 2
        pattern = _MODIFIER_CODE if is_modifier else _HCPCS_CODE
        if not pattern.match(code):
            problems.append(
                f"line {number}: {code!r} is not an HCPCS {'modifier' if is_modifier else 'code'}"
            )
            continue
        flags = {}
        for key in ("added", "effective", "terminated"):
            value = _date(
                cell(row, key), line=number, what=key.replace("_", " ") + " date", problems=problems
            )
            if value:
                flags[key] = value.isoformat()
        if cell(row, "action"):
            flags["action"] = cell(row, "action")
        current = CodeRow(code=code, title=cell(row, "long"), short=cell(row, "short"), flags=flags)
        (modifiers if is_modifier else codes)[code] = current
    _errors(problems)
    if not codes and not modifiers:
        raise FileFormatError("No HCPCS rows were found under the header. Nothing was loaded.")
    return HcpcsFile(list(codes.values()), list(modifiers.values()))


# ------------------------------------------------------------------ CPT


_CPT_CODE = re.compile(r"^[0-9]{4}[0-9FTU]$")


def read_cpt(data: bytes) -> list[CodeRow]:
    """CPT codes and descriptors from a licensee's AMA data file."""
    if _is_xlsx(data):
        return _cpt_table(_xlsx_rows(data))
    text = _decode(data)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if re.search(r"cpt\s*code", first, re.IGNORECASE):
        return _cpt_table(_table(data))
    out: dict[str, CodeRow] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if "\t" in line:
            code, _sep, title = line.partition("\t")
        else:
            code, _sep, title = line.partition(" ")
        code, title = code.strip().upper(), title.strip().strip('"')
        if not _CPT_CODE.match(code):
            problems.append(f"line {number}: {code[:12]!r} is not a CPT code (five characters)")
            continue
        if not title:
            problems.append(f"line {number}: {code} has no descriptor")
            continue
        # MEDU/LONGULT repeat a code on continuation lines: keep them together.
        if code in out:
            out[code].title = f"{out[code].title} {title}"
        else:
            out[code] = CodeRow(code=code, title=title)
    _errors(problems)
    if not out:
        raise FileFormatError("No CPT codes were found in the file. Nothing was loaded.")
    return list(out.values())


def _cpt_table(rows: list[list[str]]) -> list[CodeRow]:
    start = next((i for i, r in enumerate(rows) if _column(r, "CPT Code") is not None), None)
    if start is None:
        raise FileFormatError("No header with a CPT Code column was found. Nothing was loaded.")
    header = rows[start]
    code_at = _column(header, "CPT Code")
    title_at = _column(header, "Long Descriptor", "LONG DESCRIPTION", "Descriptor", "Description")
    short_at = _column(header, "Short Descriptor", "SHORT DESCRIPTION")
    if title_at is None:
        raise FileFormatError("The header has no descriptor column. Nothing was loaded.")
    out: dict[str, CodeRow] = {}
    problems: list[str] = []
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(c.strip() for c in row):
            continue
        code = row[code_at].strip().upper() if code_at < len(row) else ""
        title = row[title_at].strip() if title_at < len(row) else ""
        if not _CPT_CODE.match(code):
            problems.append(f"line {number}: {code[:12]!r} is not a CPT code")
            continue
        if not title:
            problems.append(f"line {number}: {code} has no descriptor")
            continue
        short = row[short_at].strip() if short_at is not None and short_at < len(row) else ""
        out[code] = CodeRow(code=code, title=title, short=short)
    _errors(problems)
    if not out:
        raise FileFormatError("No CPT codes were found under the header. Nothing was loaded.")
    return list(out.values())


# ------------------------------------------------------------------ modifiers


def read_modifiers(data: bytes) -> list[CodeRow]:
    rows = _table(data)
    out: dict[str, CodeRow] = {}
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        if not any(c.strip() for c in row):
            continue
        code = row[0].strip().upper()
        title = " ".join(c for c in row[1:] if c).strip()
        if number == 1 and not _MODIFIER_CODE.match(code):
            continue  # a header line
        if not _MODIFIER_CODE.match(code):
            problems.append(f"line {number}: {code[:12]!r} is not a modifier (two characters)")
            continue
        if not title:
            problems.append(f"line {number}: modifier {code} has no descriptor")
            continue
        out[code] = CodeRow(code=code, title=title)
    _errors(problems)
    if not out:
        raise FileFormatError("No modifiers were found in the file. Nothing was loaded.")
    return list(out.values())


# ------------------------------------------------------------------ NCCI


def _data_rows(rows: list[list[str]], looks_like_data) -> Iterator[tuple[int, list[str]]]:
    """Skip the notice and header lines before the first data row; after it,
    every non-blank line is data (and a bad one is an error)."""
    started = False
    for number, row in enumerate(rows, start=1):
        if not any(c.strip() for c in row):
            continue
        if not started:
            if not looks_like_data(row):
                continue
            started = True
        yield number, row


def read_ncci_ptp(data: bytes) -> list[PairRow]:
    rows = _table(data)
    out: list[PairRow] = []
    problems: list[str] = []

    def looks_like_data(row: list[str]) -> bool:
        return (
            len(row) >= 6
            and bool(_HCPCS_CODE.match(row[0].upper()))
            and bool(_HCPCS_CODE.match(row[1].upper()))
        )

    for number, row in _data_rows(rows, looks_like_data):
        if len(row) < 6:
            problems.append(f"line {number}: expected 7 columns, found {len(row)}")
            continue
        col1, col2 = row[0].upper(), row[1].upper()
        if not (_HCPCS_CODE.match(col1) and _HCPCS_CODE.match(col2)):
            problems.append(f"line {number}: {col1!r}/{col2!r} are not two HCPCS/CPT codes")
            continue
        start = _date(row[3], line=number, what="effective date", problems=problems)
        end = _date(row[4], line=number, what="deletion date", problems=problems)
        indicator = row[5].strip()
        if indicator not in ("0", "1", "9"):
            problems.append(f"line {number}: modifier indicator {indicator!r} is not 0, 1 or 9")
            continue
        if start is None:
            if not any(p.startswith(f"line {number}:") for p in problems):
                problems.append(f"line {number}: the effective date is missing")
            continue
        out.append(
            PairRow(col1, col2, start, end, indicator, (row[6] if len(row) > 6 else "")[:200])
        )
    _errors(problems)
    if not out:
        raise FileFormatError(
            "No procedure-to-procedure rows (column 1, column 2, ..., modifier indicator) were found. "
            "Nothing was loaded."
        )
    return out


def read_mue(data: bytes) -> list[MueRow]:
    rows = _table(data)
    out: dict[str, MueRow] = {}
    problems: list[str] = []

    def looks_like_data(row: list[str]) -> bool:
        return (
            len(row) >= 2 and bool(_HCPCS_CODE.match(row[0].upper())) and row[1].strip().isdigit()
        )

    for number, row in _data_rows(rows, looks_like_data):
        code = row[0].strip().upper()
        if not _HCPCS_CODE.match(code):
            problems.append(f"line {number}: {code[:12]!r} is not an HCPCS/CPT code")
            continue
        if len(row) < 2 or not row[1].strip().isdigit():
            problems.append(f"line {number}: the MUE value for {code} is not a whole number")
            continue
        out[code] = MueRow(
            code=code,
            units=int(row[1].strip()),
            adjudication_indicator=(row[2] if len(row) > 2 else "")[:120],
            rationale=(row[3] if len(row) > 3 else "")[:200],
        )
    _errors(problems)
    if not out:
        raise FileFormatError(
            "No MUE rows (code, units, adjudication indicator, rationale) were found. Nothing was loaded."
        )
    return list(out.values())
