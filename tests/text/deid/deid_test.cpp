#include "medgen/text/deid/deid.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "medgen/core/error.h"
#include "medgen/text/deid/eval.h"

using namespace medgen::text::deid;

namespace {

const Deidentifier& deid() {
  static const Deidentifier d(DeidResources::load_default(std::string(MEDGEN_SOURCE_DIR) + "/data/text/deid"));
  return d;
}

// The text of every span of `type`.
std::set<std::string> found(const std::string& text, PhiType type) {
  std::set<std::string> out;
  for (const PhiSpan& s : deid().detect(text))
    if (s.type == type) out.insert(text.substr(s.begin, s.end - s.begin));
  return out;
}

// Every letter and digit of `what` (its first occurrence) lies in some span, not necessarily one.
bool all_covered(const std::string& text, const std::string& what) {
  const size_t at = text.find(what);
  EXPECT_NE(at, std::string::npos) << what;
  const auto spans = deid().detect(text);
  for (size_t k = at; k < at + what.size(); ++k) {
    if (!std::isalnum(static_cast<unsigned char>(text[k]))) continue;
    bool in = false;
    for (const PhiSpan& s : spans) in |= s.begin <= k && k < s.end;
    if (!in) return false;
  }
  return true;
}

bool covered(const std::string& text, const std::string& what) {
  const size_t at = text.find(what);
  EXPECT_NE(at, std::string::npos) << what;
  for (const PhiSpan& s : deid().detect(text))
    if (s.begin <= at && s.end >= at + what.size()) return true;
  return false;
}

}  // namespace

TEST(Deid, PatternIdentifiers) {
  const std::string t =
      "Call (555) 201-7788 or 555.201.7789, fax +1 312 555 0174. Mail jo.smith@example.com, see "
      "https://portal.example.org/x?id=3 from 10.1.22.187. SSN 078-05-1120. MRN: 00418827. Acct# A12345678.";
  for (const char* p : {"(555) 201-7788", "555.201.7789", "+1 312 555 0174"}) EXPECT_TRUE(covered(t, p)) << p;
  EXPECT_EQ(found(t, PhiType::kEmail), std::set<std::string>{"jo.smith@example.com"});
  EXPECT_EQ(found(t, PhiType::kUrl), std::set<std::string>{"https://portal.example.org/x?id=3"});
  EXPECT_EQ(found(t, PhiType::kIp), std::set<std::string>{"10.1.22.187"});
  EXPECT_EQ(found(t, PhiType::kSsn), std::set<std::string>{"078-05-1120"});
  EXPECT_TRUE(found(t, PhiType::kId).count("00418827"));
  EXPECT_TRUE(found(t, PhiType::kId).count("A12345678"));
}

TEST(Deid, ClinicalNumbersAreNotIdentifiers) {
  const std::string t = "BP 132/84, HR 88, Na 140 K 4.1, WBC 11.2, metformin 1000mg BID, plt 250, INR 2.1 on 3 days.";
  EXPECT_TRUE(deid().detect(t).empty()) << deid().detect(t).size();
}

TEST(Deid, Dates) {
  const std::string t = "Seen 03/14/2024 and 2024-03-15; surgery on March 3, 2019; DOB 4 July 1951; next Jan 2.";
  const auto d = found(t, PhiType::kDate);
  for (const char* x : {"03/14/2024", "2024-03-15", "March 3, 2019", "4 July 1951", "Jan 2"}) EXPECT_TRUE(d.count(x)) << x;
  // "may" the verb is not a date
  EXPECT_TRUE(found("She may need a CT.", PhiType::kDate).empty());
}

TEST(Deid, AgesOverEightyNineOnly) {
  EXPECT_EQ(found("A 92-year-old woman and a 45-year-old man.", PhiType::kAge), std::set<std::string>{"92"});
  EXPECT_EQ(found("Age: 101. Her 89 yo sister.", PhiType::kAge), std::set<std::string>{"101"});
}

TEST(Deid, NamesByCueListAndPropagation) {
  const std::string t =
      "Patient: Okonkwo, Adaeze\nSeen by Dr. Whitcombe with her daughter Rhonda. Adaeze reports pain.\n"
      "Jane Q. Doe, MD\nSincerely,\nMarisol Ybarra";
  for (const char* n : {"Okonkwo, Adaeze", "Whitcombe", "Rhonda", "Jane Q. Doe", "Marisol Ybarra"})
    EXPECT_TRUE(covered(t, n)) << n;
  // the second "Adaeze" is found because the header named her
  const size_t second = t.find("Adaeze reports");
  bool ok = false;
  for (const PhiSpan& s : deid().detect(t))
    if (s.begin == second) ok = true;
  EXPECT_TRUE(ok);
}

TEST(Deid, LowerCaseNamesThatAreCommonWords) {
  // a listed first name and a listed surname after a cue, both also English words
  EXPECT_TRUE(covered("pt rose miller seen today, doing well.", "rose miller"));
  // a listed surname in lower case after a title
  EXPECT_EQ(found("f/u 2 wk w dr. hill.", PhiType::kName), std::set<std::string>{"hill"});
  // but not verbs and adverbs after "pt"
  EXPECT_TRUE(found("pt will call. pt may need labs. pt rose early.", PhiType::kName).empty());
}

TEST(Deid, InitialsListsOfNamesAndNamesThatAreFunctionWords) {
  EXPECT_EQ(found("Critical K read back by T. Nakamura at 09:10.", PhiType::kName),
            std::set<std::string>{"T. Nakamura"});
  const auto n = found("Visited by her sons Ben and Felipe; her husband Will drove.", PhiType::kName);
  for (const char* x : {"Ben", "Felipe", "Will"}) EXPECT_TRUE(n.count(x)) << x;
  // a common word closing a name after a listed first name, at the end of the entry
  EXPECT_TRUE(covered("Chaperone: Ines Wing.", "Ines Wing"));
  // a drug after "and" is no second name
  EXPECT_EQ(found("Her wife Mary and Lasix were discussed.", PhiType::kName), std::set<std::string>{"Mary"});
  // a relative's "Case manager" is no name
  EXPECT_FALSE(found("Her son Case manager called.", PhiType::kName).count("Case"));
}

TEST(Deid, UserNames) {
  EXPECT_EQ(found("Account locked: user jdoe42 could not log in; login: mgreene.", PhiType::kName),
            (std::set<std::string>{"jdoe42", "mgreene"}));
  EXPECT_TRUE(found("The user reports no pain. IV drug user, last use 2 days ago.", PhiType::kName).empty());
}

TEST(Deid, ChatHandlesAndDoubleFirstNames) {
  const std::string t = "[chat 16:04] rachel.t: can you re-time the trough?\n09:12 jsmith2: done\n10:30 plan: continue\n";
  EXPECT_EQ(found(t, PhiType::kName), (std::set<std::string>{"rachel.t", "jsmith2"}));
  EXPECT_TRUE(covered("pt ana lucia ferreira c/o dizziness", "ana lucia ferreira"));
}

TEST(Deid, DateRangesOrdinalsAndBareDayMonth) {
  const std::string t = "Surgery on the 5th of June. Conference June 3-4, 2025 in person. Study March 18-19, 2024.";
  const auto d = found(t, PhiType::kDate);
  EXPECT_TRUE(covered(t, "the 5th of June"));
  EXPECT_TRUE(d.count("June 3-4, 2025"));
  EXPECT_TRUE(d.count("March 18-19, 2024"));
  // a letter's date alone on its line, a signature's date after a credential
  EXPECT_EQ(found("4/4\nDear Dr. Ahn,", PhiType::kDate), std::set<std::string>{"4/4"});
  EXPECT_EQ(found("Jane Roe, MD 1/10", PhiType::kDate), std::set<std::string>{"1/10"});
  // scores and fractions stay
  EXPECT_TRUE(found("Pain 3/10 today. Strength 4/5 in both legs. Take 1/2 tab.", PhiType::kDate).empty());
}

TEST(Deid, MedicalWordsAreNotNames) {
  const std::string t = "History of Parkinson's disease and Graves disease; on Lasix and Coumadin; Foley in place.";
  EXPECT_TRUE(found(t, PhiType::kName).empty());
}

TEST(Deid, Locations) {
  const std::string t = "Lives at 221 Birch Hollow Road, Montpelier, VT 05602. Transferred from Mercy General Hospital.";
  EXPECT_TRUE(covered(t, "221 Birch Hollow Road"));
  EXPECT_TRUE(covered(t, "Montpelier, VT 05602"));
  EXPECT_TRUE(covered(t, "Mercy General Hospital"));
}

TEST(Deid, SurrogatesAreConsistentKeyedAndKeepIntervals) {
  DeidOptions o;
  o.key = "0123456789abcdef-secret";
  o.patient = "p1";
  const std::string t = "Mr. Okafor was admitted 03/01/2024 and discharged 03/11/2024. Okafor's wife called.";
  const DeidResult a = deid().deidentify(t, o), b = deid().deidentify(t, o);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.text.find("Okafor"), std::string::npos) << a.text;
  ASSERT_GE(a.spans.size(), 4u);
  // both "Okafor" get one surrogate
  std::vector<std::string> names;
  for (const PhiSpan& s : a.spans)
    if (s.type == PhiType::kName) names.push_back(s.replacement);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].substr(0, names[0].find('\'')), names[1].substr(0, names[1].find('\'')));
  // dates move together: 10 days apart before and after
  std::vector<std::string> dates;
  for (const PhiSpan& s : a.spans)
    if (s.type == PhiType::kDate) dates.push_back(s.replacement);
  ASSERT_EQ(dates.size(), 2u);
  auto day_number = [](const std::string& d) {  // MM/DD/YYYY -> days (good enough within a year)
    static const int cum[] = {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335};
    return std::stoi(d.substr(6)) * 366 + cum[std::stoi(d.substr(0, 2)) - 1] + std::stoi(d.substr(3, 2));
  };
  EXPECT_EQ(day_number(dates[1]) - day_number(dates[0]), 10) << dates[0] << " " << dates[1];
  EXPECT_NE(a.shift_days, 0);
  // another key, other surrogates
  DeidOptions o2 = o;
  o2.key = "another-secret-key-0001";
  EXPECT_NE(deid().deidentify(t, o2).text, a.text);
  // the report never holds the original text
  EXPECT_EQ(a.report().dump().find("Okafor"), std::string::npos);
}

TEST(Deid, TagsAndValidation) {
  DeidOptions o;
  o.tags = true;
  const DeidResult r = deid().deidentify("Seen by Dr. Whitcombe on 03/14/2024.", o);
  EXPECT_EQ(r.text, "Seen by Dr. [NAME] on [DATE].");
  DeidOptions bad;
  EXPECT_THROW(deid().deidentify("x", bad), medgen::InvalidInput);  // surrogates need a key
}

TEST(Deid, AnnotatedFormatErrorsNameTheLine) {
  try {
    parse_annotated_notes("### note a\nok\n\xE2\x9F\xA6NAMEX|Bob\xE2\x9F\xA7\n", "f.txt");
    FAIL();
  } catch (const medgen::InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("f.txt:3:1: unknown PHI type 'NAMEX'"), std::string::npos) << e.what();
  }
}

// The floors of the issue on the generated set (recall >= 0.98 for names, dates, identifiers).
TEST(Deid, GeneratedSetFloors) {
  const auto notes = read_annotated_notes(std::string(MEDGEN_SOURCE_DIR) + "/data/text/deid/eval/generated.txt");
  ASSERT_GE(notes.size(), 300u);
  const DeidScores s = evaluate_deid(deid(), notes);
  for (PhiType t : {PhiType::kName, PhiType::kDate, PhiType::kId, PhiType::kSsn, PhiType::kPhone})
    EXPECT_GE(s.by_type[static_cast<int>(t)].recall(), 0.98) << phi_type_name(t);
}

// Rules added after the first score of handwritten3.txt (issue 16): each with positives and
// negatives written for the test, no text from the evaluation notes.
TEST(Deid, HyphenatedNamesTakeTheirPartsFlags) {
  EXPECT_TRUE(covered("Therapist Anne-Marie Kowalczyk-Boyd reviewed the plan.", "Anne-Marie Kowalczyk-Boyd"));
  EXPECT_TRUE(covered("PATIENT OKAFOR-LEWIS, CHIDI ADMITTED FROM HOME", "OKAFOR-LEWIS, CHIDI"));
  // a listed first name that is a common word before a surname no list knows
  EXPECT_TRUE(covered("Joy Zbrowskiewicz attended with her son.", "Joy Zbrowskiewicz"));
  EXPECT_TRUE(found("Follow-Up in two weeks. Non-Hodgkin lymphoma in remission.", PhiType::kName).empty());
}

TEST(Deid, LowerCaseDictatedNames) {
  const std::string t = "handover: mrs hedwig zabrowski settled, ate well. mister oyediran agitated overnight.";
  EXPECT_TRUE(covered(t, "hedwig zabrowski"));
  EXPECT_TRUE(covered(t, "oyediran"));
  EXPECT_FALSE(covered(t, "settled"));
  EXPECT_TRUE(covered("then call doctor nakashima about the potassium", "nakashima"));
  EXPECT_TRUE(covered("a clinic note for harold brzezinski date of birth unknown", "harold brzezinski"));
  EXPECT_TRUE(covered("pt joao da silva seen today w his wife", "joao da silva"));
  EXPECT_TRUE(found("the doctor visit was short. doctor ordered labs. mister sandwich", PhiType::kName).size() <= 1);
  EXPECT_TRUE(found("the doctor visit was short. doctor ordered labs.", PhiType::kName).empty());
}

TEST(Deid, DelimitedRecords) {
  const std::string csv = "7731002,\"Roe, Jane\",1961-05-04,2024-09-30";
  EXPECT_TRUE(found(csv, PhiType::kId).count("7731002"));
  EXPECT_TRUE(found(csv, PhiType::kDate).count("1961-05-04"));
  EXPECT_TRUE(found(csv, PhiType::kDate).count("2024-09-30"));
  const std::string hl7 = "PID|1||55120984^^^H^MR||MARTINEZ^ELENA^K||19500212|F";
  EXPECT_TRUE(covered(hl7, "55120984"));
  EXPECT_TRUE(covered(hl7, "19500212"));
  for (const char* part : {"MARTINEZ", "ELENA", "K"}) EXPECT_TRUE(covered(hl7, part)) << part;  // 'K': the initial
  // a count with thousands separators is no identifier
  EXPECT_TRUE(deid().detect("viral load 1,250,000 copies/mL").empty());
}

TEST(Deid, ShortWeekdaysOrdinalDaysAndMonthPrefixes) {
  // (the weekday joins the date after it: one span)
  EXPECT_TRUE(found("Clinic Thu 12/5 at 9am.", PhiType::kDate).count("Thu 12/5"));
  EXPECT_TRUE(found("Injured at practice Sat. Sling for a week.", PhiType::kDate).count("Sat"));
  EXPECT_TRUE(found("Sat up in chair for an hour.\nSun exposure limited.", PhiType::kDate).empty());
  EXPECT_TRUE(found("EMG on the 14th.", PhiType::kDate).count("the 14th"));
  EXPECT_TRUE(found("weight on the 5th percentile; on the 3rd attempt", PhiType::kDate).empty());
  EXPECT_TRUE(found("Start the cycle mid-December.", PhiType::kDate).count("mid-December"));
  EXPECT_TRUE(found("stopped mid-sentence", PhiType::kDate).empty());
}

TEST(Deid, ShortNumbersAfterPagerAndInitials) {
  EXPECT_TRUE(found("Dietitian on call, pager 4421.", PhiType::kPhone).count("4421"));
  EXPECT_TRUE(found("Heparin 5000 units, number 4421 of the batch", PhiType::kPhone).empty());
  EXPECT_TRUE(covered("Subject 014-0093 (initials R.T.K.) had grade 3 neutropenia.", "R.T.K"));
  EXPECT_TRUE(covered("Date of study: 11/05/2024\nSonographer: LR\nLVEF 40%.", "LR"));
  EXPECT_FALSE(covered("Date of study: 11/05/2024\nSonographer: LR\nLVEF 40%.", "LVEF"));
}

TEST(Deid, AgesBetweenCommasAfterANameAndRoleTitles) {
  EXPECT_TRUE(found("Mrs Kowalczyk, 97, lives alone.", PhiType::kAge).count("97"));
  EXPECT_TRUE(found("Beds 12, 95, 96 are free.", PhiType::kAge).empty());
  EXPECT_TRUE(found("Mrs Kowalczyk, 97 mg given.", PhiType::kAge).empty());
  EXPECT_TRUE(covered("Pastor Okeke visited and prayed.", "Okeke"));
  EXPECT_TRUE(found("Officer on duty was informed.", PhiType::kName).empty());
}

TEST(Deid, FormsAndFacilities) {
  const std::string form = "Name: ROE, ELENA        Acct #: A1234567";
  EXPECT_TRUE(covered(form, "ROE, ELENA"));
  EXPECT_FALSE(found(form, PhiType::kName).count("ROE, ELENA        Acct"));
  EXPECT_TRUE(found("Referred to Lakeshore Orthopaedics.", PhiType::kLocation).count("Lakeshore Orthopaedics"));
  EXPECT_TRUE(found("Guardianship filed in Dakota County.", PhiType::kLocation).count("Dakota County"));
  // "care" is also a verb cue; the facility rule still sees it
  EXPECT_TRUE(found("Letter sent to Westfield Primary Care.", PhiType::kLocation).count("Westfield Primary Care"));
  // inflections of dictionary words at a sentence start are no names
  EXPECT_TRUE(found("Prayed with family. Recommend rest. Wishes to go home. Ordering labs.", PhiType::kName).empty());
}

TEST(Deid, CueWordsInflectionsAndDrugsAreNoNames) {
  // "Read" is a listed surname the dictionary lacks; as a cue word it is a common word
  const std::string t = "Read by: Zainab Kapoor, MD";
  EXPECT_FALSE(covered(t, "Read"));
  EXPECT_TRUE(covered(t, "Zainab Kapoor"));
  EXPECT_TRUE(found("Grandmother lived to 80. Pt states name is Ulla Berg. Denies chest pain.", PhiType::kName) ==
              std::set<std::string>{"Ulla Berg"});
  EXPECT_TRUE(found("Treated with apixaban and rivaroxaban.", PhiType::kName).empty());
  // a lower-case name after the same cues is still found
  EXPECT_TRUE(covered("discussed with zbigniew, her grandson", "zbigniew"));
}

// Rules of the generalisation pass of issue 16 (after handwritten3.txt, before an unseen fourth
// set): each with positives and negatives written for the test, no text from the evaluation notes.
TEST(Deid, DatesWrittenInWords) {
  for (const char* d : {"march fourth nineteen sixty two", "the third of May", "May the 3rd",
                        "twenty-first of March, 2019", "June twenty two", "the second of april two thousand and five",
                        "October 9th, nineteen eighty"}) {
    const std::string t = std::string("Born on ") + d + " at home.";
    EXPECT_TRUE(covered(t, d)) << d;
  }
  // ordinals and cardinals that are no dates
  for (const char* t : {"You may first want to rest.", "The second dose was given in the third week.",
                        "we march four miles a day", "Take one tablet twice daily for five days."})
    EXPECT_TRUE(found(t, PhiType::kDate).empty()) << t;
}

TEST(Deid, DigitsSpelledOutOrSpaced) {
  EXPECT_TRUE(covered("call me back at extension five five two one thanks", "five five two one"));
  EXPECT_TRUE(covered("medical record number five one nine two", "five one nine two"));
  EXPECT_TRUE(covered("her number is oh seven seven double four one two three nine", "oh seven seven double four one two three nine"));
  EXPECT_TRUE(covered("medical record number 5 5 1 9 0 3 2 he comes", "5 5 1 9 0 3 2"));
  // numbers that are measurements or counts
  for (const char* t : {"potassium was three point one so we gave forty", "gave two or three doses",
                        "GCS 4 5 6 on arrival", "pain 7 of 10"}) {
    EXPECT_TRUE(found(t, PhiType::kId).empty()) << t;
    EXPECT_TRUE(found(t, PhiType::kPhone).empty()) << t;
  }
}

TEST(Deid, IdentifiersInDigitGroupsAndOtherLanguages) {
  EXPECT_TRUE(covered("Two units issued, unit numbers W0418 25 339102 and W0418 25 339103.", "W0418 25 339102"));
  EXPECT_TRUE(covered("Medicare # 4123 56789 2\nnext line", "4123 56789 2"));
  EXPECT_TRUE(covered("Member ID KLM 5521 9034, group 7", "KLM 5521 9034"));
  EXPECT_TRUE(covered("Nº historia clínica: 448812. Nr. 77-1920-3. PESEL 44051401359.", "448812"));
  EXPECT_TRUE(covered("Nº historia clínica: 448812. Nr. 77-1920-3. PESEL 44051401359.", "77-1920-3"));
  EXPECT_TRUE(covered("Nº historia clínica: 448812. Nr. 77-1920-3. PESEL 44051401359.", "44051401359"));
  // a unit after a group, and a letters-only measurement after "MR."
  EXPECT_EQ(found("MRN 7723419 12 mg given", PhiType::kId), std::set<std::string>{"7723419"});
  EXPECT_TRUE(found("Moderate MR. RVSP 42.", PhiType::kId).empty());
}

TEST(Deid, HealthLevelSevenRepetitionsAndInternationalPhones) {
  EXPECT_TRUE(covered("PID|1||B77120^^^H^MR~219-09-9999^^^SSA^SS||DOE^JANE", "219-09-9999"));
  EXPECT_TRUE(covered("Bureau: +33 1 42 68 53 00.", "+33 1 42 68 53 00"));
  EXPECT_TRUE(covered("Mobile +44 7700 900461 today", "+44 7700 900461"));
  EXPECT_TRUE(found("Hb 12 3 4 5 6", PhiType::kPhone).empty());
}

TEST(Deid, TableColumnsNamedByTheirHeader) {
  const std::string csv = "id,first,last,dob,zip,dose\n1003,Kwame,Mensah,1971-05-30,02139,20\n";
  for (const char* x : {"1003", "Kwame", "Mensah", "1971-05-30", "02139"}) EXPECT_TRUE(covered(csv, x)) << x;
  EXPECT_FALSE(covered(csv, "20"));  // a column no header marks
  const std::string md = "| Date | Staff | Notes |\n|---|---|---|\n| 3/4 | Ama Boateng, RN | dressing |\n";
  EXPECT_TRUE(covered(md, "Ama Boateng"));
  EXPECT_FALSE(covered(md, "RN"));
  // "Last given" is no surname column; a table without identifying columns is left alone
  const std::string meds = "| Medication | Dose | Last given |\n| Grace tablets | 5 mg | daily |\n";
  EXPECT_TRUE(found(meds, PhiType::kName).empty());
  EXPECT_TRUE(deid().detect("drug,dose,route\nWarfarin,5,PO\n").empty());
}

TEST(Deid, NicknamesAndFirstNamesBeforeNames) {
  EXPECT_TRUE(covered("Met client \"Bear\" (Thomas Okoye) by the river.", "Bear"));
  EXPECT_TRUE(covered("Robert \"Chip\" Lindahl came with his son.", "Chip"));
  EXPECT_TRUE(covered("He goes by \"Duke\" on the ward.", "Duke"));
  EXPECT_TRUE(covered("| 11/16 | Per Lindholm, PT | gait |", "Per Lindholm"));
  // an abbreviation in brackets and a quoted common word are no nicknames; "Per" before a non-name
  EXPECT_FALSE(covered("Consent from niece Colleen Byrne (HCP).", "HCP"));
  EXPECT_TRUE(found("Take the \"pink\" pill. Per protocol, hold.", PhiType::kName).empty());
}

TEST(Deid, LowerCaseFirstNamesAfterStrongCues) {
  EXPECT_TRUE(covered("spoke w/ nancy at pharmacy", "nancy"));
  EXPECT_TRUE(covered("fyi benny from pharmacy called", "benny"));
  EXPECT_TRUE(covered("hey its jess, mum had a bad night", "jess"));
  EXPECT_TRUE(covered("pt eamon king seen today", "eamon king"));
  EXPECT_TRUE(covered("Bed 4 LIU, Wen for CT", "LIU, Wen"));
  EXPECT_TRUE(covered("Login dr_shah01 locked", "dr_shah01"));
  for (const char* t : {"spoke w/ family at bedside", "pt will return in 2 weeks", "it's fine, thanks",
                        "brought by EMS from home", "results from the lab"})
    EXPECT_TRUE(found(t, PhiType::kName).empty()) << t;
}

// The packaged name lists of Faker for PHP (php-faker, installed by scripts/setup.sh) are loaded:
// names of origins the Python lists lack ("Wang Lei", romanised Chinese given names).
TEST(Deid, PhpFakerNamesAreLoaded) {
  bool php = false;
  for (const std::string& s : deid().resources().sources) php |= s.find("Person.php") != std::string::npos;
  ASSERT_TRUE(php) << "php-faker is not installed (scripts/setup.sh installs it)";
  EXPECT_TRUE(covered("Interpreter: Wang Lei, ID 3390.", "Wang Lei"));
  EXPECT_TRUE(covered("Seen with Abdul Rahman bin Ismail today.", "Abdul Rahman bin Ismail"));
}

TEST(Deid, DateRangesForeignMonthsAndInitialsBeforeTheCue) {
  EXPECT_TRUE(covered("née le 5 mars 1962 à Lyon", "5 mars 1962"));
  EXPECT_TRUE(covered("Admitted 9/28-10/2 for sepsis.", "9/28"));
  EXPECT_TRUE(covered("Admitted 9/28-10/2 for sepsis.", "10/2"));
  EXPECT_TRUE(covered("Away 5th-7th March.", "5th-7th March"));
  EXPECT_TRUE(covered("Dressing by RT (initials) at noon.", "RT"));
  // a lower-case "march" with a number after it that is no day, and a dose range
  EXPECT_TRUE(found("we march 1500 m daily; 5-10 mg", PhiType::kDate).empty());
}

TEST(Deid, AcronymsAndEponymsAreNoNamesOnAListAlone) {
  // list-only hits in capitals in a mixed-case line, and eponymous signs after positive/negative
  EXPECT_TRUE(found("MICU Progress Note, day 4. TSH 4.4 mIU/L.", PhiType::kName).empty());
  EXPECT_TRUE(found("Exam: positive Lachman, negative McMurray.", PhiType::kName).empty());
  // names in capitals still are names beside another name or in a line in capitals
  EXPECT_TRUE(covered("PID|1||4471^^^H^MR||VALDEZ^ROSARIO^M||19670101|F", "VALDEZ"));
  EXPECT_TRUE(covered("PATIENT SEEN WITH WIFE. MARIANNE ADEYEMI-COLE ADMITTED.", "MARIANNE"));
}

TEST(Deid, LowerCaseWeekdaysMonthsAndYearMonths) {
  EXPECT_TRUE(covered("see you monday, back in june", "monday"));
  EXPECT_TRUE(covered("see you monday, back in june", "june"));
  EXPECT_TRUE(covered("Last colonoscopy 2019-03, normal.", "2019-03"));
  EXPECT_TRUE(covered("Nom: DUPONT Marie, née en Bretagne", "DUPONT"));
  // "may" and "march" stay verbs; a season is no month of a year
  EXPECT_TRUE(found("she may march on; season 2019-20", PhiType::kDate).empty());
}

TEST(Deid, HandoverCredentialsBracketedRelativesAndImpliedMonths) {
  EXPECT_TRUE(covered("handoff at 1900, np okafor aware", "okafor"));
  EXPECT_TRUE(covered("Rose (wife) reports he fell.", "Rose"));
  EXPECT_TRUE(covered("seen on the twelfth and again later", "twelfth"));
  EXPECT_TRUE(covered("Then called OKAFOR, JOHN at 3pm.", "OKAFOR"));
  EXPECT_TRUE(covered("Then called OKAFOR, JOHN at 3pm.", "JOHN"));
  EXPECT_TRUE(covered("Job 448120 typed", "448120"));
  // ordinals of floors and doses, a dose after "np", counts after weak cues
  for (const char* t : {"moved to the second floor", "np 2 tabs given", "study 2 of 3 done"}) {
    EXPECT_TRUE(found(t, PhiType::kDate).empty()) << t;
    EXPECT_TRUE(found(t, PhiType::kName).empty()) << t;
    EXPECT_TRUE(found(t, PhiType::kId).empty()) << t;
  }
}

TEST(Deid, BareInitialsHashCuesAndLowerCaseDirectCues) {
  EXPECT_TRUE(covered("Cc: J Smith; K Patel.", "K Patel"));
  EXPECT_TRUE(covered("pt #: 884-221 on file", "884-221"));
  EXPECT_TRUE(covered("please ask for mohammed at reception", "mohammed"));
  EXPECT_TRUE(covered("re appt tues 4/9", "tues"));
  EXPECT_TRUE(covered("SSN ending 1234.", "1234"));
  // a sentence-initial "A", a count after "#", a possessive of a common word
  EXPECT_FALSE(covered("A Patel family member called.", "A Patel"));
  EXPECT_TRUE(found("DTaP #5 given; signed by patient's son", PhiType::kId).empty());
  EXPECT_TRUE(found("signed by patient's son", PhiType::kName).empty());
}

TEST(Deid, NamesJoinedAfterAVerbCue) {
  EXPECT_TRUE(covered("Discussed with Hope and Faith today.", "Hope"));
  EXPECT_TRUE(covered("Discussed with Hope and Faith today.", "Faith"));
  EXPECT_TRUE(found("Discussed with Hope and Lasix given.", PhiType::kName).count("Lasix") == 0);
  EXPECT_TRUE(covered("Lives with Maria and her son.", "Maria"));
  EXPECT_TRUE(found("Living with Parkinson disease. Lives with HIV.", PhiType::kName).empty());
}

TEST(Deid, CommaFormWithACommonWordFirstNameAndUnknownLowerSurnames) {
  EXPECT_TRUE(covered("Ordering: Kapoor, Grace", "Grace"));
  EXPECT_TRUE(covered("pt yaw okonjo seen in clinic", "yaw okonjo"));
  // a common word after a comma that follows no name, an inflection after a first name
  EXPECT_TRUE(found("Stable, Grace period over.", PhiType::kName).empty());
  EXPECT_FALSE(covered("pt yaw ambulating well", "ambulating"));
}

TEST(Deid, NamesAfterAMessageFromAndInitialsAfterPatient) {
  EXPECT_TRUE(covered("Voicemail from Delphine at noon.", "Delphine"));
  EXPECT_TRUE(covered("Letter from Dr. Ruiz-Abara received.", "Ruiz-Abara"));
  EXPECT_TRUE(covered("Subject: pt R.D. MRN 0093371", "R.D"));
  // a unit or a place after "from", a single initial after "pt"
  EXPECT_TRUE(found("Call from ICU about bed. Message from Pharmacy. Pt A. stable.", PhiType::kName).empty());
}

TEST(Deid, MonthNamesOfMoreLanguages) {
  const std::string t = "Termin am 12. März 2024, nata il 3 maggio 1950, nascido em 5 de março de 1970, geboren 1 mei 1980.";
  for (const char* d : {"12. März 2024", "3 maggio 1950", "5 de março de 1970", "1 mei 1980"}) EXPECT_TRUE(covered(t, d)) << d;
  // a numbered list before "May have", and "de" that joins no date
  EXPECT_TRUE(found("1. Eczema.\n2. May have arthritis.\nCasa de Maria 12 beds.", PhiType::kDate).empty());
}

TEST(Deid, DictatedTitlesWithFullNamesAndDocumentsForAName) {
  EXPECT_TRUE(covered("this is nurse practitioner kowalski calling", "kowalski"));
  EXPECT_TRUE(covered("follow up with doctor amara osei in two weeks", "amara osei"));
  EXPECT_TRUE(covered("dictation for harold finch seen today", "harold finch"));
  EXPECT_TRUE(covered("Clinic note for Desmond Okoro, age 60.", "Desmond Okoro"));
  // a common word after "nurse", a department after "note for"
  EXPECT_TRUE(found("nurse aware; note for ICU; letter for review", PhiType::kName).empty());
}

TEST(Deid, BritishSpellingsAreCommonWords) {
  EXPECT_TRUE(found("Neighbour found him. Oedema improved. Anaemia noted. Organise transport.", PhiType::kName).empty());
  EXPECT_TRUE(covered("Seen with Dr. Gourlay today.", "Gourlay"));  // a surname is no British spelling
}

// The kinds of failure found in the fifth hand-written set (docs/text-deid.md, "The look at the
// fifth set"); none of these sentences is from that set.
TEST(Deid, ParticlesConnectorsAndMaBetweenNameParts) {
  EXPECT_TRUE(covered("Prescriber: Dr P. van der Berg (reg 1234)", "P. van der Berg"));
  EXPECT_TRUE(covered("Patient: Kumaran s/o Velu    Wife: Devi a/p Suppiah", "Kumaran s/o Velu"));
  EXPECT_TRUE(covered("Patient: Kumaran s/o Velu    Wife: Devi a/p Suppiah", "Devi a/p Suppiah"));
  EXPECT_TRUE(covered("Informant: Arjun A/L Rajoo, son", "Arjun A/L Rajoo"));
  EXPECT_TRUE(covered("Name: Ma. Angelica Santos-Lim", "Ma. Angelica Santos-Lim"));
  EXPECT_TRUE(covered("Crew: D. ap Gwilym (EMT)", "D. ap Gwilym"));
  EXPECT_TRUE(covered("PATIENT (JUAN CARLOS PÉREZ DE LA TORRE): yes.", "PÉREZ DE LA TORRE"));
  // "w/o" names a relation and stays outside; "s/o" and "a/p" are no names outside a name
  EXPECT_FALSE(covered("Name: Fatima Rashid w/o Imran Rashid", "w/o"));
  EXPECT_TRUE(found("Chest film s/o infection; a/p view only.", PhiType::kName).empty());
  // a short surname ending a sentence is no initial before the next sentence's first word
  EXPECT_FALSE(covered("Pharmacist: Jasmine Wu. Sunny day today.", "Sunny"));
}

TEST(Deid, InitialsOfANameFoundAndSignersInitials) {
  const std::string t = "Pharmacists: RK = Ruth Kamau; DW = David Wanjiru.\n| accepted | RK |\nNurse Mary Okoth (MO) reviewed.";
  EXPECT_EQ(found(t, PhiType::kName).count("RK"), 1u);
  EXPECT_EQ(found(t, PhiType::kName).count("DW"), 1u);
  EXPECT_EQ(found(t, PhiType::kName).count("MO"), 1u);
  EXPECT_TRUE(covered(t.substr(t.find("| accepted")), "RK") == false);  // alone it is no name ...
  bool second = false;  // ... but in the note that defines it, every use is
  const size_t at = t.find("| RK |") + 2;
  for (const PhiSpan& s : deid().detect(t)) second |= s.begin <= at && s.end >= at + 2;
  EXPECT_TRUE(second);
  EXPECT_TRUE(covered("Dispensed: Jabu Nkosi   Checked: KM   Counselled by: PL", "KM"));
  EXPECT_TRUE(covered("Dispensed: Jabu Nkosi   Checked: KM   Counselled by: PL", "PL"));
  EXPECT_TRUE(covered("Fridge checked: AB / CD", "AB"));
  EXPECT_TRUE(covered("Fridge checked: AB / CD", "CD"));
  // initials that do not match the name, abbreviations defined by words, a measurement after a label
  EXPECT_TRUE(found("TS = Ruth Kamau", PhiType::kName).count("TS") == 0);
  EXPECT_TRUE(found("BP = blood pressure, HR (heart rate) 80", PhiType::kName).empty());
  EXPECT_TRUE(found("Checked: BP stable, PT / OT aware", PhiType::kName).empty());
}

TEST(Deid, UserHandlesBesideNamesAndAfterTimeStamps) {
  EXPECT_TRUE(covered("2025-11-28 09:02 [otieno.pk] Restarted the server.", "otieno.pk"));
  EXPECT_TRUE(covered("11:47 [ho.sy] closed", "ho.sy"));
  EXPECT_TRUE(covered("Opened by: CHAN Tai-man (csm221) | Dept", "csm221"));
  EXPECT_TRUE(covered("|H|farida.m\n", "farida.m"));
  EXPECT_TRUE(covered("\"collector\": \"agarcia2\"}", "agarcia2"));
  EXPECT_TRUE(covered("logged by hwong at 10:00", "hwong"));
  // a word after a stamp, a code in brackets after no name, a common word after an initial
  EXPECT_TRUE(found("09:02 [ok] done; (abc123) retest; ibrown bag", PhiType::kName).empty());
}

TEST(Deid, Hl7SuffixesPersonIdentifiersAndSurnameFirstNames) {
  EXPECT_TRUE(all_covered("NK1|1|SANTOS^MIGUEL^^JR|SPO", "SANTOS^MIGUEL^^JR"));
  EXPECT_TRUE(all_covered("PV1|1|I|||||002231^REYES^ANA^^^^DRA||", "REYES^ANA^^^^DRA"));
  EXPECT_TRUE(found("PV1|1|I|||||002231^REYES^ANA^^^^DRA||", PhiType::kId).count("002231"));
  EXPECT_TRUE(covered("3. Ho Mei-ling 88F, bed 2", "Ho Mei-ling"));
  EXPECT_TRUE(covered("Opened by: LAU Wing-sze | Dept", "LAU Wing-sze"));
  // a number joined to no name, a word after empty components, a hyphenated common word
  EXPECT_TRUE(found("PV1|1|I|OB^412^B^PMC||^^ICU", PhiType::kId).empty());
  EXPECT_TRUE(found("PV1|1|I|OB^412^B^PMC||^^ICU", PhiType::kName).empty());
  EXPECT_TRUE(found("Ho follow-up arranged.", PhiType::kName).empty());
}

TEST(Deid, WeekdaysBracketedMonthsDottedAndCompactDates) {
  EXPECT_TRUE(covered("OT LIST - THU 04-DEC-2025 - OT 3", "THU 04-DEC-2025"));
  EXPECT_TRUE(covered("Seen Tue, 2 December 2025.", "Tue, 2 December 2025"));
  EXPECT_TRUE(covered("HbA1c 8.1% (Sep) -> 8.4%", "Sep"));
  EXPECT_TRUE(covered("dated 14 oct. 2025 by the registrar", "14 oct. 2025"));
  EXPECT_TRUE(covered("CONSULTATION    2025. 11. 3.", "2025. 11. 3"));
  EXPECT_TRUE(covered("MSH|^~\\&|ADT|HOSP|EMR|HIE|20251130101500+0800||ADT^A01", "20251130101500+0800"));
  EXPECT_TRUE(covered("<effectiveTime value=\"20251130101500Z\"/>", "20251130101500Z"));
  EXPECT_TRUE(covered("asked her to have bloods on 14th and review", "14th"));
  EXPECT_TRUE(covered("Dyddiad: 3 Ionawr 2025; termin 12 grudnia 2025; tarikh 5 Ogos 2024", "3 Ionawr 2025"));
  EXPECT_TRUE(covered("Dyddiad: 3 Ionawr 2025; termin 12 grudnia 2025; tarikh 5 Ogos 2024", "12 grudnia 2025"));
  EXPECT_TRUE(covered("Dyddiad: 3 Ionawr 2025; termin 12 grudnia 2025; tarikh 5 Ogos 2024", "5 Ogos 2024"));
  // oxygen saturation, floors and lines, a bare run of 14 digits (an identifier), an impossible month
  for (const char* t : {"SAT 98% on RA", "moved on 2nd floor; on 3rd line", "20251301+0100 ok"})
    EXPECT_TRUE(found(t, PhiType::kDate).empty()) << t;
  EXPECT_TRUE(found("Acc 20251130101500 done", PhiType::kDate).empty());
  EXPECT_TRUE(covered("Acc 20251130101500 done", "20251130101500"));
}

TEST(Deid, IdentifiersWithLetterGroupsCheckDigitsRemarksMasksAndKeys) {
  EXPECT_TRUE(covered("Vehicle ZS41, reg KJP 771 GP", "KJP 771 GP"));
  EXPECT_TRUE(covered("IPG serial MDT 551 802 K; leads LD1234567", "MDT 551 802 K"));
  EXPECT_TRUE(covered("pacemaker (serial ABX 772134 T)", "ABX 772134 T"));
  EXPECT_TRUE(covered("HKID: Y654321(7)    HN HN20031177(4)", "Y654321(7)"));
  EXPECT_TRUE(covered("HKID: Y654321(7)    HN HN20031177(4)", "HN20031177(4)"));
  EXPECT_TRUE(found("SSN (last 4): 7731", PhiType::kSsn).count("7731"));
  EXPECT_TRUE(covered("NRIC ****552G", "552G"));
  const std::string log = "reassociated ap=AP-3 ip=10.22.3.41 gw=10.22.3.1 v6=2001:db8:3:9::2a";
  for (const char* ip : {"10.22.3.41", "10.22.3.1", "2001:db8:3:9::2a"}) EXPECT_TRUE(found(log, PhiType::kIp).count(ip)) << ip;
  // a measurement after a weak cue, letters and a dose, a value after "=" that is no identifier,
  // a bracketed count
  for (const char* t : {"reg 12 mm lesion", "reg ABC 12 mg", "Hb=12.1 K=4.1", "x(2) repeats"})
    EXPECT_TRUE(found(t, PhiType::kId).empty()) << t;
}

TEST(Deid, RegistrationNumbersAfterANameAndMobileNumbers) {
  EXPECT_TRUE(found("Dr Aminah binti Yusof (MMC 51234), Medical Officer", PhiType::kId).count("51234"));
  EXPECT_TRUE(found("Sr. Grace Wanjiku (KRCHN, NCK 51234)", PhiType::kId).count("51234"));
  EXPECT_TRUE(found("Dr Paul Camilleri (BST), MCM 3312", PhiType::kId).count("3312"));
  EXPECT_TRUE(found("Dr. Ana Lima (CRM-SP 123456)", PhiType::kId).count("123456"));
  EXPECT_TRUE(covered("Tel +234 (0)1 555 0199 (office)", "+234 (0)1 555 0199"));
  EXPECT_TRUE(covered("son Imran 0300 5551234 |", "0300 5551234"));
  // no name before the acronym, a unit after the number, no trunk zero
  EXPECT_TRUE(found("(MMC 51234) pending", PhiType::kId).empty());
  EXPECT_TRUE(found("Dr Smith, HR 1200 bpm", PhiType::kId).empty());
  EXPECT_TRUE(found("ward 1234 5678901 beds", PhiType::kPhone).empty());
}

// The kinds of miss read on the sixth set (our own sentences, not the set's): months of other
// languages and calendars, weekdays of other languages, days and months with full stops and no
// year, letters' "inst."/"ult.", holidays with their day, identifiers with a letter or a digit
// before their groups, last four digits, staff initials after a role, chat mentions.
TEST(Deid, SixthSetKindsCalendarsDottedDaysInitialsAndGroupedIdentifiers) {
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"Clinic on 7 Bealtaine 2024 with her son.", "7 Bealtaine 2024"},
           {"Born: 1951. február 14. in the county town", "1951. február 14"},
           {"propuštěn 3. června 2024 domů", "3. června 2024"},
           {"Visit 19 Esfand 1402, labs repeated", "19 Esfand 1402"},
           {"bar mitzvah on 3 Tevet 5785 in the family", "3 Tevet 5785"},
           {"delivered Tahsas 9, 2016 E.C. at home", "Tahsas 9, 2016 E.C"},
           {"rendez-vous le mardi 9 janv. à 10 h", "mardi 9 janv"},
           {"cita el martes 14 en la sala", "martes 14"},
           {"stationär vom 03.02. bis 11.02.2025", "03.02"},
           {"Kontrolle am Di., 17.03. um 10:00", "17.03"},
           {"operated on 14. 2. by the team", "14. 2"},
           {"Your letter of the 9th ult. and ours of the 2nd inst.", "9th"},
           {"Your letter of the 9th ult. and ours of the 2nd inst.", "2nd"},
           {"marched on Anzac Day with the RSL", "Anzac Day"}})
    EXPECT_TRUE(covered(t, d)) << t;
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"pension file no.: K 31 902 118; on record", "K 31 902 118"},
           {"HRN: DX 661903    Room 4", "DX 661903"},
           {"TAJ: 071 332 985 (valid)", "071 332 985"},
           {"NIR 1 84 02 75 112 093 41 on the card", "1 84 02 75 112 093 41"},
           {"court reg. no. K 2291/18 attached", "K 2291/18"},
           {"Visa card ending 7731; cash", "7731"},
           {"SSN last four: 6620.", "6620"},
           {"0755 cpht jb on break, covering", "jb"},
           {"critical K 6.9 read back TW 03:12", "TW"},
           {"refill faxed 12/3 - JD, CPhT", "JD"},
           {"Termin am Fr., 09.01. um 8 Uhr", "Fr., 09.01"},
           {"[09:12] Omar: @dnkemelu please review the film", "dnkemelu"}})
    EXPECT_TRUE(covered(t, d)) << t;
  // a month of another calendar alone is a word; a year of another era without its month is no date;
  // a blood pressure after a weak cue; a fiscal year after "ending"; a list number
  for (const char* t : {"Mehr als drei Tage Fieber", "plan: BP 120/80 recheck", "quarter ending 2025 results",
                        "Step 2. 3 tablets daily"})
    EXPECT_TRUE(found(t, PhiType::kDate).empty() && found(t, PhiType::kId).empty()) << t;
  EXPECT_TRUE(found("email me @home or at work", PhiType::kName).empty());
}

// The kinds of miss read on the seventh set (our own sentences): dates with the counters of Korean,
// Japanese and Chinese, Vietnamese dates, "month de year", short weekdays with an ordinal, holidays
// of several words, access codes, plates and lots after their words in other languages.
TEST(Deid, SeventhSetKindsCounterDatesHolidaysCodesAndPlates) {
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"내원일: 2024년 3월 7일 "
            "목요일 오후",
            "2024년 3월 7일 목요일"},
           {"入院 2024年3月7日 出院",
            "2024年3月7日"},
           {"tái khám 05 tháng 3 năm 2024 tại", "05 tháng 3 năm 2024"},
           {"Próxima consulta: abril de 2026. Obrigado.", "abril de 2026"},
           {"Clinic Wed 14th at the usual time", "Wed 14th"},
           {"closed on Boxing Day and over Lunar New Year", "Boxing Day"},
           {"closed on Boxing Day and over Lunar New Year", "Lunar New Year"},
           {"visits again after Día de Reyes", "Día de Reyes"}})
    EXPECT_TRUE(covered(t, d)) << t;
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"Key safe by the back door, code 4471, for carers", "4471"},
           {"moto placa KTR4B21 colidiu", "KTR4B21"},
           {"vacuna aplicada, lote FK1192XA", "FK1192XA"},
           {"GSM 0486 55 71 20 (zoon)", "0486 55 71 20"}})
    EXPECT_TRUE(covered(t, d)) << t;
  // a dose code, a cardiac arrest call, durations in counters, a month's name alone in a sentence
  for (const char* t : {"code blue called at 0310", "pin site care daily", "3개월 동안",
                        "spring festival of the school, boxing club"})
    EXPECT_TRUE(found(t, PhiType::kDate).empty() && found(t, PhiType::kId).empty()) << t;
}

// The kinds of miss read on the eighth set (our own sentences): month names of Slavic, Baltic,
// Caucasian and Central Asian languages with their year markers, spaced day-month-year, weekdays,
// national days, and names in Cyrillic script (initials, patronymics, surname endings).
TEST(Deid, EighthSetKindsCyrillicNamesAndDatesOfMoreLanguages) {
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"Поступил 14 марта 2024 г. в отделение", "14 марта 2024 г"},
           {"Atvyko 2024 m. kovo 5 d. į skyrių", "2024 m. kovo 5 d"},
           {"Izrakstīts 2024. gada 11. martā? nē: 2024. gada 11. oktobra vakarā", "2024. gada 11. oktobra"},
           {"Qabul: 2024-yil 7-mart kuni", "2024-yil 7-mart"},
           {"Kontrola 4. 3. 2024 v ambulanci", "4. 3. 2024"},
           {"kontrola u četvrtak 7. ožujka", "7. ožujka"},
           {"Vizit: teisipäev, 5. märts 2024", "teisipäev"},
           {"the clinic is closed on Liberation Day and World AIDS Day", "Liberation Day"},
           {"the clinic is closed on Liberation Day and World AIDS Day", "World AIDS Day"}})
    EXPECT_TRUE(covered(t, d)) << t;
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"Лечащий врач: Кузнецов П. С., тел. внутр.", "Кузнецов П. С"},
           {"осмотрен д-ром Т.Ганбаатар утром", "Т.Ганбаатар"},
           {"Пациентка Семенова Ирина Павловна, 1961 г.р.", "Семенова Ирина Павловна"},
           {"Медбике Әбдірахманова Дина Қайратқызы кезекте", "Әбдірахманова Дина Қайратқызы"},
           {"Эмч: Доржийн Нарантуяа", "Доржийн Нарантуяа"}})
    EXPECT_TRUE(covered(t, d)) << t;
  // a Cyrillic sentence without names, a month alone in a list of words, a version number
  for (const char* t : {"Жалобы на боли в груди", "Диагноз: Острый Инфаркт", "version 2. 3. 2024 build"})
    EXPECT_TRUE(found(t, PhiType::kName).empty()) << t;
}

// Surrogate dates: a date of another language or calendar is replaced whole (never half shifted
// with its month word left in place), full stops mean day first, an ordinal suffix follows the new day.
TEST(Deid, SurrogateDatesOfOtherCalendarsDotsAndOrdinals) {
  DeidOptions o;
  o.key = "0123456789abcdef-secret";
  o.patient = "p7";
  auto dates = [&](const std::string& t) {
    std::vector<std::string> d;
    for (const PhiSpan& s : deid().deidentify(t, o).spans)
      if (s.type == PhiType::kDate) d.push_back(s.replacement);
    return d;
  };
  for (const char* t : {"Seen 11 Azar 1404 in Tehran.", "Seen 12 Kislev 5786 at home.", "Visto el 5 de marzo de 1970."}) {
    const auto d = dates(t);
    ASSERT_EQ(d.size(), 1u) << t;
    EXPECT_EQ(d[0], "[DATE]") << t;
  }
  // "24.11.2025" and "2. 12. 2025" read day first: the surrogate is a valid day-first date
  for (const char* t : {"Admitted 24.11.2025 to the ward.", "Kontrolle 2. 12. 2025 in der Ambulanz."}) {
    const auto d = dates(t);
    ASSERT_EQ(d.size(), 1u) << t;
    int day = 0, month = 0, year = 0;
    ASSERT_EQ(std::sscanf(d[0].c_str(), "%d. %d. %d", &day, &month, &year), 3) << d[0];
    EXPECT_TRUE(day >= 1 && day <= 31 && month >= 1 && month <= 12 && year >= 2024 && year <= 2026) << d[0];
  }
  // the suffix agrees with the day
  const auto d = dates("Seen on March 3rd, 2024 and on 21st March 2024.");
  ASSERT_EQ(d.size(), 2u);
  for (const std::string& s : d) {
    const int n = std::atoi(s.c_str() + s.find_first_of("0123456789"));
    const std::string suf = s.substr(s.find_first_not_of("0123456789", s.find_first_of("0123456789")), 2);
    const std::string want = (n % 100 >= 11 && n % 100 <= 13) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
    EXPECT_EQ(suf, want) << s;
  }
}

// Kinds the ninth held-out set showed (the rules alone): months and weekdays of Catalan, Galician,
// Basque, Belarusian, Frisian, Scottish Gaelic and Kyrgyz; a lot number before a side ("L
// deltoid" is no unit); collar numbers; initials in handovers, scrub lists and at the end of an
// entry; a title that is also a surname; capitalised Cyrillic relatives, which end at a cue word.
TEST(Deid, NinthSetKindsMonthsOfMoreLanguagesInitialsAndCyrillicRelatives) {
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"Alta: dimarts, 2 de desembre de 2025 a les 11 h", "2 de desembre de 2025"},
           {"Alta: dimarts, 2 de desembre de 2025 a les 11 h", "dimarts"},
           {"Revisión o 15 de xaneiro en consultas", "15 de xaneiro"},
           {"Ospitaleratzea: abenduaren 21 arratsaldean", "abenduaren 21"},
           {"Выпісаны 2 снежня 2025 г. дадому", "2 снежня 2025 г"},
           {"Untslein: tiisdei 2 desimber 2025", "2 desimber 2025"},
           {"Air fhàgail: Dimàirt 2 an Dùbhlachd 2025", "Dùbhlachd 2025"},
           {"Vaccines: Kinrix (DTaP-IPV) lot 7K2R9 L deltoid", "7K2R9"},
           {"Detained by PC Amy Foulkes collar 2271 (Norfolk)", "2271"}})
    EXPECT_TRUE(covered(t, d)) << t;
  for (const auto& [t, d] : std::vector<std::pair<std::string, std::string>>{
           {"Handed over by NE to TF 21:45.", "NE"},
           {"Handed over by NE to TF 21:45.", "TF"},
           {"Swabs and instruments correct (scrub MW, JB).", "JB"},
           {"Dressings for the patient are running low, please issue. KT", "KT"},
           {"With mum Gemma Nurse and a note from the school nurse.", "Gemma Nurse"},
           {"Жонка Вольга, тэл. +375 29 555-41-82", "Вольга"}})
    EXPECT_TRUE(covered(t, d)) << t;
  // a cue word after a Cyrillic name is no part of it; a title after a surname stays a title
  for (const char* t : {"Жена Ольга, тел. 555-12-34", "Жонка Вольга тэл. 555"})
    for (const std::string& s : found(t, PhiType::kName)) {
      EXPECT_EQ(s.find("тел"), std::string::npos) << t;
      EXPECT_EQ(s.find("тэл"), std::string::npos) << t;
    }
  EXPECT_TRUE(found("The plan was agreed with the team. BP", PhiType::kName).empty());
}
