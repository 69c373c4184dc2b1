// The text pipeline, lexicon, context rules, extraction and output, on small notes written here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "medgen/core/error.h"
#include "medgen/text/evaluate.h"
#include "medgen/text/extract.h"
#include "medgen/text/io.h"
#include "medgen/text/output.h"

namespace fs = std::filesystem;

namespace medgen::text {
namespace {

const TextModel& model() {
  static const TextModel m = [] {
    TextModelOptions o;
    o.lexicon.packaged = false;  // the shipped lexicon only: tests do not depend on installed packages
    return TextModel::load(o);
  }();
  return m;
}

std::vector<Concept> run(const std::string& text) { return extract(model().parse("t", text), model()); }

const Concept* find(const std::vector<Concept>& cs, const std::string& preferred) {
  for (const Concept& c : cs)
    if (c.preferred == preferred) return &c;
  return nullptr;
}

std::string tmp_file(const std::string& name, const std::string& body) {
  const fs::path p = fs::temp_directory_path() / ("medgen_text_test_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << body;
  return p.string();
}

TEST(TextNote, SectionsSentencesTokens) {
  const Note n = model().parse("n", "CHIEF COMPLAINT: cough\n\nPMH:\n- HTN\n- DM2\nMedications: lisinopril 10 mg daily.\n"
                                    "Hospital Course:\nShe improved. Discharged home on day 3.\n");
  ASSERT_GE(n.sections.size(), 4u);
  EXPECT_EQ(n.sections[0].code, "chief_complaint");
  EXPECT_EQ(n.sections[1].code, "pmh");
  EXPECT_EQ(n.sections[2].code, "medications");
  EXPECT_EQ(n.sections[3].code, "hospital_course");
  // bullets are separate sentences; "She improved." and "Discharged ..." are two
  size_t in_pmh = 0, in_course = 0;
  for (const Sentence& s : n.sentences) {
    if (n.sections[s.section].code == "pmh") ++in_pmh;
    if (n.sections[s.section].code == "hospital_course") ++in_course;
  }
  EXPECT_EQ(in_pmh, 2u);
  EXPECT_EQ(in_course, 2u);
  for (const Token& t : n.tokens) EXPECT_LT(t.begin, t.end);
}

TEST(TextNote, NumbersUnitsAndHyphenatedLineBreaks) {
  const std::vector<Token> t = tokenize("500mg 98.6F 1,200 pneu-\nmonia q6h");
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[0].lower, "500");
  EXPECT_EQ(t[1].lower, "mg");
  EXPECT_EQ(t[2].lower, "98.6");
  EXPECT_EQ(t[4].lower, "1,200");
  EXPECT_EQ(t[5].norm, "pneumonia");
  EXPECT_EQ(t[6].lower, "q6h");
  EXPECT_EQ(normalize_word("pneum0nias"), "pneumonia");
  EXPECT_EQ(normalize_word("arteries"), "artery");
  EXPECT_EQ(normalize_word("virus"), "virus");
}

TEST(TextExtract, NegationScopeTerminatorsAndPseudoTriggers) {
  auto cs = run("Patient denies fever, chills or night sweats but reports cough.");
  ASSERT_TRUE(find(cs, "fever") && find(cs, "chills") && find(cs, "night sweats") && find(cs, "cough"));
  EXPECT_TRUE(find(cs, "fever")->context.negated);
  EXPECT_TRUE(find(cs, "night sweats")->context.negated);
  EXPECT_FALSE(find(cs, "cough")->context.negated);  // "but" ends the scope
  cs = run("Gram negative rods grew; sepsis is likely.");
  ASSERT_TRUE(find(cs, "sepsis"));
  EXPECT_FALSE(find(cs, "sepsis")->context.negated);
  EXPECT_TRUE(find(cs, "sepsis")->context.uncertain);
  cs = run("No increase in dyspnea.");
  ASSERT_TRUE(find(cs, "shortness of breath"));
  EXPECT_FALSE(find(cs, "shortness of breath")->context.negated);
  cs = run("Pneumonia was ruled out.");
  EXPECT_TRUE(find(cs, "pneumonia")->context.negated);
}

TEST(TextExtract, OtherContextClasses) {
  auto cs = run("History of myocardial infarction. Mother had breast cancer. Return if chest pain recurs. "
                "Possible pneumonia.");
  EXPECT_TRUE(find(cs, "myocardial infarction")->context.historical);
  EXPECT_TRUE(find(cs, "breast cancer")->context.family);
  EXPECT_TRUE(find(cs, "chest pain")->context.hypothetical);
  EXPECT_TRUE(find(cs, "pneumonia")->context.uncertain);
  cs = run("Family History:\nDiabetes in father.\n\nPast Medical History:\nAsthma\n");
  EXPECT_TRUE(find(cs, "diabetes mellitus")->context.family);
  EXPECT_TRUE(find(cs, "asthma")->context.historical);
}

// Issue 16: the words each case turns on, with a case where the same words must not fire.
const Concept* by_text(const std::vector<Concept>& cs, const std::string& text) {
  for (const Concept& c : cs)
    if (c.text == text) return &c;
  return nullptr;
}

TEST(TextExtract, ResultWordsNegateFindingsNotTests) {
  auto cs = run("Blood cultures remained negative. No evidence of pulmonary embolism on echocardiogram.");
  ASSERT_TRUE(by_text(cs, "Blood cultures") && by_text(cs, "pulmonary embolism") && by_text(cs, "echocardiogram"));
  EXPECT_FALSE(by_text(cs, "Blood cultures")->context.negated);  // a test's result, not its absence
  EXPECT_TRUE(by_text(cs, "pulmonary embolism")->context.negated);
  EXPECT_FALSE(by_text(cs, "echocardiogram")->context.negated);
  cs = run("Influenza was negative. No chest x-ray was done.");
  ASSERT_TRUE(by_text(cs, "Influenza") && by_text(cs, "chest x-ray"));
  EXPECT_TRUE(by_text(cs, "Influenza")->context.negated);
  EXPECT_TRUE(by_text(cs, "chest x-ray")->context.negated);  // plain "no" still negates a test
}

TEST(TextExtract, ScopeEndsAtParenthesisSinceAndTrailingTriggers) {
  auto cs = run("PMH: atrial fibrillation (not on warfarin), hypertension.");
  ASSERT_TRUE(by_text(cs, "warfarin") && by_text(cs, "hypertension"));
  EXPECT_TRUE(by_text(cs, "warfarin")->context.negated);
  EXPECT_FALSE(by_text(cs, "hypertension")->context.negated);
  cs = run("Gout with no flares since starting allopurinol.");
  ASSERT_TRUE(by_text(cs, "allopurinol"));
  EXPECT_FALSE(by_text(cs, "allopurinol")->context.negated);
  cs = run("GI: nausea - yes; vomiting - no\nGU: dysuria: denies\nNeuro: no headache\n");
  ASSERT_TRUE(by_text(cs, "nausea") && by_text(cs, "vomiting") && by_text(cs, "dysuria") && by_text(cs, "headache"));
  EXPECT_FALSE(by_text(cs, "nausea")->context.negated);
  EXPECT_TRUE(by_text(cs, "vomiting")->context.negated);
  EXPECT_TRUE(by_text(cs, "dysuria")->context.negated);
  EXPECT_TRUE(by_text(cs, "headache")->context.negated);
  cs = run("Off warfarin for two months. Ran out of metformin. Tapered the dose but still on warfarin.");
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_TRUE(cs[0].context.negated);
  EXPECT_TRUE(cs[1].context.negated);
  EXPECT_FALSE(cs[2].context.negated);
  cs = run("Last known well at noon, found by wife with slurred speech.");
  ASSERT_TRUE(by_text(cs, "slurred speech"));
  EXPECT_FALSE(by_text(cs, "slurred speech")->context.family);
  EXPECT_FALSE(by_text(cs, "slurred speech")->context.historical);
  cs = run("Declined oxycodone. Took oxycodone overnight.");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_TRUE(cs[0].context.negated);
  EXPECT_FALSE(cs[1].context.negated);
}

TEST(TextExtract, ListsCarriedOverAShortLineAndQueryMarks) {
  auto cs = run("Denies fever, cough,\nchills, rash.\n2. ? pneumonia; will check troponin.\n");
  ASSERT_TRUE(by_text(cs, "chills") && by_text(cs, "pneumonia") && by_text(cs, "troponin"));
  EXPECT_TRUE(by_text(cs, "chills")->context.negated);
  EXPECT_TRUE(by_text(cs, "pneumonia")->context.uncertain);
  EXPECT_FALSE(by_text(cs, "troponin")->context.uncertain);
  EXPECT_TRUE(by_text(cs, "troponin")->context.hypothetical);
  cs = run("Short line,\n- fever\n");  // a bullet starts a sentence even after a comma
  ASSERT_TRUE(by_text(cs, "fever"));
  EXPECT_EQ(model().parse("t", "Short line,\n- fever\n").sentences.size(), 2u);
}

TEST(TextExtract, HypotheticalPlansConditionsAndPrn) {
  auto cs = run("Albuterol 2 puffs q4h as needed for wheezing. Chest x-ray if no improvement in 48 hours.");
  ASSERT_TRUE(by_text(cs, "Albuterol") && by_text(cs, "Chest x-ray"));
  EXPECT_FALSE(by_text(cs, "Albuterol")->context.hypothetical);  // PRN is how it is taken
  EXPECT_TRUE(by_text(cs, "Chest x-ray")->context.hypothetical);
  cs = run("She took azithromycin for a week at home without relief and we discussed doxycycline if fever persists.");
  ASSERT_TRUE(by_text(cs, "azithromycin") && by_text(cs, "doxycycline"));
  EXPECT_FALSE(by_text(cs, "azithromycin")->context.hypothetical);  // beyond the backward window of "if"
  EXPECT_TRUE(by_text(cs, "doxycycline")->context.hypothetical);
  cs = run("Will add hydroxychloroquine 200 mg BID. Continue allopurinol. Colonoscopy could be considered.");
  ASSERT_TRUE(by_text(cs, "hydroxychloroquine") && by_text(cs, "allopurinol") && by_text(cs, "Colonoscopy"));
  EXPECT_TRUE(by_text(cs, "hydroxychloroquine")->context.hypothetical);
  EXPECT_FALSE(by_text(cs, "allopurinol")->context.hypothetical);
  EXPECT_TRUE(by_text(cs, "Colonoscopy")->context.hypothetical);
  EXPECT_FALSE(by_text(cs, "Colonoscopy")->context.uncertain);
}

TEST(TextExtract, UncertaintyNamesFindingsAndSectionsGiveContext) {
  auto cs = run("Concern for pneumonia raised on chest x-ray. Prerenal vs ATN.");
  ASSERT_TRUE(by_text(cs, "pneumonia") && by_text(cs, "chest x-ray"));
  EXPECT_TRUE(by_text(cs, "pneumonia")->context.uncertain);
  EXPECT_FALSE(by_text(cs, "chest x-ray")->context.uncertain);
  cs = run("Problem list:\nAtrial fibrillation\n\nPast medical history:\nAsthma\n\nFamily history:\nDiabetes in father.\n");
  ASSERT_TRUE(by_text(cs, "Atrial fibrillation") && by_text(cs, "Asthma") && by_text(cs, "Diabetes"));
  EXPECT_FALSE(by_text(cs, "Atrial fibrillation")->context.historical);  // an active problem
  EXPECT_TRUE(by_text(cs, "Asthma")->context.historical);
  EXPECT_TRUE(by_text(cs, "Diabetes")->context.family);
  cs = run("Hx hypertension. Daughter worried about memory loss.");
  ASSERT_TRUE(by_text(cs, "hypertension") && by_text(cs, "memory loss"));
  EXPECT_TRUE(by_text(cs, "hypertension")->context.historical);
  EXPECT_FALSE(by_text(cs, "memory loss")->context.family);
}

TEST(TextContextRules, TypesColumnAndSettings) {
  ContextRules r;
  r.load(tmp_file("types.tsv", "@types\tuncertain\tproblem\n@both_window\t2\nnegated\tbackward\tnegative\tproblem,lab\n"
                               "uncertain\tforward\tmaybe\n"));
  ASSERT_EQ(r.rules().size(), 2u);
  EXPECT_EQ(r.rules()[0].types, 0x11);  // problem | lab
  EXPECT_EQ(r.rules()[1].types, 0);     // the category's
  ContextRules bad;
  EXPECT_THROW(bad.load(tmp_file("bad_types.tsv", "negated\tforward\tno\tgalaxy\n")), InvalidInput);
  EXPECT_THROW(bad.load(tmp_file("bad_types2.tsv", "@types\tnegated\t\n")), InvalidInput);
  EXPECT_THROW(bad.load(tmp_file("bad_window.tsv", "@both_window\tfour\n")), InvalidInput);
}

TEST(TextExtract, MedicationSig) {
  auto cs = run("Meds: Metformin 500mg PO BID; albuterol 2 puffs inhaled q4h prn wheezing; "
                "amoxicillin 875 mg by mouth every 12 hours for 10 days.");
  const Concept* m = find(cs, "metformin");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, ConceptType::kMedication);
  ASSERT_TRUE(m->sig.strength);
  EXPECT_DOUBLE_EQ(m->sig.strength->value, 500);
  EXPECT_EQ(m->sig.strength->unit, "mg");
  EXPECT_EQ(m->sig.route, "oral");
  EXPECT_EQ(m->sig.frequency, 2);
  EXPECT_EQ(m->sig.period_unit, "d");
  const Concept* a = find(cs, "albuterol");
  ASSERT_TRUE(a && a->sig.dose);
  EXPECT_EQ(a->sig.dose->unit, "{puff}");
  EXPECT_TRUE(a->sig.as_needed);
  EXPECT_EQ(a->sig.as_needed_for, "wheezing");
  EXPECT_DOUBLE_EQ(a->sig.period, 4);
  EXPECT_EQ(a->sig.period_unit, "h");
  const Concept* x = find(cs, "amoxicillin");
  ASSERT_TRUE(x && x->sig.duration);
  EXPECT_DOUBLE_EQ(x->sig.duration->value, 10);
  EXPECT_EQ(x->sig.duration->unit, "d");
  EXPECT_DOUBLE_EQ(x->sig.period, 12);
}

TEST(TextExtract, AllergiesLabsVitals) {
  auto cs = run("Allergies: Penicillin (hives), peanuts.\nVitals: BP 142/88, HR 96, T 101.3F, SpO2 93% on RA.\n"
                "Labs: Na 131, K 5.9, creatinine 2.1 mg/dL, glucose 212 mg/dl.\n");
  const Concept* p = find(cs, "penicillin");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, ConceptType::kAllergy);
  EXPECT_EQ(p->reaction, "hives");
  EXPECT_EQ(find(cs, "peanut")->type, ConceptType::kAllergy);
  const Concept* bp = find(cs, "blood pressure");
  ASSERT_TRUE(bp && bp->value && bp->value2);
  EXPECT_DOUBLE_EQ(bp->value->value, 142);
  EXPECT_DOUBLE_EQ(bp->value2->value, 88);
  EXPECT_EQ(bp->value->unit, "mm[Hg]");
  const Concept* t = find(cs, "body temperature");
  ASSERT_TRUE(t && t->value);
  EXPECT_EQ(t->value->unit, "[degF]");
  EXPECT_EQ(find(cs, "oxygen saturation")->value->unit, "%");
  EXPECT_DOUBLE_EQ(find(cs, "potassium")->value->value, 5.9);
  EXPECT_EQ(find(cs, "glucose")->value->unit, "mg/dL");
  EXPECT_EQ(find(cs, "creatinine")->value->unit, "mg/dL");
}

TEST(TextExtract, AbbreviationsCaseWordOrderAndNoise) {
  auto cs = run("Pt with CHF and COPD, presented with SOB.");
  EXPECT_TRUE(find(cs, "heart failure"));
  EXPECT_TRUE(find(cs, "chronic obstructive pulmonary disease"));
  EXPECT_TRUE(find(cs, "shortness of breath"));
  cs = run("He said the ms of it was fine.");  // lower-case "ms" is no abbreviation
  EXPECT_TRUE(cs.empty());
  cs = run("NO CHEST PAIN. HX OF CHF.");
  EXPECT_TRUE(find(cs, "chest pain")->context.negated);
  EXPECT_TRUE(find(cs, "heart failure")->context.historical);
  cs = run("Carcinoma of the lung was found.");
  EXPECT_TRUE(find(cs, "lung cancer"));
  cs = run("Findings consistent with pneurnonia and hypertensoin.");
  EXPECT_TRUE(find(cs, "hypertension"));
}

TEST(TextLexicon, UserFilesAndPackagedFormats) {
  const std::string user = tmp_file("lex.tsv", "problem\ticd10\tX99\tzebra fever\tstripy fever\n");
  TextModelOptions o;
  o.lexicon.packaged = false;
  o.lexicon.user_files = {user};
  const TextModel m = TextModel::load(o);
  auto cs = extract(m.parse("u", "Denies stripy fevers."), m);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].code, "X99");
  EXPECT_TRUE(cs[0].context.negated);

  Lexicon lx;
  lx.load_atc_csv(tmp_file("atc.csv", "\"N02BE\",\"ANILIDES\",\"x\",\"y\"\n\"N02BE51\",\"PARACETAMOL, COMBINATIONS\",\"x\",\"y\"\n"
                                      "\"N02BE01\",\"PARACETAMOL\",\"PARACETAMOL\",\"PARACETAMOL\"\n"));
  lx.load_icpc2_sql(tmp_file("icpc.sql", "INSERT INTO staging.icpc (COMPONENT, DESCRIPTION, SHORT, ICD_10, CRIT, INCL, EXCL, "
                                         "CONS, NOTE, icpc, CODE) VALUES (1,'FEVER','FEVER','R50',NULL,'pyrexia',"
                                         "'fever with rash A76',NULL,NULL,1,'A03');\n"));
  lx.finish();
  ASSERT_EQ(lx.entries().size(), 2u);
  EXPECT_EQ(lx.entries()[0].code, "N02BE01");
  EXPECT_EQ(lx.entries()[1].code, "A03");
  EXPECT_EQ(lx.entries()[1].mapped, "http://hl7.org/fhir/sid/icd-10|R50");
}

TEST(TextLexicon, SyntaxErrorsNameFileAndLine) {
  const std::string bad = tmp_file("bad.tsv", "# ok\nproblem\ticd10\tA\tterm\ndisease\ticd10\tB\tother\n");
  Lexicon lx;
  try {
    lx.load_tsv(bad);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("bad.tsv:3:1: unknown kind 'disease'"), std::string::npos) << e.what();
  }
  ContextRules r;
  const std::string rules = tmp_file("rules.tsv", "negated\tforward\tno\nnegated\tsideways\tnot\n");
  EXPECT_THROW(r.load(rules), InvalidInput);
  try {
    r.load(rules);
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("rules.tsv:2:"), std::string::npos);
  }
}

TEST(TextOutput, FhirResources) {
  ExtractedNote en;
  en.note = model().parse("n1", "No chest pain. Possible pneumonia. Lisinopril 10 mg PO daily. Allergic to sulfa.\n"
                                "BP 120/80. S/p appendectomy. Mother with diabetes.");
  en.note.patient_id = "p1";
  en.concepts = extract(en.note, model());
  const nlohmann::json b = fhir_bundle({en});
  EXPECT_EQ(b["resourceType"], "Bundle");
  std::map<std::string, int> types;
  bool refuted = false, unconfirmed = false;
  for (const auto& e : b["entry"]) {
    const auto& r = e["resource"];
    types[r["resourceType"]]++;
    if (r["resourceType"] == "Condition") {
      const std::string v = r["verificationStatus"]["coding"][0]["code"];
      refuted |= v == "refuted";
      unconfirmed |= v == "unconfirmed";
    }
    if (r["resourceType"] != "Patient") {
      ASSERT_TRUE(r.contains("extension"));
      EXPECT_EQ(r["extension"][0]["url"], kTextSpanUrl);
      const auto& sub = r["extension"][0]["extension"];
      const size_t b0 = sub[1]["valueInteger"], e0 = sub[2]["valueInteger"];
      EXPECT_EQ(en.note.text.substr(b0, e0 - b0), sub[3]["valueString"].get<std::string>());
    }
    if (r["resourceType"] == "Observation") {
      EXPECT_EQ(r["component"][0]["valueQuantity"]["code"], "mm[Hg]");
    }
  }
  EXPECT_TRUE(refuted);
  EXPECT_TRUE(unconfirmed);
  EXPECT_EQ(types["MedicationStatement"], 1);
  EXPECT_EQ(types["AllergyIntolerance"], 1);
  EXPECT_EQ(types["Observation"], 1);
  EXPECT_EQ(types["Procedure"], 1);
  EXPECT_EQ(types["FamilyMemberHistory"], 1);
  EXPECT_EQ(types["Patient"], 1);
}

TEST(TextOutput, RegistryPerNoteAndPatient) {
  std::vector<ExtractedNote> notes(3);
  const char* texts[] = {"Hypertension. No diabetes. Glucose 130 mg/dL.", "Denies hypertension. Glucose 95.",
                         "Diabetes mellitus type 2 on metformin."};
  const char* pids[] = {"a", "a", "b"};
  for (int i = 0; i < 3; ++i) {
    notes[i].note = model().parse("n" + std::to_string(i), texts[i]);
    notes[i].note.patient_id = pids[i];
    notes[i].concepts = extract(notes[i].note, model());
  }
  const std::string map = tmp_file("map.tsv", "@rows\tpatient\npatient\tpatient_id\nhtn\tpresent\tI10\n"
                                              "dm\tpresent\ttype 2 diabetes mellitus\nglucose\tvalue\tglucose\n"
                                              "meds\tlist\tmedication\n");
  const std::string csv = registry_csv(notes, RegistryMapping::load(map));
  EXPECT_EQ(csv, "patient,htn,dm,glucose,meds\na,1,,95,\nb,,1,,metformin\n");
  const std::string bad = tmp_file("badmap.tsv", "x\tpresent\n");
  EXPECT_THROW(RegistryMapping::load(bad), InvalidInput);
}

TEST(TextEvaluate, MarksAndScores) {
  const AnnotatedNote a = parse_annotated("Denies [[fever|problem|neg]]; has [[cough|problem]].", "x", "x");
  EXPECT_EQ(a.text, "Denies fever; has cough.");
  ASSERT_EQ(a.gold.size(), 2u);
  EXPECT_TRUE(a.gold[0].context.negated);
  const EvalReport r = evaluate({a}, model());
  EXPECT_EQ(r.overall.tp, 2u);
  EXPECT_EQ(r.overall.fp, 0u);
  EXPECT_EQ(r.by_context[0].tp, 1u);
  EXPECT_THROW(parse_annotated("[[fever|disease]]", "f", "f"), InvalidInput);
  EXPECT_THROW(parse_annotated("[[fever|problem", "f", "f"), InvalidInput);
}

TEST(TextIo, BadNotes) {
  EXPECT_THROW(read_note_text(tmp_file("empty.txt", " \n\t\n")), InvalidInput);
  EXPECT_THROW(read_note_text(tmp_file("bin.txt", std::string("ab\0cd", 5))), InvalidInput);
  EXPECT_THROW(read_note_text(tmp_file("latin1.txt", "caf\xE9\n")), InvalidInput);
  NoteLimits l;
  l.max_line_bytes = 100;
  EXPECT_THROW(read_note_text(tmp_file("long.txt", std::string(200, 'a')), l), InvalidInput);
  std::string id, pid;
  ids_from_path("/x/p001_2024-01-02.txt", &id, &pid);
  EXPECT_EQ(id, "p001_2024-01-02");
  EXPECT_EQ(pid, "p001");
}

}  // namespace
}  // namespace medgen::text
