#!/usr/bin/env python3
"""Writes parse_set.tsv: phrasings of trainee actions with the parse a clinician means.

Kept beside the set so it can be regenerated and extended (python3 make_parse_set.py > parse_set.tsv).
Each row: phrase, split (dev | heldout | hand), kind, what, dose, unit, route, rate (see
docs/simulation.md, "Parser evaluation"). Surface forms (verbs, synonyms, abbreviations, misspellings,
number words, word orders) are combined at random with a fixed seed; the expected parse is written
from the clinical meaning, not from the parser. "hand" rows are written one by one and never used for
tuning. Condition: septic_shock; weight 70 kg.
"""
import random

rng = random.Random(19)
rows = []

def add(phrase, kind, what="-", dose="-", unit="-", route="-", rate="-", split=None):
    rows.append([phrase, split, kind, what, dose, unit, route, rate])

NUM_WORDS = {0.4: ["zero point four", "point four", "nought point four"], 2: ["two"], 1: ["one"], 10: ["ten"],
             5: ["five"], 500: ["five hundred"], 0.5: ["half a", "zero point five"], 4: ["four"],
             100: ["one hundred", "a hundred"], 6: ["six"], 30: ["thirty"], 250: ["two hundred and fifty"],
             300: ["three hundred"], 200: ["two hundred"], 20: ["twenty"], 0.1: ["zero point one", "point one"],
             1000: ["one thousand", "a thousand"], 15: ["fifteen"], 25: ["twenty five", "twenty-five"],
             50: ["fifty"], 0.2: ["point two", "zero point two"], 3: ["three"], 40: ["forty"], 60: ["sixty"]}

def fmt(x):
    return ("%g" % x)

def number(x, words=0.25):
    if x in NUM_WORDS and rng.random() < words:
        return rng.choice(NUM_WORDS[x])
    return fmt(x)

UNIT = {"mg": ["mg", "milligrams", "mgs", "milligram", "MG"], "mcg": ["mcg", "micrograms", "ug", "µg", "microgram"],
        "g": ["g", "grams", "gram", "gm"], "units": ["units", "u", "iu", "unit", "Units"],
        "mmol": ["mmol", "millimoles", "mmols"], "ml": ["ml", "mls", "mL", "millilitres", "cc"]}
ROUTE = {"iv": ["iv", "IV", "intravenously", "intravenous", "i.v."], "im": ["im", "IM", "intramuscularly", "intramuscular"],
         "neb": ["neb", "nebulised", "nebulized", "via nebuliser"], "sc": ["sc", "subcut", "subcutaneously", "s/c"],
         "po": ["po", "orally", "by mouth", "PO", "oral"], "in": ["intranasal", "intranasally"], "sl": ["sublingual"]}
VERB = ["", "", "give ", "administer ", "please give ", "can you give ", "let's give ", "i'll give ", "start ", "Give "]

# drug, surface names (first canonical), typical doses (value, unit), routes (first is default when none said)
DRUGS = [
    ("naloxone", ["naloxone", "narcan", "Naloxone", "nalaxone", "naloxon"], [(0.4, "mg"), (400, "mcg"), (2, "mg"), (0.8, "mg")], ["iv", "im", "in"]),
    ("epinephrine", ["epinephrine", "adrenaline", "adrenalin", "epi", "Adrenaline", "epinephrin"], [(0.5, "mg"), (500, "mcg"), (1, "mg")], ["iv", "im"]),
    ("ceftriaxone", ["ceftriaxone", "ceftriaxon", "Ceftriaxone", "ceftriaxome"], [(2, "g"), (1, "g"), (2000, "mg")], ["iv"]),
    ("morphine", ["morphine", "morphin", "Morphine", "diamorphine"], [(5, "mg"), (2.5, "mg"), (10, "mg")], ["iv", "im", "sc", "po"]),
    ("salbutamol", ["salbutamol", "albuterol", "ventolin", "salbutmol"], [(5, "mg"), (2.5, "mg")], ["neb"]),
    ("hydrocortisone", ["hydrocortisone", "hydrocortison", "steroids", "solu-cortef"], [(200, "mg"), (100, "mg")], ["iv", "im"]),
    ("amoxicillin", ["amoxicillin", "amoxycillin", "amoxil"], [(1, "g"), (500, "mg")], ["iv", "po"]),
    ("magnesium sulfate", ["magnesium sulfate", "magnesium sulphate", "magnesium", "mgso4"], [(2, "g"), (1.2, "g")], ["iv"]),
    ("aspirin", ["aspirin", "asprin", "Aspirin"], [(300, "mg")], ["po"]),
    ("glucagon", ["glucagon", "glucagen", "glucogon"], [(1, "mg")], ["im", "iv", "sc"]),
    ("piperacillin-tazobactam", ["tazocin", "piptazo", "pip-tazo", "piperacillin-tazobactam"], [(4.5, "g"), (4500, "mg")], ["iv"]),
    ("clarithromycin", ["clarithromycin", "clarithro", "clarithromycine"], [(500, "mg")], ["iv", "po"]),
    ("fentanyl", ["fentanyl", "fentanil", "Fentanyl"], [(50, "mcg"), (100, "mcg")], ["iv", "in"]),
    ("glyceryl trinitrate", ["gtn", "GTN", "nitroglycerin"], [(0.4, "mg"), (400, "mcg")], ["sl"]),
    ("dextrose50", ["d50", "50% dextrose", "dextrose 50%"], [(50, "ml"), (25, "g")], ["iv"]),
]
# dextrose 50% is written with its strength; the parser reads "50%" as the preparation.
KNOWN_ROUTES = {"naloxone": ["iv", "io", "im", "in"], "epinephrine": ["iv", "io", "im"], "morphine": ["iv", "io", "im", "sc", "po"],
                "salbutamol": ["neb", "iv"], "hydrocortisone": ["iv", "im", "po"], "amoxicillin": ["iv", "po"],
                "glucagon": ["iv", "im", "sc"], "clarithromycin": ["iv", "po"], "fentanyl": ["iv", "io", "in"],
                "glyceryl trinitrate": ["iv", "sl"], "aspirin": ["po", "iv"], "ceftriaxone": ["iv", "im"], "magnesium sulfate": ["iv"],
                "piperacillin-tazobactam": ["iv"], "dextrose50": ["iv"]}

# The usual route when an order names none: sublingual GTN, oral aspirin, nebulised salbutamol, else IV.
USUAL = {"aspirin": "po", "glyceryl trinitrate": "sl", "salbutamol": "neb"}

def default_route(drug):
    if drug in USUAL:
        return USUAL[drug]
    r = KNOWN_ROUTES[drug]
    return "iv" if "iv" in r else sorted(r)[0]

for _ in range(300):
    drug, names, doses, routes = rng.choice(DRUGS)
    name = rng.choice(names)
    value, unit = rng.choice(doses)
    say_route = rng.random() < 0.75
    route = rng.choice(routes) if say_route else default_route(drug)
    rtext = rng.choice(ROUTE[route]) if say_route else ""
    num = number(value)
    utext = rng.choice(UNIT[unit])
    glue = "" if (rng.random() < 0.2 and num[0].isdigit() and utext.isalpha() and len(utext) <= 3) else " "
    q = num + glue + utext
    form = rng.randrange(6)
    verb = rng.choice(VERB)
    if form == 0:
        p = f"{verb}{name} {q} {rtext}"
    elif form == 1:
        p = f"{verb}{q} {name} {rtext}"
    elif form == 2:
        p = f"{verb}{q} of {name} {rtext}"
    elif form == 3 and say_route:
        p = f"{verb}{rtext} {name} {q}"
    elif form == 4:
        p = f"{verb}{name} {rtext} {q}"
    else:
        p = f"{verb}{name} {q} {rtext} stat" if rng.random() < 0.5 else f"{verb}{name}, {q}, {rtext}"
    if num.startswith("half a") and unit in ("mg", "g", "mcg"):
        pass
    add(" ".join(p.split()).strip(" ,"), "drug", drug, fmt(value), unit, route, "bolus")

# "push" (IV unless said otherwise), bare numbers (the drug's own unit, said back)
for name, drug, v, u in [("naloxone", "naloxone", 0.4, "mg"), ("narcan", "naloxone", 0.4, "mg"), ("morphine", "morphine", 5, "mg"),
                         ("adrenaline", "epinephrine", 50, "mcg"), ("fentanyl", "fentanyl", 50, "mcg"), ("glucagon", "glucagon", 1, "mg")]:
    for tmpl in ["push {n} of {d} IV", "push {n} {d}", "{d} {n} iv push", "push {n}{u} {d}"]:
        n = fmt(v)
        p = tmpl.format(n=n, d=name, u=u)
        unit = u
        add(p, "drug", drug, n, unit, "iv", "bolus")

# infusions
INF = [("norepinephrine", ["norepinephrine", "noradrenaline", "norepi", "norad", "levophed", "noradrenalin", "norepinephrin"],
        [(0.1, "mcg/kg/min"), (0.05, "mcg/kg/min"), (0.2, "mcg/kg/min"), (0.3, "mcg/kg/min")]),
       ("epinephrine", ["adrenaline", "epinephrine"], [(0.05, "mcg/kg/min"), (0.1, "mcg/kg/min")]),
       ("insulin", ["insulin", "actrapid", "insulin infusion", "insuline", "regular insulin"], [(0.1, "units/kg/h"), (6, "units/h"), (7, "units/h")]),
       ("potassium chloride", ["potassium chloride", "kcl", "KCl", "potassium", "potasium chloride"], [(10, "mmol/h"), (20, "mmol/h")]),
       ("dextrose", ["dextrose 10%", "d10", "glucose 10%", "10% dextrose"], [(100, "ml/h"), (50, "ml/h")]),
       ("salbutamol", ["salbutamol"], [(1, "mg/h")])]
UTEXT = {"mcg/kg/min": ["mcg/kg/min", "micrograms per kg per minute", "mcg per kg per min", "micrograms/kg/min", "mcg/kg/minute", "ug/kg/min", "micrograms per kilo per minute"],
         "units/kg/h": ["units/kg/h", "units/kg/hr", "units per kg per hour", "u/kg/h", "units/kg/hour"],
         "units/h": ["units/h", "units per hour", "units an hour", "u/hr", "units/hr", "units hourly"],
         "mmol/h": ["mmol/h", "mmol per hour", "mmol/hr", "millimoles an hour"],
         "ml/h": ["ml/h", "ml/hr", "mls per hour", "ml an hour"], "mg/h": ["mg/h", "mg per hour"]}
for _ in range(110):
    drug, names, doses = rng.choice(INF)
    name = rng.choice(names)
    v, u = rng.choice(doses)
    num = number(v, 0.2)
    ut = rng.choice(UTEXT[u])
    form = rng.randrange(5)
    if form == 0:
        p = f"{name} {num} {ut}"
    elif form == 1:
        p = f"start {name} at {num} {ut}"
    elif form == 2:
        p = f"{name} infusion {num} {ut}" if "infusion" not in name else f"{name} {num} {ut}"
    elif form == 3:
        p = f"commence {name} {num} {ut} iv"
    else:
        p = f"run {name} at {num} {ut}"
    add(p, "drug", drug, fmt(v), u, "iv", "infusion")

# fluids and blood
FL = ["saline", "normal saline", "hartmann's", "hartmanns", "crystalloid", "fluids", "plasma-lyte", "ringer's", "0.9% saline", "fluid"]
for _ in range(70):
    form = rng.randrange(8)
    fl = rng.choice(FL)
    if form == 0:
        v = rng.choice([250, 500, 1000]); p = f"{rng.choice(['give ', '', 'bolus '])}{number(v)} ml {fl}"; d, u, r = v, "ml", "-"
    elif form == 1:
        v = rng.choice([250, 500, 1000]); m = rng.choice([15, 30, 60]); p = f"{fl} {v} ml over {number(m, 0.3)} minutes"; d, u, r = v, "ml", f"over:{m}"
    elif form == 2:
        p = f"give a litre of {fl} stat"; d, u, r = 1, "l", "-"
    elif form == 3:
        v = rng.choice([10, 20, 30]); p = f"fluids {v} ml/kg" + rng.choice(["", " over 60 min", " over an hour"]); d, u = v, "ml/kg"; r = "over:60" if "over" in p else "-"
    elif form == 4:
        v = rng.choice([1, 2]); h = rng.choice([1, 2, 4]); p = f"{number(v, 0.5)} {'litre' if v == 1 else 'litres'} of {fl} over {number(h, 0.5)} {'hour' if h == 1 else 'hours'}"; d, u, r = v, "l", f"over:{h*60}"
    elif form == 5:
        p = f"half a litre of {fl}"; d, u, r = 0.5, "l", "-"
    elif form == 6:
        v = rng.choice([100, 125, 150]); p = f"{fl} at {v} ml/h"; d, u, r = v, "ml/h", "infusion"
    else:
        v = rng.choice([500, 250]); p = f"{fl} bolus {v}mls"; d, u, r = v, "ml", "-"
    add(p, "fluid", "crystalloid", fmt(d), u, "-", r)
for p, d in [("blood 2 units", 2), ("transfuse 1 unit", 1), ("2 units of blood", 2), ("give two units prbc", 2), ("transfuse two units packed cells", 2),
             ("blood", "-"), ("transfuse", "-"), ("give 1 unit of blood", 1), ("packed cells 3 units", 3), ("o neg blood 2 units", 2)]:
    add(p, "fluid", "blood", fmt(d) if d != "-" else "-", "units" if d != "-" else "-", "-", "-")

# stop
for p, k, w in [("stop fluids", "stop_fluids", "-"), ("stop the fluids", "stop_fluids", "-"), ("stop norepinephrine", "stop_drug", "norepinephrine"),
                ("stop noradrenaline", "stop_drug", "norepinephrine"), ("discontinue the norad", "stop_drug", "norepinephrine"),
                ("stop insulin", "stop_drug", "insulin"), ("pause the insulin infusion", "stop_drug", "insulin"), ("stop the saline", "stop_fluids", "-"),
                ("stop kcl", "stop_drug", "potassium chloride"), ("stop adrenaline", "stop_drug", "epinephrine"), ("stop blood", "stop_fluids", "-"),
                ("discontinue fluids", "stop_fluids", "-")]:
    add(p, k, w)

# orders
ORD = {"lactate": ["lactate", "a lactate", "serum lactate", "lac"], "blood_gas": ["blood gas", "abg", "vbg", "a gas", "arterial blood gas"],
       "glucose": ["glucose", "bm", "cbg", "blood sugar", "capillary glucose"], "ketones": ["ketones", "blood ketones"],
       "fbc": ["fbc", "full blood count", "cbc"], "electrolytes": ["u&e", "u&es", "electrolytes", "renal function"],
       "troponin": ["troponin", "trop"], "blood_cultures": ["blood cultures", "cultures"], "ecg": ["ecg", "ekg", "12 lead ecg"],
       "chest_xray": ["chest x-ray", "cxr", "chest xray"], "ultrasound": ["fast scan", "pocus"], "ct": ["ct scan", "ct head"],
       "crossmatch": ["group and save", "crossmatch"], "urine_output": ["urinary catheter", "urine output"]}
OV = ["order ", "send ", "check ", "request ", "get ", "", "please order ", "can we get "]
for _ in range(75):
    o = rng.choice(list(ORD)); add(rng.choice(OV) + rng.choice(ORD[o]), "order", o)

# vitals, examine, ask, oxygen, airway, procedures, wait, help, end, confirm
for p in ["vitals", "check vitals", "obs", "repeat obs", "check the obs", "observations", "vital signs", "what are the vitals",
          "check vitals please", "Vitals", "monitor", "status", "repeat the observations", "latest obs"]:
    add(p, "vitals")
for p in ["examine", "examine the patient", "exam", "examination", "look at the patient", "examine patient", "Examine"]:
    add(p, "examine")
for p, t in [("ask about allergies", "allergies"), ("any allergies?", "allergies"), ("allergies?", "allergies"),
             ("ask about medications", "medications"), ("what medications do you take?", "medications"), ("any pain?", "pain"),
             ("ask about pain", "pain"), ("when did it start?", "onset"), ("ask about urinary symptoms", "urinary symptoms"),
             ("any cough?", "cough"), ("do you smoke?", "social history"), ("past medical history?", "past medical history"),
             ("history of pain", "pain"), ("ask when did this start", "onset"), ("what brings you in?", "presenting complaint"),
             ("does it hurt when you pee?", "urinary symptoms"), ("when did you last eat?", "onset")]:
    add(p, "ask", t)
for p, f in [("oxygen 15 l/min", 0.85), ("oxygen 15 litres", 0.85), ("15 l/min oxygen via non-rebreather", 0.85), ("oxygen", 0.85),
             ("oxygen 40%", 0.4), ("fio2 0.6", 0.6), ("o2 2 l/min nasal cannula", 0.29), ("oxygen 60%", 0.6), ("give oxygen", 0.85),
             ("oxygen off", 0.21), ("stop oxygen", 0.21), ("o2 15l", 0.85), ("fio2 100%", 1.0), ("oxygen 4 l/min", 0.37), ("nrb", 0.85)]:
    add(p, "oxygen", "-", fmt(f), "fio2")
for p in ["intubate", "rsi", "intubate and ventilate", "secure the airway: intubation", "Intubate"]:
    add(p, "intubate")
for p, w in [("needle decompression", "needle_decompression"), ("needle the chest", "needle_decompression"), ("needle thoracostomy", "needle_decompression"),
             ("chest drain", "chest_drain"), ("insert a chest tube", "chest_drain"), ("apply a tourniquet", "haemorrhage_control"),
             ("pelvic binder", "haemorrhage_control"), ("activate cath lab", "pci"), ("primary pci", "pci"), ("thrombolysis", "thrombolysis"),
             ("call for help", "call_senior"), ("call the icu", "call_senior"), ("iv access", "iv_access"), ("cannulate", "iv_access"),
             ("two large bore cannulas", "iv_access"), ("attach monitor", "monitoring")]:
    add(p, "procedure", w)
for p, s in [("wait 5 min", 300), ("wait five minutes", 300), ("wait 1 hour", 3600), ("wait 30 s", 30), ("wait", 60), ("wait 10 minutes", 600),
             ("wait two hours", 7200)]:
    add(p, "wait", "-", fmt(s), "s")
for p, k in [("help", "help"), ("?", "help"), ("end", "end"), ("quit", "end"), ("finish", "end"), ("confirm", "confirm"), ("yes", "confirm"),
             ("cancel", "cancel")]:
    add(p, k)
# not understood, or refused as written (no dose, a unit of the wrong dimension, a route the drug lacks)
for p, w in [("asdfgh", "-"), ("norepinephrine", "-"), ("give insulin", "-"), ("insulin 10 mg iv", "insulin"), ("ceftriaxone 2 g neb", "ceftriaxone"),
             ("salbutamol 5 mg im", "salbutamol"), ("dance", "-"), ("give 5", "-"), ("kcl 10 mmol/h im", "potassium chloride"),
             ("naloxone 0.4 mg po", "naloxone"), ("aspirin 300 mg sc", "aspirin")]:
    add(p, "unknown", w)

# split: generated rows alternate dev / heldout after a seeded shuffle
rng.shuffle(rows)
for i, r in enumerate(rows):
    r[1] = "dev" if i % 2 == 0 else "heldout"

# hand-written, held out, never tuned on
HAND = [
    ("Can I get 0.4mg of Narcan IV please", "drug", "naloxone", "0.4", "mg", "iv", "bolus"),
    ("pls push narcan 400 micrograms", "drug", "naloxone", "400", "mcg", "iv", "bolus"),
    ("IM adrenaline 500mcg into the thigh", "drug", "epinephrine", "500", "mcg", "im", "bolus"),
    ("noradrenaline to run at 0.15 mcg/kg/min", "drug", "norepinephrine", "0.15", "mcg/kg/min", "iv", "infusion"),
    ("put up a litre of Hartmann's over 2 hours", "fluid", "crystalloid", "1", "l", "-", "over:120"),
    ("500ml NaCl 0.9% stat", "fluid", "crystalloid", "500", "ml", "-", "-"),
    ("FRIII 0.1 units/kg/hr", "drug", "insulin", "0.1", "units/kg/h", "iv", "infusion"),
    ("sats probe and obs", "vitals", "-", "-", "-", "-", "-"),
    ("I'd like to examine her", "examine", "-", "-", "-", "-", "-"),
    ("2g ceftriaxone intravenously", "drug", "ceftriaxone", "2", "g", "iv", "bolus"),
    ("nebulise salbutamol 5 mg", "drug", "salbutamol", "5", "mg", "neb", "bolus"),
    ("five milligrams of morphine iv", "drug", "morphine", "5", "mg", "iv", "bolus"),
    ("check a VBG", "order", "blood_gas", "-", "-", "-", "-"),
    ("send off cultures", "order", "blood_cultures", "-", "-", "-", "-"),
    ("get an ECG", "order", "ecg", "-", "-", "-", "-"),
    ("what's the sugar?", "order", "glucose", "-", "-", "-", "-"),
    ("15L O2 non rebreather", "oxygen", "-", "0.85", "fio2", "-", "-"),
    ("start kcl 10 mmol per hour", "drug", "potassium chloride", "10", "mmol/h", "iv", "infusion"),
    ("glucose 10% 200ml iv over 15 min", "drug", "dextrose", "200", "ml", "iv", "over:15"),
    ("give D50 50 mL", "drug", "dextrose50", "50", "ml", "iv", "bolus"),
    ("1 mg glucagon IM", "drug", "glucagon", "1", "mg", "im", "bolus"),
    ("aspirin 300mg orally", "drug", "aspirin", "300", "mg", "po", "bolus"),
    ("GTN 400 micrograms sublingual", "drug", "glyceryl trinitrate", "400", "mcg", "sl", "bolus"),
    ("magnesium 2 grams IV over 20 minutes", "drug", "magnesium sulfate", "2", "g", "iv", "over:20"),
    ("hydrocortisone 200mg IV", "drug", "hydrocortisone", "200", "mg", "iv", "bolus"),
    ("transfuse 2 units O negative", "fluid", "blood", "2", "units", "-", "-"),
    ("stop the noradrenaline", "stop_drug", "norepinephrine", "-", "-", "-", "-"),
    ("turn off the oxygen", "oxygen", "-", "0.21", "fio2", "-", "-"),
    ("wait for 10 mins", "wait", "-", "600", "s", "-", "-"),
    ("ask her about allergies", "ask", "allergies", "-", "-", "-", "-"),
    ("fentanyl 100 mcg intranasal", "drug", "fentanyl", "100", "mcg", "in", "bolus"),
    ("amoxicillin one gram iv", "drug", "amoxicillin", "1", "g", "iv", "bolus"),
    ("Tazocin 4.5g IV", "drug", "piperacillin-tazobactam", "4.5", "g", "iv", "bolus"),
    ("insulin at six units per hour", "drug", "insulin", "6", "units/h", "iv", "infusion"),
    ("fluid challenge 250 ml", "fluid", "crystalloid", "250", "ml", "-", "-"),
    ("decompress the chest", "procedure", "needle_decompression", "-", "-", "-", "-"),
    ("order a chest film", "order", "chest_xray", "-", "-", "-", "-"),
    ("naloxone 0.4 intramuscular", "drug", "naloxone", "0.4", "mg", "im", "bolus"),
    ("salbutamol 2.5mg nebs", "drug", "salbutamol", "2.5", "mg", "neb", "bolus"),
    ("repeat the gas", "order", "blood_gas", "-", "-", "-", "-"),
]
for h in HAND:
    rows.append([h[0], "hand"] + list(h[1:]))

print("phrase\tsplit\tkind\twhat\tdose\tunit\troute\trate")
seen = set()
for r in rows:
    if r[0] in seen:
        continue
    seen.add(r[0])
    print("\t".join(str(x) for x in r))
