#!/usr/bin/python3
"""Writes data/text/deid/eval/generated.txt: synthetic clinical notes with planted identifiers in
many formats, annotated inline as ⟦TYPE|text⟧ (see include/medgen/text/deid/eval.h).

Everything here is our own: the templates, and the name, place and facility lists below (names
chosen from many origins, most of them deliberately not common US names). Seeded, so the file is
reproducible:  /usr/bin/python3 tests/text/deid/make_eval_notes.py [N] [SEED] > data/text/deid/eval/generated.txt
"""
import random
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 320
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 2026
R = random.Random(SEED)

FIRST = """Aaliyah Abebe Adaeze Ahmad Aiyana Akira Alejandro Aleksander Amina Anjali Ansel Aoife Arnav Astrid Ayodele
Bao Barnaby Benedikt Bronagh Caoimhe Casimir Chen Chiamaka Cosmin Dagny Darnell Deshawn Diego Dorota Eamon Efua Eitan
Emeka Enzo Esperanza Fatima Femi Finnian Giulia Gwendolyn Hamza Hyun Ifeoma Ignacio Imani Ingrid Isidora Jadwiga Jamal
Jaroslav Joaquin Jolene Kamala Kateryna Keanu Kwame Lakshmi Leilani Linnea Luca Lupita Maeve Mairead Makoto Marisol
Mehmet Milos Minh Mohammed Nadia Naveen Nikolai Nkechi Obinna Oksana Olamide Oren Padraig Parisa Pilar Quentin Radhika
Rashida Reuben Rosalind Ruairi Saoirse Seamus Shira Siddharth Siobhan Solveig Sunita Tadeusz Takumi Tamsin Thandiwe
Tomasz Ulrike Valentina Wanjiru Xiomara Yaw Yevgenia Yolanda Zbigniew Zainab Zeynep Maria James Robert Linda Michael
Susan David Patricia John Jennifer William Elizabeth Richard Barbara Thomas Karen Charles Nancy""".split()
LAST = """Abiodun Achterberg Adeyemi Agarwal Albrecht Amundsen Arceneaux Ashkenazi Bahrami Balogun Bartkowiak Belmonte
Bhattacharya Blomqvist Borkowski Brannigan Castaneda Chakraborty Chukwu Cieslak Dabrowski Delacroix Demir Dragomir
Dufresne Eberhardt Ekwueme Esposito Fairweather Fitzgerald Fujimoto Gallagher Garbarino Gonzaga Grzegorczyk Gutierrez
Halloran Hashemi Hernandez Holmberg Iwasaki Jaramillo Jovanovic Kaczmarek Kapoor Kawasaki Keane Kowalczyk Krishnamurthy
Kuznetsova Lindgren Lombardo Lungu Mahlangu Makinde Mastroianni McAllister Mendoza Mukherjee Nakashima Ndlovu Nwachukwu
Obradovic Oduya Okafor Olawale Oyelaran Papadopoulos Pham Przybylski Quinlan Raghunathan Ramaswamy Rautenberg Romanov
Sabatini Saoud Schwarzkopf Sekibo Shevchenko Sokolowski Strzelecki Szymanski Tavernier Thistlewood Trinh Uchenna
Vandermeer Vasilescu Villanueva Wojcik Xiong Yamamoto Yeboah Zaragoza Zhukov Smith Johnson Williams Brown Jones Miller
Davis Wilson Anderson Taylor Moore Martin Lee Walker Young King Wright Hill Green Baker""".split()
CITIES = """Tallahassee Kalamazoo Poughkeepsie Sheboygan Tuscaloosa Albuquerque Chattanooga Schenectady Walla_Walla Yakima
Bakersfield Duluth Fresno Gainesville Kenosha Lubbock Missoula Oshkosh Pueblo Saginaw Topeka Waco Ypsilanti""".split()
STATES = "AL AZ CA CT FL GA IL KS KY MI MN MO NC NJ NM NY OH SC TN TX UT VT WA WI".split()
STREETS = """Maple Oak Cedar Birchwood Quarry Millbrook Fernhill Cobblestone Larkspur Harrow Kestrel Tamarack Wexford
Briarcliff Ashbury Greenleaf Marigold Juniper Sycamore Ridgeview""".split()
SUFFIX = "Street St. Avenue Ave Road Rd. Lane Drive Blvd Court Way Terrace Place".split()
FACILITIES = """St._Brendan's_Hospital Lakeshore_Medical_Center Mount_Carmel_Hospital Riverbend_Clinic
Hollister_Regional_Hospital Grace_Harbor_Nursing_Home Pinecrest_Rehabilitation_Center Okafor_Family_Clinic
Ashbury_Memorial_Hospital Northfield_Urgent_Care_Clinic""".split()
MONTHS = "January February March April May June July August September October November December".split()
MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DX = ["type 2 diabetes mellitus", "community-acquired pneumonia", "congestive heart failure exacerbation",
      "COPD exacerbation", "acute kidney injury", "cellulitis of the left leg", "atrial fibrillation with RVR",
      "urinary tract infection", "syncope", "chest pain, rule out ACS", "diabetic ketoacidosis", "hip fracture",
      "GI bleed", "sepsis of unclear source", "asthma exacerbation", "new onset seizure"]
MEDS = ["metformin 500 mg PO BID", "lisinopril 10 mg daily", "atorvastatin 40 mg nightly", "furosemide 40 mg IV BID",
        "apixaban 5 mg BID", "insulin glargine 20 units at bedtime", "albuterol 2 puffs q4h PRN",
        "ceftriaxone 1 g IV daily", "metoprolol tartrate 25 mg BID", "levothyroxine 75 mcg daily",
        "sertraline 50 mg daily", "gabapentin 300 mg TID", "pantoprazole 40 mg daily", "warfarin 5 mg daily"]

def A(t, s):
    return "⟦%s|%s⟧" % (t, s)

def first(): return R.choice(FIRST)
def last(): return R.choice(LAST)

def full_name(style=None):
    f, l = first(), last()
    style = style or R.choice(["fl", "fl", "fl", "fml", "lf", "FL", "fi", "il"])
    if style == "fl": return f + " " + l
    if style == "fml": return f + " " + R.choice("ABCDEFGHJKLMNPRSTW") + ". " + l
    if style == "lf": return l + ", " + f
    if style == "FL": return (f + " " + l).upper()
    if style == "fi": return f + " " + l[0] + "."
    return f[0] + ". " + l

def date():
    y, m, d = R.randint(1990, 2025), R.randint(1, 12), R.randint(1, 28)
    k = R.randrange(11)
    if k == 0: return "%02d/%02d/%04d" % (m, d, y)
    if k == 1: return "%d/%d/%02d" % (m, d, y % 100)
    if k == 2: return "%04d-%02d-%02d" % (y, m, d)
    if k == 3: return "%s %d, %d" % (MONTHS[m - 1], d, y)
    if k == 4: return "%d %s %d" % (d, MONTHS[m - 1], y)
    if k == 5: return "%s %d" % (MON[m - 1], d)
    if k == 6: return "%02d-%s-%04d" % (d, MON[m - 1].upper(), y)
    if k == 7: return "%s %d" % (MONTHS[m - 1], y)
    if k == 8: return "%d.%d.%d" % (d, m, y)
    if k == 9: return "%s. %d, %d" % (MON[m - 1], d, y)
    return "%d/%d" % (m, d)

def phone():
    a, b, c = R.randint(201, 989), R.randint(200, 999), R.randint(0, 9999)
    k = R.randrange(6)
    if k == 0: return "(%d) %d-%04d" % (a, b, c)
    if k == 1: return "%d-%d-%04d" % (a, b, c)
    if k == 2: return "%d.%d.%04d" % (a, b, c)
    if k == 3: return "+1 %d %d %04d" % (a, b, c)
    if k == 4: return "%d-%04d" % (b, c)
    return "%d-%d-%04d x%d" % (a, b, c, R.randint(10, 999))

def mrn():
    k = R.randrange(5)
    if k == 0: return str(R.randint(1000000, 99999999))
    if k == 1: return "%s%07d" % (R.choice("ABKMZ"), R.randint(0, 9999999))
    if k == 2: return "%03d-%02d-%04d-%d" % (R.randint(0, 999), R.randint(0, 99), R.randint(0, 9999), R.randint(0, 9))
    if k == 3: return "%d" % R.randint(10000, 999999)
    return "MRN%08d" % R.randint(0, 99999999)

def ssn(): return "%03d-%02d-%04d" % (R.randint(100, 899), R.randint(10, 99), R.randint(1000, 9999))
def email(f, l): return R.choice(["%s.%s@%s", "%s%s@%s", "%s_%s@%s"]) % (f.lower(), l.lower(), R.choice(["gmail.com", "yahoo.com", "mail.example.net", "hotmail.co.uk", "outlook.com"]))
def url(): return R.choice(["https://www.%s.org/patients/%d", "http://%s.com/portal?id=%d", "www.%s.net/%d"]) % (R.choice(["lakeshorehealth", "okafor-clinic", "pinecrestrehab", "myhealthvault"]), R.randint(100, 99999))
def ip(): return "%d.%d.%d.%d" % (R.randint(10, 223), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254))
def city(): return R.choice(CITIES).replace("_", " ")
def street(): return "%d %s %s" % (R.randint(1, 9999), R.choice(STREETS), R.choice(SUFFIX))
def facility(): return R.choice(FACILITIES).replace("_", " ")
def age_old(): return R.randint(90, 104)

def sex():
    return R.choice([("male", "he", "his", "Mr."), ("female", "she", "her", "Mrs."), ("female", "she", "her", "Ms.")])

def tmpl_discharge():
    g, he, his, title = sex()
    pf, pl = first(), last()
    doc = full_name("fl")
    age = age_old() if R.random() < 0.25 else R.randint(19, 88)
    agetxt = A("AGE", str(age)) if age > 89 else str(age)
    lines = [
        "DISCHARGE SUMMARY",
        "Patient: " + A("NAME", pl + ", " + pf) + "    MRN: " + A("ID", mrn()),
        "DOB: " + A("DATE", date()) + "    Admission Date: " + A("DATE", date()) + "    Discharge Date: " + A("DATE", date()),
        "Attending: " + A("NAME", "Dr. " + doc).replace("⟦NAME|Dr. ", "Dr. ⟦NAME|"),
        "",
        "HISTORY OF PRESENT ILLNESS:",
        "%s %s is a %s-year-old %s with a history of %s who presented to %s on %s with %s." % (
            title, A("NAME", pl), agetxt, g, R.choice(DX), A("LOCATION", facility()), A("DATE", date()), R.choice(DX)),
        "%s was seen by Dr. %s in clinic two weeks before admission." % (he.capitalize(), A("NAME", last())),
        "",
        "HOSPITAL COURSE:",
        "Treated with %s and %s. %s improved and was discharged home with %s %s %s (phone %s)." % (
            R.choice(MEDS), R.choice(MEDS), he.capitalize(), his, R.choice(["wife", "husband", "daughter", "son"]),
            A("NAME", first()), A("PHONE", phone())),
        "",
        "FOLLOW-UP: %s %s at %s on %s." % (R.choice(["Dr.", "Doctor"]), A("NAME", full_name("fl")), A("LOCATION", facility()), A("DATE", date())),
        "",
        "Electronically signed by: " + A("NAME", doc) + ", MD " + A("DATE", date()),
    ]
    return lines

def tmpl_progress():
    g, he, his, title = sex()
    pl = last()
    lines = [
        "Progress Note - Hospital Day %d" % R.randint(2, 9),
        "S: %s reports feeling better today. Denies chest pain. %s %s visited this morning." % (
            title + " " + A("NAME", pl), his.capitalize(), R.choice(["sister", "brother", "friend", "partner"]) + " " + A("NAME", first())),
        "O: T 37.%d HR %d BP %d/%d RR %d SpO2 %d%% on RA" % (R.randint(0, 9), R.randint(60, 110), R.randint(100, 160), R.randint(60, 95), R.randint(12, 24), R.randint(90, 99)),
        "Labs %s: Na 13%d K 4.%d Cr 1.%d WBC 1%d.%d" % (A("DATE", date()), R.randint(0, 9), R.randint(0, 9), R.randint(0, 9), R.randint(0, 9), R.randint(0, 9)),
        "A/P: %s, improving. Continue %s. Discussed with Dr. %s (cardiology)." % (R.choice(DX), R.choice(MEDS), A("NAME", last())),
        "Dispo: home when stable; %s will call %s at %s." % (R.choice(["case manager", "SW"]), A("NAME", first() + " " + last()), A("PHONE", phone())),
        "-- " + A("NAME", full_name("fi")) + ", PGY-2",
    ]
    return lines

def tmpl_referral():
    pf, pl = first(), last()
    doc_f, doc_l = first(), last()
    me = full_name("fl")
    return [
        A("LOCATION", facility()),
        A("LOCATION", street()) + ", " + A("LOCATION", city() + ", " + R.choice(STATES) + " " + "%05d" % R.randint(10000, 99999)),
        "Tel " + A("PHONE", phone()) + "  Fax " + A("PHONE", phone()),
        "",
        A("DATE", date()),
        "",
        "Dear Dr. " + A("NAME", doc_l) + ",",
        "",
        "Thank you for seeing %s %s (DOB %s), whom I am referring for evaluation of %s." % (
            A("NAME", pf), A("NAME", pl), A("DATE", date()), R.choice(DX)),
        "%s lives in %s with %s and can be reached at %s or by e-mail at %s." % (
            A("NAME", pf), A("LOCATION", city()), R.choice(["her husband", "his wife", "a roommate", "family"]), A("PHONE", phone()), A("EMAIL", email(pf, pl))),
        "Insurance: member ID " + A("ID", "%s%09d" % (R.choice(["XJH", "W", "BCB"]), R.randint(0, 999999999))) + ".",
        "",
        "Sincerely,",
        A("NAME", me),
        "Family Medicine",
    ]

def tmpl_triage():
    age = age_old()
    return [
        "ED TRIAGE %s %02d:%02d" % (A("DATE", date()), R.randint(0, 23), R.randint(0, 59)),
        "CC: fall at home. %s yo %s brought by EMS from %s." % (A("AGE", str(age)), R.choice(["M", "F"]), A("LOCATION", street())),
        "Pt states name is %s. Lives alone; neighbor %s called 911." % (A("NAME", full_name("fl")), A("NAME", first())),
        "SSN on file: " + A("SSN", ssn()) + ". Medicare # " + A("ID", "%d%s%d%s%s%d%d" % (R.randint(1, 9), R.choice("ACDEFG"), R.randint(0, 9), R.choice("ACDEFG"), R.choice("ACDEFG"), R.randint(10, 99), R.randint(100, 999))),
        "Emergency contact: " + A("NAME", full_name("fl")) + " (" + R.choice(["daughter", "son", "niece"]) + ") " + A("PHONE", phone()),
    ]

def tmpl_radiology():
    return [
        "EXAM: CT HEAD WITHOUT CONTRAST",
        "PATIENT NAME: " + A("NAME", full_name("FL")) + "   ACC#: " + A("ID", "CT%08d" % R.randint(0, 99999999)),
        "DATE OF SERVICE: " + A("DATE", date()),
        "ORDERING PHYSICIAN: " + A("NAME", full_name("lf")),
        "CLINICAL HISTORY: headache.",
        "FINDINGS: No acute intracranial hemorrhage. Comparison is made to the prior study from %s." % A("DATE", date()),
        "IMPRESSION: No acute abnormality.",
        "Read by: " + A("NAME", full_name("fml")) + ", M.D.",
        "Images available at " + A("URL", url()) + " (workstation " + A("IP", ip()) + ")",
    ]

def tmpl_message():
    pf, pl = first(), last()
    return [
        "From: " + A("EMAIL", email(pf, pl)),
        "Sent: " + A("DATE", date()) + " 9:14 AM",
        "Subject: refill",
        "",
        "Hi, this is " + A("NAME", pf + " " + pl) + ". I need a refill of my " + R.choice(MEDS).split(" ")[0] + ".",
        "My pharmacy is " + R.choice(["Walgreens", "CVS"]) + " on " + A("LOCATION", R.choice(STREETS) + " " + R.choice(SUFFIX)) + " in " + A("LOCATION", city()) + ".",
        "Please call me at " + A("PHONE", phone()) + ". Thanks, " + A("NAME", pf),
    ]

def tmpl_device():
    return [
        "Pacemaker interrogation " + A("DATE", date()),
        "Device: dual chamber, serial number " + A("ID", "PJN%06d" % R.randint(0, 999999)) + ", implanted " + A("DATE", date()) + " by Dr. " + A("NAME", last()) + ".",
        "Patient " + A("NAME", full_name("fl")) + " tolerated the check well. Remote monitoring via " + A("URL", url()) + ".",
        "Vehicle: patient drove himself (plate " + A("ID", "%s%d%s%04d" % (R.choice("ABCDEFGH"), R.randint(1, 9), R.choice("KLMNP"), R.randint(0, 9999))) + ").",
    ]

def tmpl_social():
    g, he, his, title = sex()
    return [
        "SOCIAL HISTORY: Born in %s, moved to %s in %s. Works at %s as a teacher." % (
            A("LOCATION", city()), A("LOCATION", city()), R.randint(1970, 2015), A("LOCATION", facility())),
        "%s husband %s is %s health care proxy." % (his.capitalize() if he == "she" else "Her", A("NAME", first() + " " + last()), his),
        "Lives at %s, Apt %d." % (A("LOCATION", street()), R.randint(1, 40)),
        "Grandmother lived to %s." % (A("AGE", str(age_old())) + " years old"),
    ]

def tmpl_quick():
    f, l = first().lower(), last().lower()
    return [
        "pt %s seen today w %s %s. c/o cough x3d, afebrile. spoke w/ %s at pharmacy re: refill." % (
            A("NAME", f + " " + l), R.choice(["wife", "husband", "daughter", "son"]), A("NAME", first().lower()), A("NAME", first().lower())),
        "f/u %s w dr. %s. cb %s" % (A("DATE", "%d/%d" % (R.randint(1, 12), R.randint(13, 28))), A("NAME", last().lower()), A("PHONE", phone())),
    ]

def tmpl_uk_letter():
    d, m, y = R.randint(1, 28), R.randint(1, 12), R.randint(2015, 2025)
    ordn = lambda n: "%d%s" % (n, "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))
    pf, pl = first(), last()
    return [
        A("LOCATION", R.choice(["Fernhill", "Harrow Road", "Millbrook", "Kestrel"]) + " Surgery"),
        A("LOCATION", "%d %s %s" % (R.randint(1, 200), R.choice(STREETS), R.choice(["Road", "Lane", "Close", "Crescent"]))) + ", " + A("LOCATION", city()) + " " + A("LOCATION", "%s%d %d%s%s" % (R.choice(["LS", "M", "SW", "B", "HG", "NE"]), R.randint(1, 19), R.randint(1, 9), R.choice("ABDEFGHJ"), R.choice("ABDEFGHJ"))),
        "",
        "Dear Dr " + A("NAME", last()) + ",",
        "Re: " + R.choice(["Mrs", "Mr", "Ms"]) + " " + A("NAME", pf + " " + pl) + ", DOB " + A("DATE", "%02d.%02d.%d" % (d, m, R.randint(1930, 2000))) + ", NHS number " + A("ID", "%03d %03d %04d" % (R.randint(100, 999), R.randint(100, 999), R.randint(1000, 9999))),
        "I saw %s in clinic on %s and again on %s. %s mobile is %s." % (
            A("NAME", pf), A("DATE", R.choice(["Tuesday", "Friday", "Monday"]) + " the " + ordn(d)), A("DATE", "%s %s %d" % (ordn(d), MONTHS[m - 1], y)), "Her", A("PHONE", "07%03d %06d" % (R.randint(100, 999), R.randint(0, 999999)))),
        "Ward round %s: settled overnight." % A("DATE", "%d/%d" % (R.randint(13, 28), R.randint(1, 12))),
        "Yours sincerely,",
        "Dr " + A("NAME", full_name("fl")),
    ]

TEMPLATES = [tmpl_quick, tmpl_uk_letter, tmpl_discharge, tmpl_progress, tmpl_referral, tmpl_triage, tmpl_radiology, tmpl_message, tmpl_device, tmpl_social]

def fix(lines):
    # "Apt %d" style leftovers are part of the address: keep the annotation tight on what we planted
    return "\n".join(lines)

print("# Generated by tests/text/deid/make_eval_notes.py %d %d (synthetic; our own templates and lists)." % (N, SEED))
for i in range(N):
    t = TEMPLATES[i % len(TEMPLATES)] if i < len(TEMPLATES) else R.choice(TEMPLATES)
    print("### note gen-%03d" % (i + 1))
    print(fix(t()))
