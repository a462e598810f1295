"""The query templates seeded on a new database (migration 0003_queue).

Worded after the AHIMA/ACDIS "Guidelines for Achieving a Compliant Query
Practice": the question asks the provider to use their judgement on the
indicators the coder cites; multiple choice offers clinically reasonable
options plus "Other (please specify)" and "Clinically undetermined"; yes/no
only where allowed; nothing about payment, DRG or weight.
"""

from __future__ import annotations

TEMPLATES: list[dict] = [
    {
        "key": "anemia-type",
        "title": "Anemia: type and clinical significance",
        "kind": "multiple_choice",
        "question": (
            "Based on your clinical judgement and the indicators below, can the low hemoglobin "
            "be further specified? Please document your response in the record."
        ),
        "options": [
            "Acute blood loss anemia",
            "Anemia of chronic disease",
            "Iron deficiency anemia",
            "Expected finding, not clinically significant",
        ],
        "guidance": "Cite serial hemoglobin values, transfusions, blood loss, iron studies.",
    },
    {
        "key": "sodium-clinical-significance",
        "title": "Abnormal sodium: clinical significance",
        "kind": "multiple_choice",
        "question": (
            "The record shows the sodium values and treatment below. Please clarify the "
            "condition being evaluated, monitored or treated, if any."
        ),
        "options": [
            "Hyponatremia",
            "Syndrome of inappropriate antidiuretic hormone (SIADH)",
            "Expected finding, not clinically significant",
        ],
        "guidance": "Cite the sodium values with dates, fluid restriction, saline, monitoring.",
    },
    {
        "key": "respiratory-status",
        "title": "Respiratory status",
        "kind": "multiple_choice",
        "question": (
            "Based on the clinical indicators below, please clarify the patient's respiratory "
            "status during this admission."
        ),
        "options": [
            "Acute respiratory failure with hypoxia",
            "Acute respiratory failure with hypercapnia",
            "Hypoxemia without respiratory failure",
        ],
        "guidance": "Cite SpO2/ABG values, respiratory rate, oxygen or ventilation support.",
    },
    {
        "key": "sepsis-clarification",
        "title": "Infection: systemic response",
        "kind": "multiple_choice",
        "question": (
            "Please clarify, based on your clinical judgement, the condition represented by "
            "the findings below."
        ),
        "options": [
            "Sepsis",
            "Localized infection without sepsis",
            "Bacteremia",
        ],
        "guidance": "Cite vital signs, lactate, white count, cultures, source, antibiotics.",
    },
    {
        "key": "malnutrition-severity",
        "title": "Nutritional status",
        "kind": "multiple_choice",
        "question": (
            "The dietitian's assessment and findings below are in the record. Please document "
            "the patient's nutritional status."
        ),
        "options": [
            "Severe protein-calorie malnutrition",
            "Moderate protein-calorie malnutrition",
            "Mild protein-calorie malnutrition",
            "Not malnourished",
        ],
        "guidance": "Cite intake, weight loss over time, muscle and fat loss, grip strength.",
    },
    {
        "key": "open-clarify-findings",
        "title": "Clarify findings (open-ended)",
        "kind": "open_ended",
        "question": (
            "Please document the condition, if any, that the clinical indicators below "
            "represent, or state that they are not clinically significant."
        ),
        "options": [],
        "guidance": "Use when no short list of options fits the findings.",
    },
    {
        "key": "present-on-admission",
        "title": "Present on admission",
        "kind": "yes_no",
        "yes_no_situation": "poa",
        "question": (
            "Was the condition documented below present at the time of the order for "
            "inpatient admission?"
        ),
        "options": ["Yes", "No", "Clinically undetermined"],
        "guidance": "Cite where the condition is documented and the admission findings.",
    },
    {
        "key": "pathology-confirmation",
        "title": "Pathology finding",
        "kind": "yes_no",
        "yes_no_situation": "substantiate",
        "question": (
            "The pathology report below documents a finding not yet in your notes. Do you "
            "agree with it as a diagnosis for this encounter?"
        ),
        "options": ["Yes", "No", "Clinically undetermined"],
        "guidance": "Cite the pathology report (date, specimen) and its final diagnosis.",
    },
]


def seed(QueryTemplate) -> int:
    """Create the templates that are missing (by key); never overwrite an edited one."""
    made = 0
    for row in TEMPLATES:
        _, created = QueryTemplate.objects.get_or_create(
            key=row["key"],
            defaults={
                "title": row["title"],
                "kind": row["kind"],
                "question": row["question"],
                "options": row["options"],
                "yes_no_situation": row.get("yes_no_situation", ""),
                "guidance": row.get("guidance", ""),
            },
        )
        made += created
    return made
