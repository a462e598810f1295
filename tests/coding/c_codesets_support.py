"""Fixture files for the code-set importer tests, written by hand.

Codes and descriptors here are synthetic stand-ins laid out like the real CMS
and AMA files; no CPT descriptor is copied.
"""

from __future__ import annotations

import datetime as dt

from coding.services.codesets import ImportRequest


def hcpcs_record(
    code: str,
    record: str,
    long_text: str,
    short: str = "",
    *,
    seq: int = 100,
    added: str = "",
    effective: str = "",
    terminated: str = "",
    action: str = "",
) -> str:
    """One 320-character record of the CMS HCPCS fixed-width file."""
    line = [" "] * 320

    def put(start: int, text: str) -> None:  # 1-based start, like the layout
        for i, ch in enumerate(text):
            line[start - 1 + i] = ch

    put(1, code.ljust(5))
    put(6, str(seq).zfill(5))
    put(11, record)
    put(12, long_text[:80])
    put(92, short[:28])
    put(269, added)
    put(277, effective)
    put(285, terminated)
    put(293, action)
    return "".join(line)


HCPCS_FIXED = (
    "\r\n".join(
        [
            hcpcs_record(
                "A0021",
                "3",
                "Ambulance service, outside state per mile, transport",
                "Outside state ambulance serv",
                added="19900101",
                effective="20000101",
            ),
            hcpcs_record("A0021", "4", "(Medicaid only)", seq=200),
            hcpcs_record(
                "G0008",
                "3",
                "Administration of influenza virus vaccine",
                "Admin influenza virus vac",
                added="19930101",
                effective="20230101",
            ),
            hcpcs_record(
                "J9999",
                "3",
                "Not otherwise classified, antineoplastic drugs",
                "Antineoplastic drug noc",
                added="19900101",
                effective="20250101",
                terminated="20241231",
                action="D",
            ),
            hcpcs_record(
                "   GA",
                "7",
                "Waiver of liability statement issued as required by payer policy",
                "Waiver of liability stmt",
                added="20020101",
            ),
            hcpcs_record(
                "   25",
                "7",
                "Significant, separately identifiable evaluation and management service",
                "Significant, separate e/m",
            ),
        ]
    )
    + "\r\n"
)

HCPCS_CSV = (
    "HCPC,SEQNUM,RECID,LONG DESCRIPTION,SHORT DESCRIPTION,ADD DT,ACT EFF DT,TERM DT,ACTION CD\n"
    'A0021,00100,3,"Ambulance service, outside state per mile, transport",Outside state ambulance serv,19900101,20000101,,N\n'
    "A0021,00200,4,(Medicaid only),,,,,\n"
    "G0008,00100,3,Administration of influenza virus vaccine,Admin influenza virus vac,19930101,20230101,,N\n"
    "GA,00100,7,Waiver of liability statement issued as required by payer policy,Waiver of liability stmt,20020101,,,\n"
)

# Synthetic descriptors: the layout of the AMA LONGULT file, not its text.
CPT_TAB = "99901\tSynthetic office visit descriptor one\n99902\tSynthetic office visit descriptor two\n0001U\tSynthetic laboratory analysis descriptor\n"

MODIFIERS_CSV = "code,descriptor\n25,Significant separately identifiable E/M service\n59,Distinct procedural service\nXS,Separate structure\n"

NCCI_PTP = (
    "CPT codes and descriptions only are copyright American Medical Association.\n"
    "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n"
    "\t\t\t\t\t\t\n"
    "99901\t36415\t\t20250101\t*\t1\tStandards of medical / surgical practice\n"
    "99901\t99902\t*\t19960101\t*\t0\tMutually exclusive procedures\n"
    "99902\t36415\t\t20240101\t20241231\t9\tMisuse of column two code with column one code\n"
)

MUE = (
    "Practitioner Services MUE Table - synthetic fixture\n"
    "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n"
    "36415,2,3 Date of Service Edit: Clinical,Nature of Service/Procedure\n"
    "99901,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction\n"
    "J9999,10,1 Line Edit,Clinical: Data\n"
)


def request(
    data: str | bytes, filename: str = "fixture.txt", version: str = "2026", **kw
) -> ImportRequest:
    return ImportRequest(
        data=data.encode() if isinstance(data, str) else data,
        filename=filename,
        version=version,
        effective_from=kw.pop("effective_from", dt.date(2026, 1, 1)),
        effective_to=kw.pop("effective_to", dt.date(2026, 12, 31)),
        **kw,
    )
