// The detector's word table: the cue lists (our own) and the loaded name lists and dictionaries.
#include "lexicon.h"

#include <utility>

#include "wordset.h"

namespace medgen::text::deid {

namespace {

// titles before a name
constexpr std::string_view kTitleWords[] = {
    "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "nurse", "sister", "rev", "sgt",
    "capt", "judge", "dra", "sr", "sra", "mme", "mlle", "herr", "frau", "madam", "mister", "missus",
    "chaplain", "pastor", "rabbi", "imam", "officer", "coach", "deacon", "encik", "puan", "cik", "tuan",
    "datuk", "dato", "bapak",
    // more honorifics and ranks, several languages ("Sra.", "Dott.", "Shri", "Lt."); not those that are
    // also names or units ("Don", "Bishop", "14 Fr")
    "sir", "dame", "lady", "lord", "hon", "cpl", "pvt", "lt", "col", "maj", "cdr", "insp", "constable",
    "dott", "dottssa", "dottoressa", "sigra", "signora", "signor", "srta", "doña", "senor", "señor", "senora",
    "señora", "senhor", "senhora", "monsieur", "madame", "mevrouw", "meneer", "dhr", "mevr", "shri", "smt",
    "shrimati", "kumari", "haji", "hajjah", "ustadh", "mstr"};
// credentials after a name
constexpr std::string_view kCredentialWords[] = {
    "md", "do", "rn", "cpht", "np", "pa", "pa-c", "phd", "mbbs", "mbchb", "frcp", "facp", "facs", "lpn", "lvn", "cna",
    "lcsw", "msw", "pharmd", "dpm", "dds", "dmd", "crna", "aprn", "fnp", "fnp-c", "mph", "rd", "rrt", "bsn",
    "msn", "dnp", "mrcp", "frcs", "facc", "mrcgp", "ccrn", "cnm", "psyd", "lmft", "od", "mba", "ms", "ma",
    "bs", "rph"};
// capitalised words that never start or continue a name run
constexpr std::string_view kNotNameWords[] = {
    "patient", "pt", "pts", "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by",
    "is", "was", "he", "she", "his", "her", "they", "their", "date", "dob", "mrn", "age", "sex", "male",
    "female", "hospital", "clinic", "center", "centre", "unit", "ward", "room", "icu", "ed", "er", "dept",
    "department", "service", "team", "medicine", "surgery", "cardiology", "history", "exam", "assessment",
    "plan", "note", "notes", "report", "diagnosis", "admission", "discharge", "follow", "phone", "fax",
    "email", "e-mail", "address", "street", "name", "signed", "dear", "sincerely", "regards", "thanks",
    "today", "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "re", "subject", "cc", "from", "sent", "per", "seen", "no", "yes", "not", "none", "if", "as",
    "but", "then", "who", "which", "that", "this", "these", "has", "had", "have", "will", "are", "be", "been",
    "it", "its", "pcp", "np", "rn", "md", "id", "ssn", "tel", "mobile", "cell", "home", "work", "office",
    "hpi", "pmh", "psh", "ros", "meds", "allergies", "vitals", "labs", "impression", "findings", "procedure",
    "indication", "technique", "comparison", "hx", "dx", "rx", "tx", "sx", "fx", "s/p", "w/", "c/o", "also",
    "please", "thank", "you", "we", "i", "my", "our", "your", "me", "him", "them", "mother", "father", "wife",
    "husband", "son", "daughter", "brother", "sister", "friend", "attending", "resident", "fellow", "intern",
    "nursing", "social", "work", "case", "manager", "pharmacy", "page", "pager", "contact", "emergency",
    "next", "kin", "nok", "primary", "care", "physician", "provider", "referring", "consultant",
    "interpreter", "jr", "sr", "ii", "iii", "iv"};
// name particles
constexpr std::string_view kParticleWords[] = {
    "van", "von", "de", "del", "della", "der", "den", "da", "di", "du", "le", "la", "st", "bin", "ibn", "al",
    "el", "ben", "dos", "das", "ter", "ten", "y",
    // Welsh "ap", Malay "binti"/"bint", Filipino "dela", Gaelic "Nic"/"Ní", German "zu"
    "ap", "binti", "bint", "dela", "nic", "n\xC3\xAD", "zu"};
// "LABEL:" heads after which a name follows
constexpr std::string_view kNameLabelWords[] = {
    "patient", "patient name", "pt", "pt name", "name", "attending", "attending physician", "physician",
    "provider", "surgeon", "assistant", "assistant surgeon", "anesthesiologist", "anaesthetist", "anesthesia",
    "resident", "intern", "fellow", "nurse", "rn", "np", "pa", "pcp", "primary care",
    "primary care physician", "gp", "referring", "referring physician", "referring provider", "referred by",
    "ordering physician", "ordered by", "ordering provider", "dictated by", "transcribed by", "signed by",
    "electronically signed by", "author", "authored by", "cosigner", "cosigned by", "cc", "to", "from",
    "dear", "contact", "emergency contact", "nok", "next of kin", "guardian", "spouse", "wife", "husband",
    "mother", "father", "son", "daughter", "sister", "brother", "caregiver", "interpreter", "witness",
    "reviewed by", "verified by", "performed by", "read by", "interpreted by", "consultant", "consulting",
    "consulting physician", "supervising", "supervising physician", "therapist", "pharmacist",
    "social worker", "case manager", "clinician", "doctor", "dr", "radiologist", "pathologist", "midwife",
    "partner", "parent", "informant", "historian", "source", "accompanied by", "seen by", "sender",
    "recipient", "requested by", "approved by", "prepared by", "copy to", "copies to", "signature", "signed",
    "surrogate", "poa", "health care proxy", "proxy", "legal guardian", "mr", "mrs", "ms", "practitioner",
    "physician name", "provider name", "patient's name", "patients name", "full name", "last name",
    "first name", "surname", "given name", "family name", "student", "scribe", "chaperone", "teacher",
    "employer",
    // staff roles and others on forms and in tables ("Sonographer: LR", "Visitor", "Doula:")
    "sonographer", "technologist", "technician", "tech", "visitor", "doula", "chaplain", "coach", "officer",
    "dietitian", "dietician", "audiologist", "endoscopist", "guarantor", "optometrist", "coordinator",
    "nurse coordinator", "case worker", "caseworker", "initials", "carer", "aide", "escort", "prescriber",
    "pharmacist in charge", "dentist", "hygienist", "paramedic", "medic", "crew", "driver", "instructor",
    // more forms and languages ("Client:", "Alias:", "Nombre:", "Vorname:", "Reported by:")
    "client", "client name", "resident name", "member", "member name", "subscriber", "subscriber name",
    "insured", "insured name", "policyholder", "beneficiary", "applicant", "donor", "donor name", "child",
    "child's name", "baby", "infant", "mother's name", "father's name", "maiden name", "alias", "aka",
    "nickname", "preferred name", "known as", "goes by", "nom", "prénom", "prenom", "nombre", "apellido",
    "apellidos", "vorname", "nachname", "paciente", "patiente", "patientin", "cognome", "nome", "naam",
    "achternaam", "voornaam", "imię", "imie", "nazwisko", "staff", "staff member", "employee",
    "employee name", "reporter", "reported by", "completed by", "entered by", "updated by", "created by",
    "modified by", "owner", "assigned to", "assignee", "requester", "requestor", "caller", "called by",
    "on call", "covering", "handed over to", "handover to", "accepting", "accepting physician", "receiving",
    "receiving nurse", "transferring", "family contact", "contact person", "relative", "responsible party",
    "parent/guardian", "parent or guardian", "admitting", "admitting physician", "discharging physician",
    "rendering provider", "billing provider", "registrar", "house officer", "named nurse", "key worker",
    "keyworker", "named consultant", "responsible clinician", "gp name", "name of patient",
    "patient full name", "client full name", "participant", "participant name", "subject name", "volunteer",
    "addressee", "attn", "attention", "re", "for", "patient/client", "mom", "dad", "mum", "grandmother",
    "grandfather", "aunt", "uncle", "friend", "neighbour", "neighbor", "roommate", "carer name", "sponsor",
    "insured party", "policy holder", "reviewer", "observer", "scribe name", "co-signer", "countersigned by",
    "supervisor", "preceptor", "mentor", "tutor", "lawyer", "attorney", "solicitor", "advocate", "notary",
    "social worker name", "host", "presenter", "speaker", "user", "agent", "operator", "dispatcher",
    "transcriptionist", "typist", "typed by", "dictated", "transcribed", "reviewer name", "nurse name",
    // who checked, dispensed or witnessed (pharmacy, blood, controlled drugs: often initials)
    "checked", "checked by", "double checked by", "double-checked by", "second check", "second checker",
    "checker", "dispensed", "dispensed by", "counselled by", "counseled by", "administered by", "witnessed",
    "witnessed by", "issued by", "collected by", "collector", "received by", "packed by", "released by",
    "authorised by", "authorized by", "signed off by", "labelled by", "labeled by"};
// words after which a name follows without a colon
constexpr std::string_view kNameVerb1Words[] = {
    "per", "cc", "seeing", "regarding", "meet", "ask", "asked", "tell", "told", "call", "page", "notify",
    "email", "see", "paged", "named", "aka", "called", "contacted", "notified", "informed", "texted",
    "emailed", "messaged", "thanks", "thank"};
// relatives and others close to the patient
constexpr std::string_view kRelativeWords[] = {
    "wife", "husband", "spouse", "partner", "son", "daughter", "mother", "father", "mom", "dad", "mum",
    "brother", "sister", "friend", "boyfriend", "girlfriend", "fiance", "fiancee", "niece", "nephew", "aunt",
    "uncle", "grandson", "granddaughter", "grandmother", "grandfather", "grandma", "grandpa", "neighbor",
    "neighbour", "caregiver", "guardian", "roommate", "cousin", "stepson", "stepdaughter", "stepmother",
    "stepfather", "sibling", "child", "children", "colleague", "coworker", "landlord", "carer", "proxy",
    // plurals: "children Mark and Lisa", "sons Tom and Ben"
    "sons", "daughters", "brothers", "sisters", "siblings", "parents", "grandchildren", "grandsons",
    "granddaughters", "kids", "friends", "cousins", "neighbors", "neighbours",
    "twin",
    // more family and household words ("son-in-law", "godmother", "hubby", "ex-wife")
    "son-in-law", "daughter-in-law", "mother-in-law", "father-in-law", "brother-in-law", "sister-in-law",
    "stepbrother", "stepsister", "half-brother", "half-sister", "godmother", "godfather", "godson",
    "goddaughter", "granny", "nana", "nan", "grandad", "granddad", "gran", "auntie", "aunty", "mama", "papa",
    "mommy", "daddy", "hubby", "ex-wife", "ex-husband", "ex-partner", "widow", "widower", "fiancé", "fiancée",
    "companion", "housemate", "flatmate", "stepmom", "stepdad", "stepmum", "foster", "grandchild",
    "great-grandson", "great-granddaughter", "grandaughter", "bf", "gf", "sponsor", "godparent", "stepchild",
    "in-laws", "twins", "triplet",
    // Russian, Ukrainian, Belarusian and Kyrgyz (after a capital in notes: "Жонка Вольга")
    "жена", "муж", "сын", "дочь", "мать", "отец", "брат", "сестра", "супруга", "супруг", "дружина",
    "чоловік", "донька", "син", "жонка", "дачка", "маці", "бацька", "сястра", "аялы", "кызы", "уулу",
    "күйөөсү", "апасы", "атасы"};
// verbs before "by"/"with"/"to" and a name
constexpr std::string_view kByVerbWords[] = {
    "signed", "seen", "discussed", "spoke", "spoken", "dictated", "transcribed", "reviewed", "referred",
    "evaluated", "examined", "performed", "attended", "accompanied", "followed", "visited", "treated",
    "managed", "staffed", "consulted", "cosigned", "approved", "prepared", "covered", "interviewed",
    "verified", "authorized", "authorised", "read", "interpreted", "written", "talked", "met", "called",
    "d/w", "care",
    // more verbs before by/with/to and a name ("given by J. Okafor", "handed over to Precious")
    "given", "handed", "reported", "checked", "witnessed", "co-signed", "supervised", "assessed",
    "counselled", "counseled", "escorted", "transported", "brought", "collected", "drawn", "administered",
    "vaccinated", "triaged", "updated", "texted", "phoned", "rang", "emailed", "messaged", "consented",
    "scribed", "entered", "completed", "documented", "observed", "cleared", "assisted", "relieved",
    "booked", "requested", "prescribed", "chaperoned", "translated", "signed-off", "handover", "sent",
    "forwarded", "faxed", "received", "accepted", "released", "co-signed", "attested", "confirmed",
    "lives", "living", "stays", "staying", "resides", "residing", "married", "engaged"};
// sign-off lines before a signature
constexpr std::string_view kSignoffWords[] = {
    "sincerely", "regards", "thanks", "thank you", "best", "best regards", "kind regards", "warm regards",
    "yours sincerely", "yours faithfully", "respectfully", "cordially", "cheers", "yours truly",
    "with thanks", "many thanks", "signed", "electronically signed", "warmly", "all the best", "take care"};
// words after an eponym ("Parkinson's disease")
constexpr std::string_view kEponymHeadWords[] = {
    "disease", "syndrome", "sign", "test", "criteria", "score", "palsy", "procedure", "operation", "maneuver",
    "manoeuvre", "reflex", "classification", "scale", "fracture", "tube", "catheter", "ulcer", "phenomenon",
    "law", "node", "nodes", "cell", "cells", "type", "stage", "solution", "index", "formula", "equation",
    "method", "position", "incision", "hernia", "lesion", "tumor", "tumour", "body", "bodies", "disorder",
    "effect", "triad", "rule"};
// cues before an identifier
constexpr std::string_view kIdCueWords[] = {
    "mrn", "mr#", "record", "chart", "account", "acct", "acc", "id", "identifier", "policy", "member",
    "subscriber", "group", "plan", "medicaid", "medicare", "license", "licence", "lic", "dea", "npi", "upin",
    "serial", "sn", "s/n", "vin", "plate", "device", "badge", "employee", "claim", "specimen", "accession",
    "encounter", "visit", "fin", "csn", "hicn", "mbi", "passport", "certificate", "cert", "biometric",
    "fingerprint", "retinal", "voiceprint", "photo", "photograph", "nhs", "chi", "ird", "health card",
    "insurance", "ins", "tag", "barcode", "wristband", "udi", "lot", "model", "case", "ref", "reference",
    "file", "order", "requisition", "req", "confirmation", "ticket", "bed", "hospital number", "unit number",
    "pin", "ssn", "ss#", "social", "sin", "ahcip", "imei", "mac", "registration", "reg", "tracking",
    "patient id", "number", "no", "#", "nbr", "num",
    // plurals, other languages and national numbers ("Nr.", "Nº", "NHI", "PESEL", "CURP", "Aadhaar")
    "numbers", "nos", "ids", "nr", "nº", "n°", "numero", "número", "numéro", "nummer", "dossier",
    "expediente", "cedula", "cédula", "dni", "nie", "nif", "cpf", "curp", "nss", "pesel", "bsn", "ahv",
    "svnr", "insee", "nir", "ramq", "ohip", "phn", "hcn", "nhi", "ihi", "nric", "aadhaar", "abha", "uhid",
    "booking", "unos", "subject", "donor", "batch", "voucher", "invoice", "receipt", "transaction",
    "authorization", "authorisation", "auth", "prescription", "permit", "iccid", "uuid", "guid", "nino",
    "ein", "itin", "hic", "cin", "crn", "urn", "hosp", "inmate", "booking#", "docket", "referral",
    "protocol", "participant", "enrollment", "enrolment", "randomization", "randomisation", "kennitala",
    "personnummer", "henkilötunnus", "cnp", "egn", "oib", "emso", "tckn", "amka", "pps", "ppsn", "tfn",
    "sozialversicherungsnummer", "versichertennummer", "krankenversichertennummer", "carte", "vitale",
    "secu", "tessera", "sanitaria", "codice", "fiscale", "tarjeta", "sanitaria", "sip", "cip", "nhc",
    "historia", "prontuário", "prontuario", "cartão", "sus", "job", "dictation", "study",
    // hospital record number, Hungarian TAJ, the US A-Number, frequent-flyer and flowcell numbers
    "hrn", "taj", "a-number", "a#", "flyer", "flowcell",
    // vehicle plates and vaccine lots in other languages, the Brazilian CEP
    "placa", "matrícula", "matricula", "kenteken", "kennzeichen", "targa", "lote", "cep",
    // a British police officer's collar (shoulder) number, a warrant card
    "collar", "warrant"};
// words between an identifier cue and the identifier
constexpr std::string_view kIdFillerWords[] = {
    "no", "number", "num", "nbr", "is", "id", "#", "of", "security", "record", "medical", "mrn", "acct",
    "account", "plan", "member", "policy", "card", "code", "insurance", "serial", "the", "identifier",
    "health", "beneficiary", "group", "subscriber", "licence", "license", "reg", "registration", "sn", "ins",
    "numbers", "nos", "nr", "nº", "n°", "numero", "número", "numéro", "nummer", "de", "du", "clinica",
    "clínica", "clinique", "vitale", "sanitaria", "fiscale", "card#", "ids", "are", "was", "on", "file",
    "ending", "ends", "last", "four", "digits"};
// cues before a telephone number
constexpr std::string_view kPhoneCueWords[] = {
    "phone", "tel", "telephone", "cell", "mobile", "fax", "pager", "ph", "beeper", "cellphone", "landline",
    "whatsapp", "sms", "text", "callback", "call", "contact", "ext", "extension", "mob", "tele", "dial",
    "voicemail", "hotline", "number",
    "bleep", "pgr", "telefon", "telefono", "teléfono", "telefone", "téléphone", "tél", "handy", "portable",
    "movil", "móvil", "celular", "cel", "tlf", "tfn", "switchboard", "reception", "direct", "line", "phones",
    "numbers", "contactable", "reachable", "reached", "vocera", "cellular", "telefonnummer", "tel#", "ph#",
    "gsm", "tel.", "telf", "puhelin", "telefoon", "mobiel",
    // Cyrillic: Russian, Ukrainian, Belarusian, Serbian, Kyrgyz ("тел.", "тэл.", "моб.")
    "тел", "тэл", "телефон", "тэлефон", "моб", "мобильный", "мобільний", "мабільны"};
// top-level domains of host names
constexpr std::string_view kUrlTldWords[] = {
    "com", "org", "net", "edu", "gov", "io", "co", "uk", "us", "info", "health", "de", "fr", "ca", "au", "nl",
    "ch", "eu", "biz", "me", "app", "mil", "int", "nhs", "ie", "nz", "in", "es", "it"};
// street suffixes
constexpr std::string_view kStreetSuffixWords[] = {
    "street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr",
    "court", "ct", "way", "place", "pl", "terrace", "ter", "circle", "cir", "highway", "hwy", "parkway",
    "pkwy", "square", "sq", "trail", "trl", "crescent", "cres", "close", "row", "plaza", "alley", "pike",
    "route", "rte", "loop", "path", "walk", "gardens", "grove", "heights", "park", "mews", "broadway",
    "turnpike", "expressway", "freeway", "crossing", "xing", "point", "pt", "ridge", "hollow", "bend", "run",
    "strasse", "straße", "rue", "calle", "via", "avenida", "weg", "gasse", "green", "hill", "view", "vale",
    "wharf"};
// units of an address
constexpr std::string_view kUnitWordWords[] = {
    "apt", "apartment", "suite", "ste", "unit", "fl", "floor", "room", "rm", "bldg", "building", "flat",
    "lot", "space", "box"};
// facility heads
constexpr std::string_view kFacilityWords[] = {
    "hospital", "clinic", "infirmary", "hospice", "healthcare", "pharmacy", "university", "college", "school",
    "academy", "manor", "sanatorium", "sanitarium", "hospitals", "clinics", "polyclinic", "dispensary",
    "prison", "jail", "church", "shelter", "institute", "surgery", "practice", "lodge", "residence", "care",
    "associates", "convent", "monastery", "mosque", "temple", "synagogue", "cathedral", "chapel", "hostel",
    "penitentiary", "sanatorium", "orphanage", "kindergarten", "nursery", "daycare", "preschool"};
// second words of facility names
constexpr std::string_view kFacility2Words[] = {
    "center", "centre", "system", "home", "group", "services", "facility", "network", "partners", "health",
    "aid", "pharmacy", "hospice", "labs", "laboratories", "imaging", "radiology",
    // specialties and places after a specific capitalised word ("Harbourview Orthopaedics",
    // "St. Brendan's Parish", "Hennepin County", "Burnside Bridge")
    "orthopaedics", "orthopedics", "pediatrics", "paediatrics", "dermatology", "urology", "oncology",
    "neurology", "obstetrics", "gynecology", "gynaecology", "cardiology", "parish", "county", "bridge"};
// words that do not make a facility name specific
constexpr std::string_view kFacilityGenericWords[] = {
    "the", "our", "this", "your", "emergency", "local", "outside", "general", "community", "medical",
    "health", "regional", "memorial", "children's", "university", "state", "county", "city", "private",
    "public", "teaching", "rehab", "nursing", "a", "an", "at", "same", "other", "another", "primary",
    "urgent", "walk-in", "dental", "eye", "cancer", "family", "internal", "medicine", "day", "mental",
    "behavioral", "behavioural", "women's", "surgical", "care", "home", "practice", "gp", "high", "middle",
    "elementary", "grammar", "medical", "nursing", "sleep", "pain", "heart", "diabetes", "foot", "vein",
    "research", "national", "veterans", "va", "v.a.", "methadone", "infusion", "dialysis", "wound",
    "fertility", "ivf", "physical", "therapy", "pt", "ot", "speech", "skilled"};
// phrases before a place (at most two words are matched)
constexpr std::string_view kLocCueWords[] = {
    "lives in", "living in", "resides in", "resident of", "moved to", "moved from", "born in", "native of",
    "visiting from", "grew up in", "home in", "originally from", "transferred from", "works at",
    "employed at", "works for", "employed by", "relocated to", "travel to", "traveled to", "travelled to",
    "trip to", "returned from", "lived in", "raised in", "immigrated from", "emigrated from", "vacation in",
    "holiday in", "came from", "arrived from", "flew to", "flew from", "visited", "stays in", "staying in",
    "based in", "located in", "attends", "studies at", "transferred to", "admitted to", "discharged to",
    "sent to", "retired from", "worked at", "works in", "worked in", "lives at", "resides at", "living at",
    "going to", "goes to", "cruise to", "camping in", "hiking in"};
// state and province names
constexpr std::string_view kStateNameWords[] = {
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
    "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana",
    "maine", "maryland", "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana",
    "nebraska", "nevada", "ohio", "oklahoma", "oregon", "pennsylvania", "tennessee", "texas", "utah",
    "vermont", "virginia", "washington", "wisconsin", "wyoming", "ontario", "quebec", "alberta", "manitoba"};
// languages and other capitalised words after "in" that are no place
constexpr std::string_view kLanguageWords[] = {
    "english", "spanish", "french", "german", "chinese", "russian", "arabic", "portuguese", "italian",
    "japanese", "korean", "vietnamese", "hindi", "urdu", "polish", "turkish", "mandarin", "cantonese",
    "tagalog", "farsi", "somali", "amharic", "swahili", "greek", "hebrew", "bengali", "punjabi", "haitian",
    "creole", "braille", "latin", "celsius", "fahrenheit", "general", "total"};
// month names that are also common words
constexpr std::string_view kMonthAmbiguousWords[] = {
    "may", "march", "mar", "jan", "jun", "dec", "oct", "aug", "sep", "nov", "apr", "feb", "jul", "mars",
    "mayo", "mai", "marco", "mei", "dez", "maio", "mawrth", "medi", "marca", "marso", "mart", "mars", "marta",
    "maj", "kovo", "liepos", "spalio"};
// words before a bare month name that make it a date
constexpr std::string_view kDatePrepWords[] = {
    "in", "of", "since", "until", "till", "during", "early", "late", "mid", "before", "after", "by", "from",
    "through", "thru", "last", "next", "this", "on", "around", "circa", "ca", "between", "and", "to", "date",
    "dated", "dob", "-"};
// weekdays
constexpr std::string_view kWeekdayWords[] = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "tues", "thurs", "fri",
    // French, Spanish, Italian, German ("le jeudi 4 déc.", "el viernes 5", "am Montag")
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "lunes", "martes", "miércoles",
    "miercoles", "jueves", "viernes", "sábado", "sabado", "domingo", "lunedì", "martedì", "mercoledì",
    "giovedì", "venerdì", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
    // Russian and Ukrainian (not "среда", also "environment"), Croatian and Serbian, Estonian
    "понедельник", "вторник", "четверг", "пятница", "пятницу", "суббота", "субботу", "воскресенье",
    "понеділок", "вівторок", "четвер", "п'ятниця", "п'ятницю", "субота", "суботу", "неділя", "неділю",
    "ponedjeljak", "ponedeljak", "utorak", "srijeda", "sreda", "četvrtak", "petak", "subota", "nedjelja",
    "nedelja", "nedelje", "nedjelje", "esmaspäev", "teisipäev", "kolmapäev", "neljapäev", "laupäev",
    "pühapäev",
    // Catalan, Galician (not "xoves"-like common words), Frisian, Scottish Gaelic, Basque, Belarusian,
    // Mauritian and Seychellois Creole ("lindi": also a place; a weekday only as a date word)
    "dilluns", "dimarts", "dimecres", "dijous", "divendres", "dissabte", "diumenge", "mércores", "xoves",
    "venres", "moandei", "tiisdei", "woansdei", "tongersdei", "sneon", "snein", "diluain", "dimàirt",
    "dimairt", "diciadain", "diardaoin", "dihaoine", "disathairne", "didòmhnaich", "astelehena", "asteartea",
    "asteazkena", "osteguna", "ostirala", "larunbata", "igandea", "панядзелак", "аўторак", "серада",
    "чацвер", "пятніца", "субота", "нядзеля", "lindi", "merkredi", "zedi", "vandredi", "samdi", "dimans"};
// holidays
constexpr std::string_view kHolidayWords[] = {
    "christmas", "xmas", "thanksgiving", "easter", "halloween", "hanukkah", "chanukah", "ramadan", "eid",
    "diwali", "passover", "kwanzaa", "valentine's", "valentines", "anzac", "naidoc", "waitangi", "matariki",
    "hogmanay", "nowruz", "navruz", "vesak", "songkran", "timket", "meskel", "ferragosto", "silvester",
    "purim", "sukkot", "shavuot", "ramazan", "bayram", "navratri", "dussehra", "pongal", "lohri",
    "sinterklaas", "pakjesavond", "juleaften", "chuseok", "seollal", "yennayer", "epiphany", "pentecost"};
// words after an age
constexpr std::string_view kAgeWordWords[] = {
    "year-old", "years-old", "yo", "y", "yr", "yrs", "year", "years", "yrs.", "yr-old", "yo.", "yoa",
    "years-of-age", "y/o", "month-old", "yr.old", "yearold", "m", "f", "male", "female", "man", "woman",
    "gentleman", "lady", "yof", "yom", "ym", "yf", "-year-old", "jähriger", "jährige", "ans", "años"};
// units after a number
constexpr std::string_view kUnitAfterNumberWords[] = {
    "mg", "mcg", "g", "kg", "ml", "l", "mmol", "meq", "units", "u", "iu", "mm", "cm", "hrs", "h", "min",
    "mmhg", "bpm", "ng", "pg", "k", "x", "days", "weeks", "tabs", "caps"};
// chunks before a bare day/month ("9/2") that make it a date
constexpr std::string_view kDayMonthCueWords[] = {
    "on", "since", "from", "until", "till", "dated", "date", "by", "of", "seen", "dob", "admitted",
    "discharged", "to", "thru", "through", "before", "after", "date:", "dos", "dos:", "dob:", "visit",
    "returned", "started", "stopped", "due", "last", "next", "-", "f/u", "fu", "rtc", "appt", "appointment",
    "scheduled", "surgery", "admit", "admission", "discharge", "onset", "since:"};
// lower-case words after a bare day/month that do not make it a score
constexpr std::string_view kDayMonthPrepWords[] = {
    "by", "at", "in", "with", "and", "to", "for", "from", "via", "per", "after", "before", "until", "or",
    "on", "was", "is", "were", "when", "where", "w"};
// US state and Canadian province codes (matched on all-capital tokens)
constexpr std::string_view kStateWords[] = {
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks", "ky",
    "la", "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd",
    "oh", "ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy", "dc",
    "pr", "on", "qc", "bc", "ab", "mb", "sk", "ns", "nb", "nl", "pe"};
// month names and abbreviations (English, French, German, Spanish, Italian, Portuguese, Dutch)
constexpr std::pair<std::string_view, int> kMonthWords[] = {
    {"january", 1}, {"jan", 1}, {"february", 2}, {"feb", 2}, {"march", 3}, {"mar", 3}, {"april", 4},
    {"apr", 4}, {"may", 5}, {"june", 6}, {"jun", 6}, {"july", 7}, {"jul", 7}, {"august", 8}, {"aug", 8},
    {"september", 9}, {"sep", 9}, {"sept", 9}, {"october", 10}, {"oct", 10}, {"november", 11}, {"nov", 11},
    {"december", 12}, {"dec", 12}, {"janvier", 1}, {"fevrier", 2}, {"mars", 3}, {"avril", 4}, {"juin", 6},
    {"juillet", 7}, {"aout", 8}, {"septembre", 9}, {"octobre", 10}, {"novembre", 11}, {"decembre", 12},
    {"januar", 1}, {"februar", 2}, {"juni", 6}, {"juli", 7}, {"oktober", 10}, {"dezember", 12}, {"enero", 1},
    {"febrero", 2}, {"marzo", 3}, {"abril", 4}, {"mayo", 5}, {"junio", 6}, {"julio", 7}, {"agosto", 8},
    {"septiembre", 9}, {"octubre", 10}, {"noviembre", 11}, {"diciembre", 12},
    // French with accents, German, Italian, Portuguese and Dutch
    {"février", 2}, {"août", 8}, {"décembre", 12}, {"märz", 3}, {"maerz", 3}, {"mai", 5}, {"okt", 10},
    {"dez", 12}, {"gennaio", 1}, {"febbraio", 2}, {"aprile", 4}, {"maggio", 5}, {"giugno", 6}, {"luglio", 7},
    {"settembre", 9}, {"ottobre", 10}, {"dicembre", 12}, {"janeiro", 1}, {"fevereiro", 2}, {"março", 3},
    {"marco", 3}, {"maio", 5}, {"junho", 6}, {"julho", 7}, {"setembro", 9}, {"outubro", 10}, {"dezembro", 12},
    {"januari", 1}, {"februari", 2}, {"maart", 3}, {"mei", 5}, {"augustus", 8}, {"setiembre", 9},
    // Welsh, Polish (the genitive of dates: "12 grudnia 2025"), Malay and Indonesian, Swahili,
    // Tagalog, Afrikaans (the forms not above; none that is also a common first name)
    {"ionawr", 1}, {"chwefror", 2}, {"mawrth", 3}, {"ebrill", 4}, {"mehefin", 6}, {"gorffennaf", 7},
    {"awst", 8}, {"medi", 9}, {"hydref", 10}, {"tachwedd", 11}, {"rhagfyr", 12}, {"stycznia", 1},
    {"lutego", 2}, {"marca", 3}, {"kwietnia", 4}, {"czerwca", 6}, {"lipca", 7}, {"sierpnia", 8},
    {"wrze\xC5\x9Bnia", 9}, {"wrzesnia", 9}, {"pa\xC5\xBA" "dziernika", 10}, {"pazdziernika", 10},
    {"listopada", 11}, {"grudnia", 12}, {"julai", 7}, {"ogos", 8}, {"disember", 12}, {"machi", 3},
    {"aprili", 4}, {"agosti", 8}, {"septemba", 9}, {"oktoba", 10}, {"novemba", 11}, {"desemba", 12},
    {"pebrero", 2}, {"marso", 3}, {"hunyo", 6}, {"hulyo", 7}, {"setyembre", 9}, {"oktubre", 10},
    {"nobyembre", 11}, {"disyembre", 12}, {"januarie", 1}, {"februarie", 2}, {"desember", 12},
    // French abbreviations ("4 déc.", "12 janv. 2025"), Irish, Hungarian, Czech (the genitive of dates:
    // "2. prosince 2025")
    {"janv", 1}, {"févr", 2}, {"fevr", 2}, {"avr", 4}, {"juil", 7}, {"déc", 12}, {"eanáir", 1},
    {"feabhra", 2}, {"márta", 3}, {"aibreán", 4}, {"bealtaine", 5}, {"meitheamh", 6}, {"iúil", 7},
    {"lúnasa", 8}, {"samhain", 11}, {"nollaig", 12}, {"január", 1}, {"február", 2}, {"március", 3},
    {"április", 4}, {"május", 5}, {"június", 6}, {"július", 7}, {"augusztus", 8}, {"szeptember", 9},
    {"október", 10}, {"ledna", 1}, {"února", 2}, {"března", 3}, {"dubna", 4}, {"května", 5},
    {"června", 6}, {"července", 7}, {"srpna", 8}, {"září", 9}, {"října", 10}, {"listopadu", 11},
    {"prosince", 12},
    // Russian, Ukrainian, Serbian, Bulgarian, Kazakh (Cyrillic), Lithuanian, Latvian, Estonian,
    // Albanian, Uzbek and Azerbaijani, Croatian, Slovak, Georgian and Armenian (the forms of dates:
    // genitives mostly, "2 декабря 2025 г.", "2025 m. gruodžio 2 d.", "2025. gada 2. decembrī")
    {"января", 1}, {"январь", 1}, {"січня", 1}, {"січень", 1}, {"јануар", 1}, {"јануара", 1}, {"януари", 1},
    {"қаңтар", 1}, {"sausio", 1}, {"janvāra", 1}, {"janvārī", 1}, {"jaanuar", 1}, {"janar", 1},
    {"yanvar", 1}, {"siječnja", 1}, {"januára", 1}, {"იანვარი", 1}, {"հունվարի", 1}, {"февраля", 2},
    {"февраль", 2}, {"лютого", 2}, {"лютий", 2}, {"фебруар", 2}, {"фебруара", 2}, {"февруари", 2},
    {"ақпан", 2}, {"vasario", 2}, {"februāra", 2}, {"februārī", 2}, {"veebruar", 2}, {"fevral", 2},
    {"veljače", 2}, {"februára", 2}, {"თებერვალი", 2}, {"փետրվարի", 2}, {"марта", 3}, {"березня", 3},
    {"березень", 3}, {"наурыз", 3}, {"kovo", 3}, {"marta", 3}, {"martā", 3}, {"märts", 3}, {"ožujka", 3},
    {"მარტი", 3}, {"մարտի", 3}, {"апреля", 4}, {"апрель", 4}, {"квітня", 4}, {"квітень", 4}, {"април", 4},
    {"априла", 4}, {"сәуір", 4}, {"balandžio", 4}, {"aprīļa", 4}, {"aprīlī", 4}, {"aprill", 4}, {"prill", 4},
    {"aprel", 4}, {"travnja", 4}, {"apríla", 4}, {"აპრილი", 4}, {"ապրիլի", 4}, {"мая", 5}, {"травня", 5},
    {"травень", 5}, {"мамыр", 5}, {"gegužės", 5}, {"maija", 5}, {"maijā", 5}, {"svibnja", 5}, {"mája", 5},
    {"მაისი", 5}, {"մայիսի", 5}, {"июня", 6}, {"июнь", 6}, {"червня", 6}, {"червень", 6}, {"јун", 6},
    {"јуна", 6}, {"юни", 6}, {"маусым", 6}, {"birželio", 6}, {"jūnija", 6}, {"jūnijā", 6}, {"juuni", 6},
    {"qershor", 6}, {"iyun", 6}, {"lipnja", 6}, {"júna", 6}, {"ივნისი", 6}, {"հունիսի", 6}, {"июля", 7},
    {"июль", 7}, {"липня", 7}, {"липень", 7}, {"јул", 7}, {"јула", 7}, {"юли", 7}, {"шілде", 7},
    {"liepos", 7}, {"jūlija", 7}, {"jūlijā", 7}, {"juuli", 7}, {"korrik", 7}, {"iyul", 7}, {"srpnja", 7},
    {"júla", 7}, {"ივლისი", 7}, {"հուլիսի", 7}, {"августа", 8}, {"серпня", 8}, {"серпень", 8}, {"тамыз", 8},
    {"rugpjūčio", 8}, {"augusta", 8}, {"augustā", 8}, {"gusht", 8}, {"avgust", 8}, {"avqust", 8},
    {"kolovoza", 8}, {"აგვისტო", 8}, {"օգոստոսի", 8}, {"сентября", 9}, {"сентябрь", 9}, {"вересня", 9},
    {"вересень", 9}, {"септембар", 9}, {"септембра", 9}, {"септември", 9}, {"қыркүйек", 9}, {"rugsėjo", 9},
    {"septembra", 9}, {"septembrī", 9}, {"shtator", 9}, {"sentabr", 9}, {"sentyabr", 9}, {"rujna", 9},
    {"სექტემბერი", 9}, {"սեպտեմբերի", 9}, {"октября", 10}, {"октябрь", 10}, {"жовтня", 10}, {"жовтень", 10},
    {"октобар", 10}, {"октобра", 10}, {"октомври", 10}, {"қазан", 10}, {"spalio", 10}, {"oktobra", 10},
    {"oktobrī", 10}, {"oktoober", 10}, {"tetor", 10}, {"oktabr", 10}, {"oktyabr", 10}, {"októbra", 10},
    {"ოქტომბერი", 10}, {"հոկտեմբերի", 10}, {"ноября", 11}, {"ноябрь", 11}, {"листопада", 11},
    {"листопад", 11}, {"новембар", 11}, {"новембра", 11}, {"ноември", 11}, {"қараша", 11}, {"lapkričio", 11},
    {"novembra", 11}, {"novembrī", 11}, {"nëntor", 11}, {"noyabr", 11}, {"studenoga", 11}, {"studenog", 11},
    {"ნოემბერი", 11}, {"նոյեմբերի", 11}, {"mart", 3}, {"декабря", 12}, {"декабрь", 12}, {"грудня", 12}, {"грудень", 12},
    {"децембар", 12}, {"децембра", 12}, {"декември", 12}, {"желтоқсан", 12}, {"gruodžio", 12},
    {"decembra", 12}, {"decembrī", 12}, {"detsember", 12}, {"dhjetor", 12}, {"dekabr", 12}, {"prosinca", 12},
    {"დეკემბერი", 12}, {"დეკემბრის", 12}, {"դեկտեմբերի", 12}, {"disemba", 12},
    // Catalan, Galician, Basque (and its genitive of dates: "2025eko abenduaren 2a"), Belarusian (the
    // genitive: "2 снежня 2025 г."), Frisian, Scottish Gaelic ("2 an Dùbhlachd 2025"), Kyrgyz (the
    // forms of dates: "2-декабры"), Mauritian Creole
    {"gener", 1}, {"febrer", 2}, {"març", 3}, {"maig", 5}, {"juny", 6}, {"juliol", 7}, {"agost", 8},
    {"setembre", 9}, {"novembre", 11}, {"desembre", 12}, {"xaneiro", 1}, {"febreiro", 2}, {"xuño", 6},
    {"xullo", 7}, {"novembro", 11}, {"decembro", 12}, {"urtarrila", 1}, {"urtarrilaren", 1}, {"otsaila", 2},
    {"otsailaren", 2}, {"martxoa", 3}, {"martxoaren", 3}, {"apirila", 4}, {"apirilaren", 4}, {"maiatza", 5},
    {"maiatzaren", 5}, {"ekaina", 6}, {"ekainaren", 6}, {"uztaila", 7}, {"uztailaren", 7}, {"abuztua", 8},
    {"abuztuaren", 8}, {"iraila", 9}, {"irailaren", 9}, {"urria", 10}, {"urriaren", 10}, {"azaroa", 11},
    {"azaroaren", 11}, {"abendua", 12}, {"abenduaren", 12}, {"студзеня", 1}, {"лютага", 2}, {"сакавіка", 3},
    {"красавіка", 4}, {"чэрвеня", 6}, {"ліпеня", 7}, {"жніўня", 8}, {"верасня", 9}, {"кастрычніка", 10},
    {"лістапада", 11}, {"снежня", 12}, {"jannewaris", 1}, {"febrewaris", 2}, {"maaie", 5}, {"septimber", 9},
    {"novimber", 11}, {"desimber", 12}, {"faoilleach", 1}, {"gearran", 2}, {"giblean", 4}, {"cèitean", 5},
    {"ceitean", 5}, {"ògmhios", 6}, {"iuchar", 7}, {"lùnastal", 8}, {"sultain", 9}, {"dàmhair", 10},
    {"dùbhlachd", 12}, {"dubhlachd", 12}, {"январы", 1}, {"февралы", 2}, {"марты", 3}, {"апрели", 4},
    {"сентябры", 9}, {"октябры", 10}, {"ноябры", 11}, {"декабры", 12}, {"zanvie", 1}, {"fevriye", 2},
    {"desam", 12}};
// months of other calendars, with their own years: Solar Hijri (Iran, Afghanistan: "11 Azar 1404"),
// Hebrew ("12 Kislev 5786"), Ethiopian ("Hidar 23, 2018 E.C."); the month number is the position in
// the calendar's year. Left out: those that are common words or names in English notes ("Av", "Dey").
constexpr std::pair<std::string_view, int> kOtherMonthWords[] = {
    {"farvardin", 1}, {"ordibehesht", 2}, {"khordad", 3}, {"mordad", 5}, {"amordad", 5}, {"shahrivar", 6},
    {"mehr", 7}, {"aban", 8}, {"azar", 9}, {"bahman", 11}, {"esfand", 12}, {"tishrei", 1}, {"tishri", 1},
    {"cheshvan", 2}, {"heshvan", 2}, {"marcheshvan", 2}, {"kislev", 3}, {"tevet", 4}, {"shevat", 5},
    {"adar", 6}, {"nisan", 7}, {"iyar", 8}, {"sivan", 9}, {"tammuz", 10}, {"elul", 12}, {"meskerem", 1},
    {"tikimt", 2}, {"tikemt", 2}, {"hidar", 3}, {"hedar", 3}, {"tahsas", 4}, {"tahesas", 4}, {"yekatit", 6},
    {"megabit", 7}, {"miyazya", 8}, {"ginbot", 9}, {"sene", 10}, {"hamle", 11}, {"nehase", 12}, {"pagume", 13}};

struct List {
  uint64_t flag;
  const std::string_view* words;
  size_t n;
};
template <size_t N>
constexpr List list(uint64_t flag, const std::string_view (&w)[N]) {
  return {flag, w, N};
}

const List kLists[] = {
    list(lex::kTitle, kTitleWords),
    list(lex::kCredential, kCredentialWords),
    list(lex::kNotName, kNotNameWords),
    list(lex::kParticle, kParticleWords),
    list(lex::kNameLabel, kNameLabelWords),
    list(lex::kNameVerb1, kNameVerb1Words),
    list(lex::kRelative, kRelativeWords),
    list(lex::kByVerb, kByVerbWords),
    list(lex::kSignoff, kSignoffWords),
    list(lex::kEponymHead, kEponymHeadWords),
    list(lex::kIdCue, kIdCueWords),
    list(lex::kIdFiller, kIdFillerWords),
    list(lex::kPhoneCue, kPhoneCueWords),
    list(lex::kUrlTld, kUrlTldWords),
    list(lex::kStreetSuffix, kStreetSuffixWords),
    list(lex::kUnitWord, kUnitWordWords),
    list(lex::kFacility, kFacilityWords),
    list(lex::kFacility2, kFacility2Words),
    list(lex::kFacilityGeneric, kFacilityGenericWords),
    list(lex::kLocCue, kLocCueWords),
    list(lex::kState, kStateWords),
    list(lex::kStateName, kStateNameWords),
    list(lex::kLanguage, kLanguageWords),
    list(lex::kMonthAmbiguous, kMonthAmbiguousWords),
    list(lex::kDatePrep, kDatePrepWords),
    list(lex::kWeekday, kWeekdayWords),
    list(lex::kHoliday, kHolidayWords),
    list(lex::kAgeWord, kAgeWordWords),
    list(lex::kUnitAfterNumber, kUnitAfterNumberWords),
    list(lex::kDayMonthCue, kDayMonthCueWords),
    list(lex::kDayMonthPrep, kDayMonthPrepWords),
};

}  // namespace

Lexicon::Lexicon(const DeidResources& r) {
  slots_.resize(1 << 16);
  mask_ = slots_.size() - 1;
  const std::pair<uint64_t, const DeidResources::WordSet*> loaded[] = {
      {lex::kFirst, r.first_names.get()}, {lex::kLast, r.last_names.get()}, {lex::kEnglish, r.english.get()},
      {lex::kMedical, r.medical.get()},   {lex::kProper, r.proper.get()}};
  for (const auto& [flag, set] : loaded)
    if (set) set->for_each([&, flag = flag](const std::string& w) { add(w, flag); });
  for (const List& l : kLists) {
    for (size_t k = 0; k < l.n; ++k) {
      add(l.words[k], l.flag);
      // the first word of a phrase: the phrase is looked up only after it
      const size_t sp = l.words[k].find(' ');
      if (sp != std::string_view::npos) {
        if (l.flag == lex::kSignoff) add(l.words[k].substr(0, sp), lex::kSignoffHead);
        if (l.flag == lex::kLocCue) add(l.words[k].substr(0, sp), lex::kLocCueHead);
      }
    }
  }
  // a one-word sign-off is its own first word
  for (std::string_view w : kSignoffWords)
    if (w.find(' ') == std::string_view::npos) add(w, lex::kSignoffHead);
  for (const auto& [w, m] : kMonthWords) add(w, lex::kMonth | (static_cast<uint64_t>(m) << lex::kMonthShift));
  for (const auto& [w, m] : kOtherMonthWords)
    add(w, lex::kMonth | lex::kMonthOther | (static_cast<uint64_t>(m) << lex::kMonthShift));
  // numbers in words, with the compounds "twenty-one".."ninety-nine" and "twenty-first".."ninety-ninth"
  static constexpr std::string_view kUnits[] = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
  static constexpr std::string_view kUnitOrdinals[] = {"first", "second", "third", "fourth", "fifth",
                                                       "sixth", "seventh", "eighth", "ninth"};
  static constexpr std::string_view kTens[] = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
  for (std::string_view w : {"zero", "oh", "nought", "nil", "double", "triple", "ten", "eleven", "twelve", "thirteen",
                             "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "hundred",
                             "thousand", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
                             "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth", "thirtieth"})
    add(w, lex::kNumberWord);
  for (std::string_view w : kUnits) add(w, lex::kNumberWord);
  for (std::string_view w : kUnitOrdinals) add(w, lex::kNumberWord);
  for (std::string_view t : kTens) {
    add(t, lex::kNumberWord);
    for (std::string_view u : kUnits) add(std::string(t) + "-" + std::string(u), lex::kNumberWord);
    for (std::string_view u : kUnitOrdinals) add(std::string(t) + "-" + std::string(u), lex::kNumberWord);
  }
}

void Lexicon::add(std::string_view w, uint64_t flags) {
  if (w.empty() || w.size() > 0xffff) return;
  if (w.size() == 1) {
    single_[static_cast<unsigned char>(w[0])] |= flags;
    return;
  }
  const uint64_t h = hash(w.data(), w.size());
  const uint16_t tag = static_cast<uint16_t>(h >> 48);
  size_t k = h & mask_;
  for (;; k = (k + 1) & mask_) {
    Slot& s = slots_[k];
    if (s.len == 0) break;
    if (s.tag == tag && s.len == w.size() && keys_.compare(s.key, s.len, w) == 0) {
      s.flags |= flags;
      return;
    }
  }
  Slot& s = slots_[k];
  s.flags = flags;
  s.key = static_cast<uint32_t>(keys_.size());
  s.len = static_cast<uint16_t>(w.size());
  s.tag = tag;
  keys_.append(w);
  if (++used_ * 2 > slots_.size()) grow();
}

void Lexicon::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.len == 0) continue;
    size_t k = hash(keys_.data() + s.key, s.len) & mask_;
    while (slots_[k].len != 0) k = (k + 1) & mask_;
    slots_[k] = s;
  }
}

}  // namespace medgen::text::deid
