// Haemorrhage against the ATLS classes of haemorrhagic shock (ATLS 10th edition, 2018, table 3-1):
// a healthy 70 kg adult bleeding 40 mL/min is read when the blood shed reaches each class.
#include <gtest/gtest.h>

#include <cstdio>

#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

struct AtClass {
  double pct;
  Vitals v;
};

std::vector<AtClass> bleed(double ml_per_min, std::vector<double> pcts, Vitals* base) {
  Physiology p(PatientParams{}, &catalog().drugs);
  *base = p.vitals();
  EffectCourse c;
  c.target = Mod::kBleedingMlPerMin;
  c.base = ml_per_min;
  c.ramp_s = 1;
  p.set_courses({c});
  std::vector<AtClass> out;
  for (double pct : pcts) {
    while (p.vitals().blood_lost_pct < pct && p.time_s() < 6 * 3600) p.advance(15);
    out.push_back({pct, p.vitals()});
  }
  return out;
}

TEST(Haemorrhage, FollowsTheAtlsClassesOfShock) {
  Vitals b;
  const auto at = bleed(40, {10, 22, 35, 45}, &b);
  for (const auto& a : at)
    std::printf("%2.0f%% shed: HR %3.0f  SBP %3.0f  PP %2.0f  RR %4.1f  GCS %4.1f  urine %4.1f mL/h\n", a.pct, a.v.hr_bpm,
                a.v.sbp_mmhg, a.v.sbp_mmhg - a.v.dbp_mmhg, a.v.rr_per_min, a.v.gcs, a.v.urine_ml_per_h);
  const double pp0 = b.sbp_mmhg - b.dbp_mmhg;
  // Class I (< 15%): HR normal or minimally raised, SBP, PP and RR normal, urine > 30 mL/h.
  const Vitals& i = at[0].v;
  EXPECT_LT(i.hr_bpm, 100);
  EXPECT_GT(i.sbp_mmhg, 0.9 * b.sbp_mmhg);
  EXPECT_LT(i.rr_per_min, 20);
  EXPECT_GE(i.gcs, 14.9);
  EXPECT_GT(i.urine_ml_per_h, 30);
  // Class II (15-30%): HR 100-120, SBP normal, PP decreased, RR 20-30, mildly anxious, urine 20-30.
  const Vitals& ii = at[1].v;
  EXPECT_GE(ii.hr_bpm, 100);
  EXPECT_LE(ii.hr_bpm, 125);
  EXPECT_GT(ii.sbp_mmhg, 90);
  EXPECT_LT(ii.sbp_mmhg - ii.dbp_mmhg, pp0);
  EXPECT_GE(ii.rr_per_min, 20);
  EXPECT_LE(ii.rr_per_min, 30);
  EXPECT_GE(ii.urine_ml_per_h, 15);
  EXPECT_LE(ii.urine_ml_per_h, 35);
  // Class III (31-40%): HR 120-140, SBP decreased, RR 30-40, anxious or confused, urine 5-15.
  const Vitals& iii = at[2].v;
  EXPECT_GE(iii.hr_bpm, 120);
  EXPECT_LE(iii.hr_bpm, 140);
  EXPECT_LT(iii.sbp_mmhg, b.sbp_mmhg - 15);
  EXPECT_GE(iii.rr_per_min, 30);
  EXPECT_LE(iii.rr_per_min, 40);
  EXPECT_LT(iii.gcs, 15);
  EXPECT_GE(iii.urine_ml_per_h, 3);
  EXPECT_LE(iii.urine_ml_per_h, 15);
  // Class IV (> 40%): HR > 140 (at the age-predicted ceiling), SBP greatly decreased, RR > 35,
  // confused or lethargic, negligible urine.
  const Vitals& iv = at[3].v;
  EXPECT_GE(iv.hr_bpm, 138);
  EXPECT_LT(iv.sbp_mmhg, 70);
  EXPECT_GT(iv.rr_per_min, 35);
  EXPECT_LT(iv.gcs, 14);
  EXPECT_LT(iv.urine_ml_per_h, 3);
}

TEST(Haemorrhage, UntreatedSevereHaemorrhageEndsInExsanguination) {
  Session s(catalog(), make_case("haemorrhagic_shock", "severe", 7));
  s.advance(6 * 3600);
  bool exsanguination = false;
  for (const auto& e : s.log()) exsanguination = exsanguination || e.text.find("exsanguination") != std::string::npos;
  EXPECT_TRUE(s.dead());
  EXPECT_TRUE(exsanguination) << "blood lost " << s.vitals().blood_lost_pct << "%";
}

}  // namespace
}  // namespace medgen::sim::test
