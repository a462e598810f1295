"""The words synthetic records are made of: names, places, clinical phrases and
document templates, all invented or generic. Never real patients' data."""

from __future__ import annotations

from records.models import Document, Encounter, Patient, Sensitivity


def _words(text: str) -> list[str]:
    return text.split()


# Names: common given and family names from many traditions, combined at random.
GIVEN_FEMALE = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa "
    "Maria Sofia Lucia Valentina Camila Isabella Ana Gabriela Fernanda Daniela Ximena "
    "Aisha Fatima Zainab Maryam Leila Yasmin Amina Noor Priya Ananya Kavya Deepa Lakshmi "
    "Sunita Mei Ling Hui Yan Xiu Min Yuki Haruka Sakura Aiko Ji-woo Seo-yeon Min-ji "
    "Ngozi Chiamaka Adaeze Amara Folake Abena Akosua Wanjiru Zawadi Olga Anna Katarzyna "
    "Ewa Irina Natalia Svetlana Ingrid Astrid Freya Siobhan Aoife Niamh Chloe Emma Olivia "
    "Ava Mia Harper Evelyn Abigail Emily Ella Grace Zoe Nora Hannah Leah Rachel Rebecca "
    "Thi Lan Linh Mai Hoa Malia Leilani Kiona Aiyana Rosa Carmen Dolores Guadalupe"
)
GIVEN_MALE = _words(
    "James Robert John Michael David William Richard Joseph Thomas Charles Daniel Matthew "
    "Jose Luis Carlos Juan Miguel Jorge Alejandro Diego Mateo Santiago Javier Rafael "
    "Mohammed Ahmed Omar Ali Hassan Yusuf Ibrahim Khalid Tariq Rahul Arjun Vikram Sanjay "
    "Ravi Anil Wei Jun Hao Lei Jian Ming Hiroshi Takeshi Kenji Haruto Min-jun Ji-ho Seo-jun "
    "Chinedu Emeka Oluwaseun Kwame Kofi Tendai Jabari Baraka Ivan Dmitri Sergei Piotr "
    "Tomasz Lars Erik Henrik Sean Liam Conor Declan Noah Ethan Lucas Mason Logan Elijah "
    "Oliver Benjamin Samuel Henry Jack Leo Isaac Aaron Nathan Minh Duc Tuan Kai Keanu "
    "Koa Dakota Takoda Andre Marcus Jamal Malik Darnell Tyrone"
)
FAMILY = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King "
    "Wright Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips "
    "Campbell Parker Evans Edwards Collins Stewart Morris Rogers Reed Cook Morgan Bell "
    "Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores "
    "Rivera Gomez Diaz Cruz Morales Ortiz Gutierrez Chavez Ramos Castillo Vasquez Mendoza "
    "Nguyen Tran Le Pham Hoang Huynh Vu Dang Bui Do Kim Park Choi Jung Kang Cho Yoon "
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Lin Tanaka Suzuki "
    "Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Sato Patel Shah Singh Kumar Sharma "
    "Gupta Reddy Rao Iyer Nair Das Mukherjee Khan Ahmed Hussain Rahman Malik Qureshi "
    "Siddiqui Haddad Khoury Nasser Mansour Saleh Okafor Okonkwo Adeyemi Mensah Owusu "
    "Boateng Mwangi Otieno Kamau Diallo Traore Nowak Kowalski Wisniewski Ivanov Petrov "
    "Novak Horvat Muller Schmidt Schneider Fischer Weber Becker Hoffmann Rossi Russo "
    "Ferrari Esposito Bianchi Romano Silva Santos Oliveira Souza Pereira Costa Ferreira "
    "Almeida O'Brien O'Connor Murphy Kelly Sullivan Walsh Byrne Ryan Larsen Hansen "
    "Johansson Lindqvist Nielsen Jensen Cohen Levi Friedman Katz Kahale Kealoha Begay "
    "Yazzie Tsosie Benally"
)
MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTW"
STREET_NAMES = _words(
    "Maple Oak Cedar Pine Elm Willow Birch Aspen Juniper Magnolia Sycamore Hawthorn "
    "Lakeview Hillcrest Riverside Meadow Orchard Prairie Summit Valley Harbor Bayview "
    "Sunset Ridge Brookside Foxglove Larkspur Heron Kestrel Falcon Granite Quarry Mill"
)
STREET_KINDS = ["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Blvd", "Pl", "Ter"]
CITIES = [
    ("Fairhaven Falls", "OR"),
    ("Millbrook Junction", "OH"),
    ("Cedar Hollow", "TN"),
    ("Port Ellery", "ME"),
    ("Silverlake Springs", "CO"),
    ("Ashford Mills", "PA"),
    ("Redstone Crossing", "TX"),
    ("Willowmere", "MN"),
    ("Bramblewood", "GA"),
    ("Northpoint Harbor", "WA"),
    ("Cobalt Ridge", "AZ"),
    ("Lindenvale", "WI"),
    ("Marisol Bay", "CA"),
    ("Oakhurst Landing", "NC"),
    ("Pinecrest Meadows", "MI"),
    ("Sable Creek", "NM"),
]
FACILITY_NAMES = [
    "Synthetic Riverbend Medical Center",
    "Synthetic Lakeshore Community Hospital",
    "Synthetic Highland Regional Hospital",
    "Synthetic Valleyview Clinic",
    "Synthetic Harborlight Children's Hospital",
    "Synthetic Prairie Rose Health",
    "Synthetic Summit Ridge Hospital",
    "Synthetic Coastal Plains Medical Center",
]
PAYERS = [
    ("PAYER-BLUEHARBOR", "Blue Harbor Health Plan (synthetic)", "BH"),
    ("PAYER-SUMMITCARE", "SummitCare Insurance (synthetic)", "SC"),
    ("PAYER-MERIDIAN", "Meridian Mutual Health (synthetic)", "MM"),
    ("PAYER-STATEAID", "State Medical Assistance (synthetic)", "SA"),
]
SPECIALTIES = [
    ("Internal Medicine", "MD"),
    ("Family Medicine", "DO"),
    ("General Surgery", "MD"),
    ("Orthopedic Surgery", "MD"),
    ("Cardiology", "MD"),
    ("Emergency Medicine", "MD"),
    ("Obstetrics and Gynecology", "MD"),
    ("Pediatrics", "MD"),
    ("Psychiatry", "MD"),
    ("Radiology", "MD"),
    ("Pathology", "MD"),
    ("Hospital Medicine", "NP"),
    ("Neurology", "DO"),
    ("Pulmonology", "MD"),
]
SERVICE_LINES = {
    Encounter.Class.INPATIENT: ["Medicine", "Surgery", "Cardiology", "Orthopedics", "Obstetrics"],
    Encounter.Class.OUTPATIENT: ["Primary Care", "Imaging", "Laboratory", "Cardiology", "Surgery"],
    Encounter.Class.EMERGENCY: ["Emergency"],
    Encounter.Class.OBSERVATION: ["Medicine", "Cardiology"],
}
COMPLAINTS = [
    "chest pain",
    "shortness of breath",
    "abdominal pain",
    "a fall at home",
    "fever and cough",
    "lower back pain",
    "headache",
    "dizziness",
    "right knee pain",
    "swelling of both legs",
    "nausea and vomiting",
    "a laceration of the left hand",
]
DIAGNOSES = [
    "community-acquired pneumonia",
    "congestive heart failure exacerbation",
    "acute appendicitis",
    "cellulitis of the lower leg",
    "type 2 diabetes mellitus with hyperglycemia",
    "chronic obstructive pulmonary disease exacerbation",
    "urinary tract infection",
    "atrial fibrillation with rapid ventricular response",
    "osteoarthritis of the knee",
    "gastroenteritis",
    "closed fracture of the distal radius",
    "essential hypertension",
]
PROCEDURES = [
    "laparoscopic appendectomy",
    "laparoscopic cholecystectomy",
    "total knee arthroplasty",
    "open reduction and internal fixation of the distal radius",
    "cesarean delivery",
    "coronary angiography",
    "incision and drainage of abscess",
]
# (doc type, title, paragraphs with {age}, {sex}, {complaint}, {dx}, {proc}, {doctor}).
TEMPLATES: dict[str, tuple[str, list[str]]] = {
    Document.Type.HISTORY_PHYSICAL: (
        "History and physical",
        [
            "CHIEF COMPLAINT: {complaint}. HISTORY: {age}-year-old {sex} presenting with "
            "{complaint} for two days.",
            "EXAM: Alert and oriented. Vital signs stable. Heart regular, lungs clear.",
            "ASSESSMENT AND PLAN: Probable {dx}. Admit for treatment and monitoring. "
            "Attending: {doctor}.",
        ],
    ),
    Document.Type.PROGRESS_NOTE: (
        "Progress note",
        [
            "SUBJECTIVE: Patient reports {complaint} is improving.",
            "OBJECTIVE: Afebrile, tolerating diet. Labs reviewed.",
            "ASSESSMENT: {dx}, improving. PLAN: Continue current treatment. {doctor}.",
        ],
    ),
    Document.Type.CONSULT: (
        "Consultation",
        [
            "REASON FOR CONSULTATION: {complaint} in a {age}-year-old {sex}.",
            "IMPRESSION: Findings consistent with {dx}.",
            "RECOMMENDATIONS: Outpatient follow-up in two weeks. Thank you, {doctor}.",
        ],
    ),
    Document.Type.OPERATIVE_REPORT: (
        "Operative report",
        [
            "PREOPERATIVE DIAGNOSIS: {dx}. PROCEDURE: {proc}. SURGEON: {doctor}.",
            "ANESTHESIA: General. ESTIMATED BLOOD LOSS: Minimal. COMPLICATIONS: None.",
            "The patient tolerated the procedure well and went to recovery in stable condition.",
        ],
    ),
    Document.Type.DISCHARGE_SUMMARY: (
        "Discharge summary",
        [
            "ADMISSION DIAGNOSIS: {complaint}. DISCHARGE DIAGNOSIS: {dx}.",
            "HOSPITAL COURSE: {age}-year-old {sex} treated for {dx}; improved steadily.",
            "DISPOSITION: Stable. FOLLOW-UP: Primary care in one week. {doctor}.",
        ],
    ),
    Document.Type.PATHOLOGY: (
        "Surgical pathology report",
        [
            "SPECIMEN: Tissue from {proc}.",
            "DIAGNOSIS: Benign tissue with changes consistent with {dx}. {doctor}.",
        ],
    ),
    Document.Type.LAB: (
        "Laboratory results",
        ["CBC and basic metabolic panel within reference ranges except as flagged. {doctor}."],
    ),
    Document.Type.IMAGING: (
        "Imaging report",
        [
            "EXAM: Chest radiograph, two views. INDICATION: {complaint}.",
            "IMPRESSION: No acute cardiopulmonary process. {doctor}.",
        ],
    ),
    Document.Type.CONSENT: (
        "Consent for treatment",
        ["The patient consents to evaluation and treatment, including {proc} if indicated."],
    ),
    Document.Type.AUTHORIZATION: (
        "Authorization to release information",
        ["The patient authorizes release of records of this visit to the primary care office."],
    ),
    Document.Type.CORRESPONDENCE: (
        "Letter to referring physician",
        ["Thank you for referring this {age}-year-old {sex} seen for {complaint}. {doctor}."],
    ),
    Document.Type.TRANSCRIBED: (
        "Transcribed clinic note",
        ["Dictated by {doctor}. Seen for {complaint}. Assessment: {dx}. Plan discussed."],
    ),
    Document.Type.OUTSIDE_RECORD: (
        "Outside records (scanned)",
        ["Records received from an outside provider regarding {dx}; indexed to this visit."],
    ),
}
CORRECTION_REASONS = [
    "Corrected laterality",
    "Corrected medication dose",
    "Corrected date of service",
    "Addendum: results received after signature",
]
SENSITIVITY_WEIGHTS = [
    (Sensitivity.BEHAVIORAL, 0.008),
    (Sensitivity.PART2, 0.004),
    (Sensitivity.REPRODUCTIVE, 0.003),
    (Sensitivity.HIV, 0.002),
    (Sensitivity.PSYCHOTHERAPY, 0.002),
    (Sensitivity.GENETIC, 0.001),
]
RESTRICTION_REASONS = [
    Patient.RestrictionReason.VIP,
    Patient.RestrictionReason.EMPLOYEE,
    Patient.RestrictionReason.PATIENT_REQUESTED,
    Patient.RestrictionReason.LEGAL,
]
DISPOSITIONS = [
    (Encounter.Disposition.HOME, 70),
    (Encounter.Disposition.HOME_HEALTH, 10),
    (Encounter.Disposition.SNF, 7),
    (Encounter.Disposition.IRF, 3),
    (Encounter.Disposition.SHORT_TERM_HOSPITAL, 2),
    (Encounter.Disposition.AMA, 2),
    (Encounter.Disposition.HOSPICE_HOME, 2),
    (Encounter.Disposition.EXPIRED, 1),
    (Encounter.Disposition.PSYCHIATRIC, 1),
]
CLASSES = [
    (Encounter.Class.OUTPATIENT, 55),
    (Encounter.Class.EMERGENCY, 20),
    (Encounter.Class.INPATIENT, 15),
    (Encounter.Class.OBSERVATION, 10),
]
