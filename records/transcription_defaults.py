"""The transcription templates every installation starts with (a data migration loads them)."""

DEFAULT_TEMPLATES = [
    (
        "hp",
        "History and physical",
        "CHIEF COMPLAINT:\n\nHISTORY OF PRESENT ILLNESS:\n\nPAST MEDICAL HISTORY:\n\n"
        "MEDICATIONS:\n\nALLERGIES:\n\nSOCIAL HISTORY:\n\nFAMILY HISTORY:\n\n"
        "REVIEW OF SYSTEMS:\n\nPHYSICAL EXAMINATION:\n\nASSESSMENT:\n\nPLAN:\n",
    ),
    (
        "operative",
        "Operative report",
        "PREOPERATIVE DIAGNOSIS:\n\nPOSTOPERATIVE DIAGNOSIS:\n\nPROCEDURE:\n\nSURGEON:\n\n"
        "ASSISTANT:\n\nANESTHESIA:\n\nFINDINGS:\n\nDESCRIPTION OF PROCEDURE:\n\n"
        "ESTIMATED BLOOD LOSS:\n\nSPECIMENS:\n\nCOMPLICATIONS:\n\nCONDITION:\n",
    ),
    (
        "discharge",
        "Discharge summary",
        "ADMISSION DATE:\n\nDISCHARGE DATE:\n\nADMITTING DIAGNOSIS:\n\nDISCHARGE DIAGNOSES:\n\n"
        "PROCEDURES:\n\nHOSPITAL COURSE:\n\nCONDITION AT DISCHARGE:\n\n"
        "DISCHARGE MEDICATIONS:\n\nFOLLOW-UP:\n\nINSTRUCTIONS:\n",
    ),
    (
        "consult",
        "Consultation",
        "REQUESTING PHYSICIAN:\n\nREASON FOR CONSULTATION:\n\nHISTORY OF PRESENT ILLNESS:\n\n"
        "PAST MEDICAL HISTORY:\n\nMEDICATIONS:\n\nALLERGIES:\n\nPHYSICAL EXAMINATION:\n\n"
        "IMPRESSION:\n\nRECOMMENDATIONS:\n",
    ),
]


def load(apps, schema_editor) -> None:
    Template = apps.get_model("records", "TranscriptionTemplate")
    for doc_type, title, body in DEFAULT_TEMPLATES:
        Template.objects.get_or_create(doc_type=doc_type, title=title, defaults={"body": body})
