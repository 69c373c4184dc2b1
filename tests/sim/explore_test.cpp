// Not a test: prints every condition's course (MEDGEN_SIM_EXPLORE=1) for calibration and docs.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

TEST(Explore, Conditions) {
  const char* e = std::getenv("MEDGEN_SIM_EXPLORE");
  if (!e) GTEST_SKIP();
  const std::string only = e;
  for (const auto& cond : catalog().conditions) {
    if (only != "1" && only != cond.name) continue;
    for (const char* sev : {"mild", "moderate", "severe"}) {
      Case c = make_case(cond.name, sev);
      Session s(catalog(), c);
      std::printf("== %s %s (%s, %.0f kg, onset %.2f h)\n", cond.name.c_str(), sev, c.patient.female ? "F" : "M",
                  c.patient.weight_kg, c.onset_hours);
      for (double m : {0.0, 15.0, 30.0, 60.0, 120.0, 240.0}) {
        if (s.time_s() < m * 60) s.advance(m * 60 - s.time_s());
        const Vitals v = s.vitals();
        std::printf(
            "  %4.0f min HR %3.0f BP %3.0f/%-3.0f MAP %3.0f CVP %4.1f RR %4.1f SpO2 %3.0f PaCO2 %3.0f T %4.1f GCS "
            "%4.1f "
            "lac %4.1f glu %4.1f pH %4.2f HCO3 %4.1f K %3.1f Cr %3.0f trop %5.0f BV %4.0f%s\n",
            m, v.hr_bpm, v.sbp_mmhg, v.dbp_mmhg, v.map_mmhg, v.cvp_mmhg, v.rr_per_min, v.spo2_pct, v.paco2_mmhg,
            v.temp_c, v.gcs, v.lactate_mmol_l, v.glucose_mmol_l, v.ph, v.hco3_mmol_l, v.potassium_mmol_l,
            v.creatinine_umol_l, v.troponin_ng_l, v.blood_volume_ml,
            s.dead()     ? " DEAD"
            : v.arrested ? " ARREST"
                         : "");
      }
    }
  }
}

}  // namespace
}  // namespace medgen::sim::test
