#!/usr/bin/env python3
"""Writes the generated half of medgen's clinical-text evaluation set.

Each note is plain text with inline gold marks [[words|type|flags]] (see docs/text.md). The
phrase lists and templates below are this generator's own; they were written separately from
the extractor's lexicon (data/text/lexicon) and deliberately include words and phrasings the
lexicon lacks, so recall is measured rather than assumed. Noise: all-caps notes, bullets,
templates, lines wrapped mid-sentence, OCR-like letter confusions, doubled spaces.

    /usr/bin/python3 data/text/eval/generate_notes.py --out data/text/eval/generated --n 320 --seed 11
"""
import argparse
import os
import random

PROBLEMS = ["chest pain", "shortness of breath", "fever", "cough", "headache", "nausea", "vomiting", "diarrhea",
            "abdominal pain", "dizziness", "fatigue", "back pain", "rash", "palpitations", "syncope", "chills",
            "night sweats", "weight loss", "dysuria", "hematuria", "constipation", "wheezing", "edema",
            "leg swelling", "joint pain", "sore throat", "anxiety", "depression", "insomnia", "confusion",
            "numbness", "blurred vision", "hemoptysis", "melena", "heartburn", "dyspnea", "orthopnea",
            "myalgias", "pruritus", "jaundice", "seizures", "tremor", "anemia", "hypertension", "diabetes",
            "type 2 diabetes", "hyperlipidemia", "atrial fibrillation", "CHF", "COPD", "asthma", "CAD",
            "pneumonia", "UTI", "DVT", "pulmonary embolism", "stroke", "TIA", "GERD", "hypothyroidism",
            "chronic kidney disease", "cirrhosis", "obesity", "osteoarthritis", "gout", "migraine",
            "sepsis", "cellulitis", "pancreatitis", "appendicitis", "cholecystitis", "diverticulitis",
            "myocardial infarction", "heart failure", "breast cancer", "colon cancer", "lung cancer",
            "prostate cancer", "dementia", "Parkinson's disease", "HTN", "DM2", "afib", "SOB", "AKI",
            "hyponatremia", "hypokalemia", "sleep apnea", "BPH", "kidney stones", "gallstones", "vertigo",
            "loss of appetite", "difficulty swallowing", "blood in stool", "dark urine", "hot flashes",
            "memory loss", "ear pain", "nasal congestion", "runny nose", "tachycardia", "bradycardia",
            "hypotension", "lightheadedness", "malaise", "bloating", "sinusitis", "bronchitis",
            "influenza", "covid-19", "hepatitis C", "HIV", "psoriasis", "eczema", "glaucoma", "cataracts",
            "osteoporosis", "rheumatoid arthritis", "lupus", "multiple sclerosis", "epilepsy",
            "alcohol abuse", "tobacco use", "suicidal ideation", "hallucinations", "weakness",
            "pleural effusion", "pneumothorax", "ascites", "lymphadenopathy", "heart murmur"]
FAMILY_PROBLEMS = ["breast cancer", "colon cancer", "diabetes", "heart disease", "coronary artery disease",
                   "hypertension", "stroke", "myocardial infarction", "ovarian cancer", "prostate cancer",
                   "dementia", "Alzheimer's disease", "lung cancer", "asthma", "depression", "MI", "CAD"]
MEDS = [("lisinopril", "10 mg", "PO", "daily"), ("metformin", "500 mg", "by mouth", "twice daily"),
        ("atorvastatin", "40 mg", "PO", "at bedtime"), ("amlodipine", "5 mg", "PO", "daily"),
        ("metoprolol", "25 mg", "PO", "BID"), ("aspirin", "81 mg", "PO", "daily"),
        ("furosemide", "40 mg", "IV", "twice daily"), ("levothyroxine", "75 mcg", "PO", "every morning"),
        ("omeprazole", "20 mg", "PO", "daily"), ("warfarin", "5 mg", "PO", "daily"),
        ("apixaban", "5 mg", "PO", "BID"), ("insulin glargine", "20 units", "subcutaneously", "at bedtime"),
        ("albuterol", "2 puffs", "inhaled", "q4h"), ("prednisone", "40 mg", "PO", "daily"),
        ("amoxicillin", "500 mg", "PO", "TID"), ("azithromycin", "250 mg", "PO", "daily"),
        ("ceftriaxone", "1 g", "IV", "q24h"), ("vancomycin", "1 g", "IV", "q12h"),
        ("acetaminophen", "650 mg", "PO", "q6h"), ("ibuprofen", "400 mg", "PO", "q8h"),
        ("oxycodone", "5 mg", "PO", "q4h"), ("gabapentin", "300 mg", "PO", "TID"),
        ("sertraline", "50 mg", "PO", "daily"), ("losartan", "50 mg", "PO", "daily"),
        ("hydrochlorothiazide", "25 mg", "PO", "daily"), ("simvastatin", "20 mg", "PO", "nightly"),
        ("pantoprazole", "40 mg", "PO", "daily"), ("tamsulosin", "0.4 mg", "PO", "daily"),
        ("clopidogrel", "75 mg", "PO", "daily"), ("enoxaparin", "40 mg", "SC", "daily"),
        ("ondansetron", "4 mg", "IV", "q6h"), ("morphine", "2 mg", "IV", "q4h"),
        ("carvedilol", "6.25 mg", "PO", "twice a day"), ("spironolactone", "25 mg", "PO", "daily"),
        ("doxycycline", "100 mg", "PO", "BID"), ("ciprofloxacin", "500 mg", "PO", "BID"),
        ("nitrofurantoin", "100 mg", "PO", "BID"), ("lorazepam", "1 mg", "PO", "at bedtime"),
        ("trazodone", "50 mg", "PO", "qhs"), ("montelukast", "10 mg", "PO", "daily"),
        ("Lasix", "20 mg", "PO", "daily"), ("Tylenol", "500 mg", "PO", "q6h"), ("Eliquis", "5 mg", "PO", "BID"),
        ("Zofran", "4 mg", "PO", "q8h"), ("potassium chloride", "20 mEq", "PO", "daily"),
        ("vitamin D", "1000 units", "PO", "daily"), ("folic acid", "1 mg", "PO", "daily")]
ALLERGENS = ["penicillin", "sulfa", "codeine", "morphine", "peanuts", "shellfish", "latex", "aspirin",
             "amoxicillin", "iodine", "contrast dye", "bee stings", "eggs", "ibuprofen", "cephalexin",
             "erythromycin", "NSAIDs", "ciprofloxacin", "tape"]
REACTIONS = ["hives", "rash", "anaphylaxis", "swelling", "nausea", "itching"]
PROCEDURES = ["appendectomy", "cholecystectomy", "CABG", "colonoscopy", "knee replacement", "hip replacement",
              "hysterectomy", "cardiac catheterization", "tonsillectomy", "C-section", "hernia repair",
              "EGD", "CT scan", "MRI", "chest x-ray", "echocardiogram", "biopsy", "lumbar puncture",
              "mastectomy", "cataract surgery", "PCI", "spinal fusion", "bronchoscopy", "ultrasound",
              "EKG", "stress test", "thoracentesis", "paracentesis", "dialysis", "blood transfusion"]
LABS = [("sodium", "Na", 128, 148, "", "mmol/L"), ("potassium", "K", 3.0, 5.8, "", "mmol/L"),
        ("creatinine", "Cr", 0.6, 3.2, "mg/dL", ""), ("glucose", "glucose", 60, 400, "mg/dL", ""),
        ("hemoglobin", "Hgb", 7.0, 16.5, "g/dL", ""), ("WBC", "WBC", 3.0, 22.0, "K/uL", ""),
        ("platelets", "Plt", 80, 450, "", ""), ("BUN", "BUN", 8, 60, "mg/dL", ""),
        ("troponin", "troponin", 0.01, 2.5, "ng/mL", ""), ("lactate", "lactate", 0.8, 6.0, "mmol/L", ""),
        ("HbA1c", "A1c", 5.2, 11.8, "%", ""), ("INR", "INR", 0.9, 4.5, "", ""), ("TSH", "TSH", 0.1, 9.0, "mIU/L", ""),
        ("ALT", "ALT", 10, 300, "U/L", ""), ("AST", "AST", 10, 300, "U/L", ""), ("LDL", "LDL", 50, 220, "mg/dL", ""),
        ("BNP", "BNP", 20, 2400, "pg/mL", ""), ("lipase", "lipase", 10, 900, "U/L", ""),
        ("CRP", "CRP", 1, 200, "mg/L", ""), ("albumin", "albumin", 2.0, 4.8, "g/dL", "")]
NEG_CUES = ["denies {x}", "no {x}", "negative for {x}", "without {x}", "no evidence of {x}", "{x} was ruled out",
            "no signs of {x}", "free of {x}", "{x}: absent", "not experiencing any {x}", "patient denies {x}",
            "no complaints of {x}", "{x} is not present", "no history of {x}", "has not had {x}", "no c/o {x}",
            "resolution of symptoms, no {x}"]
AFF_CUES = ["reports {x}", "complains of {x}", "presents with {x}", "c/o {x}", "with {x} for 3 days",
            "positive for {x}", "endorses {x}", "has {x}", "noted {x}", "worsening {x}", "new onset {x}",
            "{x} since yesterday", "developed {x} last night", "admits to {x}", "states {x} began two days ago"]
UNC_CUES = ["possible {x}", "concern for {x}", "likely {x}", "cannot rule out {x}", "r/o {x}", "questionable {x}",
            "suspected {x}", "probable {x}", "differential includes {x}", "{x} is suspected", "may have {x}",
            "rule out {x}", "? {x}", "evaluate for {x}", "suspicious for {x}"]
HIST_CUES = ["history of {x}", "h/o {x}", "hx of {x}", "previous {x}", "prior {x}", "status post {x}",
             "known {x}", "was diagnosed with {x} in 2015", "remote history of {x}"]
HYP_CUES = ["return if {x} develops", "call if {x} occurs", "should {x} develop, return to ED",
            "watch for {x}", "if {x} worsens, seek care", "monitor for {x}", "at risk for {x}",
            "in case of {x}, call 911"]
FAM_CUES = ["mother with {x}", "father had {x}", "family history of {x}", "brother with {x}",
            "sister diagnosed with {x}", "{x} in her mother", "{x} in his father", "maternal grandmother had {x}",
            "FHx: {x}", "paternal uncle with {x}"]
OPENERS = ["{age} year old {sex} presenting with", "{age} yo {sex} here for follow-up of", "Pt is a {age}-year-old {sex} with",
           "{age}F seen today for", "{age}M brought in by EMS for", "This is a {age} y/o {sex} who presents with"]
HEADINGS = {
    "cc": ["Chief Complaint:", "CC:", "CHIEF COMPLAINT:", "Reason for visit:"],
    "hpi": ["HPI:", "History of Present Illness:", "HISTORY OF PRESENT ILLNESS", "Present illness:"],
    "pmh": ["PMH:", "Past Medical History:", "PAST MEDICAL HISTORY:", "Medical history:"],
    "psh": ["PSH:", "Past Surgical History:", "Surgical history:"],
    "meds": ["Medications:", "MEDS:", "Current Medications:", "Home meds:"],
    "all": ["Allergies:", "ALLERGIES:", "Allergy:", "Drug allergies:"],
    "fh": ["Family History:", "FH:", "FAMILY HISTORY:", "FHx:"],
    "sh": ["Social History:", "SH:", "SOCIAL HISTORY:"],
    "ros": ["ROS:", "Review of Systems:", "REVIEW OF SYSTEMS:"],
    "exam": ["Physical Exam:", "PE:", "Exam:", "Vitals:"],
    "labs": ["Labs:", "LABS:", "Laboratory data:", "Results:"],
    "ap": ["Assessment and Plan:", "A/P:", "Assessment/Plan:", "IMPRESSION AND PLAN:", "Assessment:"],
}
BULLETS = ["- ", "* ", "• ", "", "1. "]

def mark(words, typ, flags=()):
    return "[[" + words + "|" + typ + ("|" + ",".join(flags) if flags else "") + "]]"

class Gen:
    def __init__(self, rng):
        self.r = rng

    def pick(self, xs, k=1):
        return self.r.sample(xs, k)

    def cue(self, cues, x, typ, flags):
        t = self.r.choice(cues)
        return t.replace("{x}", mark(x, typ, flags))

    def hpi(self):
        r = self.r
        s = []
        age = r.randint(19, 92)
        sex = r.choice(["male", "female", "man", "woman", "M", "F"])
        op = r.choice(OPENERS).format(age=age, sex=sex)
        main = self.pick(PROBLEMS, 2)
        s.append(f"{op} {mark(main[0], 'problem')} and {mark(main[1], 'problem')}.")
        for _ in range(r.randint(2, 5)):
            kind = r.random()
            x = r.choice(PROBLEMS)
            if kind < 0.35:
                s.append(self.cap(self.cue(NEG_CUES, x, "problem", ["neg"])) + ".")
            elif kind < 0.55:
                s.append(self.cap(self.cue(AFF_CUES, x, "problem", [])) + ".")
            elif kind < 0.7:
                s.append(self.cap(self.cue(UNC_CUES, x, "problem", ["unc"])) + ".")
            elif kind < 0.85:
                s.append(self.cap(self.cue(HIST_CUES, x, "problem", ["hist"])) + ".")
            else:
                neg = self.pick(PROBLEMS, 3)
                lead = r.choice(["Denies", "No", "Negative for", "He denies", "She denies any"])
                s.append(f"{lead} {mark(neg[0], 'problem', ['neg'])}, {mark(neg[1], 'problem', ['neg'])} or "
                         f"{mark(neg[2], 'problem', ['neg'])}.")
        if r.random() < 0.4:
            a, b = self.pick(PROBLEMS, 2)
            s.append(f"Reports {mark(a, 'problem')} but denies {mark(b, 'problem', ['neg'])}.")
        return " ".join(s)

    def cap(self, s):
        if s.startswith("[["):
            return "[[" + s[2].upper() + s[3:]
        return s[0].upper() + s[1:]

    def meds(self):
        out = []
        for name, strength, route, freq in self.pick(MEDS, self.r.randint(2, 6)):
            style = self.r.random()
            if style < 0.5:
                line = f"{mark(name, 'medication')} {strength} {route} {freq}"
            elif style < 0.7:
                line = f"{mark(name, 'medication')} {strength.replace(' ', '')} {freq}"
            elif style < 0.85:
                line = f"{mark(name, 'medication')} {strength} {route} {freq} prn " + self.r.choice(["pain", "nausea", "sleep", "SOB"])
            else:
                line = f"{mark(name, 'medication')} {strength}, take 1 tablet {route} {freq} for 7 days"
            out.append(line)
        return out

    def allergies(self):
        r = self.r
        if r.random() < 0.3:
            return [r.choice(["NKDA", "No known drug allergies", "None known", "NKA"])]
        out = []
        for a in self.pick(ALLERGENS, r.randint(1, 3)):
            if r.random() < 0.5:
                out.append(f"{mark(a, 'allergy')} ({r.choice(REACTIONS)})")
            else:
                out.append(f"{mark(a, 'allergy')} - {r.choice(REACTIONS)}")
        return out

    def pmh(self):
        return [mark(x, "problem", ["hist"]) for x in self.pick(PROBLEMS, self.r.randint(2, 5))]

    def psh(self):
        r = self.r
        return [f"{mark(x, 'procedure', ['hist'])} {r.choice(['', '(2010)', 'in 2018', '- remote', '20 years ago'])}".rstrip()
                for x in self.pick(PROCEDURES, r.randint(1, 3))]

    def fh(self):
        r = self.r
        out = []
        for x in self.pick(FAMILY_PROBLEMS, r.randint(1, 3)):
            who = r.choice(["Mother", "Father", "Brother", "Sister", "Maternal aunt", "Paternal grandfather"])
            out.append(r.choice([f"{who}: {mark(x, 'problem', ['fam'])}", f"{who} with {mark(x, 'problem', ['fam'])}",
                                 f"{mark(x, 'problem', ['fam'])} in {who.lower()}"]))
        if r.random() < 0.3:
            out.append(f"No family history of {mark(r.choice(FAMILY_PROBLEMS), 'problem', ['neg', 'fam'])}")
        return out

    def vitals(self):
        r = self.r
        parts = [f"{mark('BP', 'vital')} {r.randint(95, 180)}/{r.randint(55, 105)}",
                 f"{mark('HR', 'vital')} {r.randint(50, 130)}",
                 f"{mark(r.choice(['RR', 'Resp rate']), 'vital')} {r.randint(12, 30)}",
                 f"{mark(r.choice(['Temp', 'T', 'Temperature']), 'vital')} {r.choice(['98.6', '99.1', '101.2', '37.2', '38.4'])}{r.choice(['F', ' F', '', ' C'])}",
                 f"{mark(r.choice(['SpO2', 'O2 sat', 'Sat']), 'vital')} {r.randint(86, 100)}% on {r.choice(['RA', '2L NC', 'room air'])}"]
        sep = r.choice([", ", "  ", " | ", "; "])
        return sep.join(parts)

    def labs(self):
        r = self.r
        out = []
        for name, abbr, lo, hi, unit, _ in self.pick(LABS, r.randint(2, 6)):
            v = round(r.uniform(lo, hi), 1 if hi < 50 else 0)
            v = int(v) if hi >= 50 else v
            label = r.choice([name, abbr])
            out.append(f"{mark(label, 'lab')} {r.choice(['', ': ', '= ', ' was ', ' of '])}{v}{(' ' + unit) if unit and r.random() < 0.7 else ''}".replace("  ", " "))
        return out

    def assessment(self):
        r = self.r
        s = []
        x = r.choice(PROBLEMS)
        s.append(f"1. {self.cap(mark(x, 'problem'))} - " + r.choice(["improving", "stable", "worse", "new"]) + ".")
        y = r.choice(PROBLEMS)
        s.append(f"2. {self.cap(self.cue(UNC_CUES, y, 'problem', ['unc']))}; will check {mark(r.choice(['CBC', 'BMP', 'lipase', 'troponin', 'TSH']), 'lab', ['hyp'])}.")
        name, strength, route, freq = r.choice(MEDS)
        s.append(f"3. Start {mark(name, 'medication')} {strength} {route} {freq}.")
        z = r.choice(PROBLEMS)
        s.append(f"Return precautions: {self.cue(HYP_CUES, z, 'problem', ['hyp'])}.")
        if r.random() < 0.5:
            p = r.choice(PROCEDURES)
            s.append(f"Plan {mark(p, 'procedure')} " + r.choice(["next week", "tomorrow", "as outpatient"]) + ".")
        return s

    def note(self):
        r = self.r
        parts = []
        def head(k):
            return r.choice(HEADINGS[k])
        bullet = r.choice(BULLETS)
        def listing(items):
            if r.random() < 0.4:
                return ", ".join(items) + "."
            return "\n".join((bullet if bullet != "1. " else f"{i + 1}. ") + it for i, it in enumerate(items))
        parts.append(head("cc") + " " + mark(r.choice(PROBLEMS), "problem"))
        parts.append(head("hpi") + "\n" + self.hpi())
        parts.append(head("pmh") + "\n" + listing(self.pmh()))
        if r.random() < 0.7:
            parts.append(head("psh") + "\n" + listing(self.psh()))
        parts.append(head("meds") + "\n" + listing(self.meds()))
        parts.append(head("all") + " " + "; ".join(self.allergies()))
        if r.random() < 0.8:
            parts.append(head("fh") + "\n" + listing(self.fh()))
        if r.random() < 0.6:
            parts.append(head("sh") + " " + r.choice(["Lives alone.", "Married, works as a teacher.", "Retired.",
                                                     "Lives with wife."]) +
                         " " + r.choice(["Denies alcohol use.", "Occasional alcohol.", "Former " + mark("smoker", "problem", ["hist"]) + ", quit 2010.",
                                         f"Denies {mark('tobacco use', 'problem', ['neg'])}."]))
        if r.random() < 0.6:
            negs = self.pick(PROBLEMS, 4)
            pos = r.choice(PROBLEMS)
            parts.append(head("ros") + " " + f"Positive for {mark(pos, 'problem')}. Negative for " +
                         ", ".join(mark(n, "problem", ["neg"]) for n in negs) + ".")
        parts.append(head("exam") + " " + self.vitals() + "\n" +
                     r.choice(["General: alert, no acute distress.", "Lungs clear bilaterally.",
                               "Heart regular rate and rhythm.", "Abdomen soft, nontender."]))
        parts.append(head("labs") + "\n" + listing(self.labs()))
        parts.append(head("ap") + "\n" + "\n".join(self.assessment()))
        text = "\n\n".join(parts) + "\n"
        return self.noise(text)

    def noise(self, text):
        r = self.r
        mode = r.random()
        if mode < 0.15:
            text = self.upper(text)
        if r.random() < 0.25:
            text = self.wrap(text, r.randint(55, 80))
        if r.random() < 0.3:
            text = self.ocr(text)
        if r.random() < 0.2:
            text = text.replace(". ", ".  ")
        return text

    def upper(self, text):
        out, i = [], 0
        while i < len(text):
            if text.startswith("[[", i):
                j = text.index("]]", i)
                body = text[i + 2:j]
                w, rest = body.split("|", 1)
                out.append("[[" + w.upper() + "|" + rest + "]]")
                i = j + 2
            else:
                out.append(text[i].upper())
                i += 1
        return "".join(out)

    def wrap(self, text, width):
        lines = []
        for para in text.split("\n"):
            cur = ""
            tokens = []
            i = 0
            # never break inside a mark
            while i < len(para):
                if para.startswith("[[", i):
                    j = para.index("]]", i) + 2
                    tokens.append(para[i:j]); i = j
                elif para[i] == " ":
                    tokens.append(" "); i += 1
                else:
                    j = i
                    while j < len(para) and para[j] != " " and not para.startswith("[[", j):
                        j += 1
                    tokens.append(para[i:j]); i = j
            for t in tokens:
                if t == " " and len(cur) > width:
                    lines.append(cur); cur = ""
                else:
                    cur += t
            lines.append(cur)
        return "\n".join(lines)

    def ocr(self, text):
        r = self.r
        out, i = [], 0
        while i < len(text):
            if text.startswith("[[", i):
                j = text.index("]]", i)
                body = text[i + 2:j]
                w, rest = body.split("|", 1)
                if len(w) >= 8 and " " not in w and w.isalpha() and r.random() < 0.3:
                    k = r.randint(2, len(w) - 3)
                    op = r.random()
                    if op < 0.4:
                        w = w[:k] + w[k + 1:]                    # dropped letter
                    elif op < 0.7 and w[k] == "o":
                        w = w[:k] + "0" + w[k + 1:]              # o read as zero
                    elif op < 0.85:
                        w = w[:k] + w[k + 1] + w[k] + w[k + 2:] if w[k] != w[k + 1] else w
                        w = w                                    # (transposition: not mended; kept as a hard case)
                    else:
                        w = w[:k] + w[k] + w[k:]                 # doubled letter
                out.append("[[" + w + "|" + rest + "]]")
                i = j + 2
            else:
                out.append(text[i])
                i += 1
        return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=320)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    g = Gen(rng)
    for k in range(a.n):
        pid = f"g{k // 2:03d}"
        with open(os.path.join(a.out, f"{pid}_{k:03d}.txt"), "w", encoding="utf-8") as f:
            f.write(g.note())


if __name__ == "__main__":
    main()
