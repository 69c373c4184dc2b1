#include "medgen/sim/physiology.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "medgen/core/error.h"

namespace medgen::sim {
namespace {

const std::vector<DrugSpec> kNoDrugs;

EffectCourse course(Mod m, double base, double ramp_s = 60) {
  EffectCourse c;
  c.target = m;
  c.base = base;
  c.ramp_s = ramp_s;
  return c;
}

TEST(Physiology, HealthyPatientStaysStableForAnHour) {
  Physiology p(PatientParams{}, &kNoDrugs);
  const Vitals v0 = p.vitals();
  EXPECT_NEAR(v0.map_mmhg, 90, 1);
  EXPECT_NEAR(v0.hr_bpm, 72, 1);
  EXPECT_NEAR(v0.co_l_min, 5.0, 0.1);
  for (int i = 0; i < 60; ++i) {
    p.advance(60);
    const Vitals v = p.vitals();
    ASSERT_NEAR(v.map_mmhg, 90, 3) << "minute " << i;
    ASSERT_NEAR(v.hr_bpm, 72, 4) << "minute " << i;
    ASSERT_GT(v.spo2_pct, 95);
    ASSERT_NEAR(v.paco2_mmhg, 40, 3);
    ASSERT_NEAR(v.ph, 7.40, 0.03);
    ASSERT_NEAR(v.lactate_mmol_l, 1.0, 0.2);
    ASSERT_NEAR(v.glucose_mmol_l, 5.2, 0.4);
    ASSERT_NEAR(v.potassium_mmol_l, 4.2, 0.2);
    ASSERT_EQ(v.gcs, 15);
  }
  EXPECT_NEAR(p.time_s(), 3600, 1e-6);
}

TEST(Physiology, HaemorrhageRaisesHeartRateBeforePressureFalls) {
  Physiology p(PatientParams{}, &kNoDrugs);
  p.set_courses({course(Mod::kBleedingMlPerMin, 40)});
  const Vitals v0 = p.vitals();
  double t_hr = -1, t_map = -1;
  for (int s = 0; s < 3600 && t_map < 0; s += 10) {
    p.advance(10);
    const Vitals v = p.vitals();
    if (t_hr < 0 && v.hr_bpm > 1.1 * v0.hr_bpm) t_hr = v.time_s;
    if (t_map < 0 && v.map_mmhg < 0.9 * v0.map_mmhg) t_map = v.time_s;
  }
  ASSERT_GT(t_hr, 0);
  ASSERT_GT(t_map, 0) << "40 mL/min for an hour must eventually lower MAP";
  EXPECT_LT(t_hr + 120, t_map) << "HR +10% at " << t_hr << " s, MAP -10% at " << t_map << " s";
}

TEST(Physiology, FluidsInHaemorrhagicShockRaiseMap) {
  Physiology p(PatientParams{}, &kNoDrugs);
  std::vector<EffectCourse> c = {course(Mod::kBleedingMlPerMin, 60)};
  c[0].resolve_at_s = 1800;  // bleeding controlled after 30 min
  p.set_courses(c);
  p.advance(1800);
  const Vitals shocked = p.vitals();
  EXPECT_LT(shocked.map_mmhg, 70);
  p.give_fluid(FluidKind::kCrystalloid, 2000, 2000.0 / 1200.0);
  p.advance(1200);
  const Vitals after = p.vitals();
  EXPECT_GT(after.map_mmhg, shocked.map_mmhg + 10);
  EXPECT_LT(after.hr_bpm, shocked.hr_bpm);
  EXPECT_LT(after.hb_g_dl, shocked.hb_g_dl) << "crystalloid dilutes";
}

TEST(Physiology, AdvanceRejectsNegativeTime) {
  Physiology p(PatientParams{}, &kNoDrugs);
  EXPECT_THROW(p.advance(-1), InvalidInput);
}

}  // namespace
}  // namespace medgen::sim
