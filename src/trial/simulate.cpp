#include "medgen/trial/simulate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "medgen/core/error.h"
#include "medgen/trial/analysis.h"

namespace medgen::trial {

namespace {

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9E3779B97F4A7C15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Type-7 quantile of sorted values.
double quantile(const std::vector<double>& s, double q) {
  if (s.empty()) return NAN;
  const double h = q * (s.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

nlohmann::json rate(size_t hits, size_t n) {
  const double p = n ? static_cast<double>(hits) / n : NAN;
  return {{"rate", p}, {"mcse", n ? std::sqrt(p * (1 - p) / n) : NAN}, {"trials", n}};
}

std::vector<size_t> sizes(const LearnedTrial& L, const TrialDesign& d) {
  if (!d.per_arm.empty()) return d.per_arm;
  std::vector<size_t> s;
  for (const auto& a : L.arms) s.push_back(a.patients);
  return s;
}

}  // namespace

void TrialDesign::validate(size_t arms) const {
  if (!per_arm.empty() && per_arm.size() != arms)
    throw InvalidInput("--per-arm: " + std::to_string(per_arm.size()) + " sizes given for " + std::to_string(arms) +
                       " arms (control first)");
  for (size_t n : per_arm)
    if (n < 2 || n > 1000000) throw InvalidInput("--per-arm: each arm needs 2..1000000 patients");
  if (hr.size() != arms - 1)
    throw InvalidInput("--hr: " + std::to_string(hr.size()) + " hazard ratios given for " + std::to_string(arms - 1) +
                       " treated arms");
  for (double h : hr)
    if (!std::isnan(h) && !(h > 0 && h < 100)) throw InvalidInput("--hr must be in (0, 100) or 'learned'");
  if (std::isnan(accrual) != std::isnan(follow_up))
    throw InvalidInput("--accrual and --follow-up go together (neither: the real trial's censoring)");
  if (!std::isnan(accrual) && !(accrual >= 0 && follow_up > 0))
    throw InvalidInput("--accrual must be >= 0 and --follow-up > 0");
  if (!(dropout >= 0 && dropout < 0.99)) throw InvalidInput("--dropout must be in [0, 0.99)");
  if (dropout > 0 && std::isnan(follow_up)) throw InvalidInput("--dropout goes with --accrual and --follow-up");
  if (trials < 10 || trials > 10000000) throw InvalidInput("--trials must be in 10..10000000");
  if (!(alpha > 0 && alpha < 0.5)) throw InvalidInput("--alpha must be in (0, 0.5)");
}

nlohmann::json TrialDesign::to_json() const {
  nlohmann::json h = nlohmann::json::array(), e = nlohmann::json::array();
  for (double x : hr) h.push_back(std::isnan(x) ? nlohmann::json("learned") : nlohmann::json(x));
  for (const auto& f : eligible) e.push_back(f.text());
  nlohmann::json j{{"per_arm", per_arm}, {"hr", h}, {"eligible", e}, {"trials", trials}, {"alpha", alpha}};
  if (std::isnan(accrual)) {
    j["censoring"] = "learned";
  } else {
    j["censoring"] = "design";
    j["accrual"] = accrual;
    j["follow_up"] = follow_up;
    j["dropout"] = dropout;
  }
  return j;
}

SimulatedTrial simulate_one(const LearnedTrial& L, const TrialDesign& d, bool null_design, uint64_t seed,
                            const Context& ctx) {
  const std::vector<size_t> per = sizes(L, d);
  size_t total = 0;
  for (size_t n : per) total += n;
  // Patients: draw, keep the eligible, until every arm is filled.
  Table pts;
  std::vector<size_t> keep;
  Table batch;
  for (int round = 0; keep.size() < total; ++round) {
    if (round == 50)
      throw InvalidInput("--eligible: fewer than " + std::to_string(total) + " eligible patients in 50 draws of " +
                         std::to_string(total) + " (the filters keep too few)");
    Context c = ctx;
    c.seed = mix(seed, 1000 + round);
    batch = L.sample_patients(total, c);
    std::vector<size_t> rows;
    for (size_t i = 0; i < batch.num_rows() && keep.size() + rows.size() < total; ++i) {
      bool ok = true;
      for (const auto& f : d.eligible) ok = ok && f.matches(batch, i);
      if (ok) rows.push_back(i);
    }
    Table part = batch.take(rows);
    if (pts.num_cols() == 0) {
      pts = std::move(part);
    } else {
      for (size_t c2 = 0; c2 < pts.num_cols(); ++c2) {
        Column& dst = pts.columns[c2];
        const Column& src = part.columns[c2];
        if (dst.storage == Storage::kNumber) {
          dst.values.insert(dst.values.end(), src.values.begin(), src.values.end());
          dst.valid.insert(dst.valid.end(), src.valid.begin(), src.valid.end());
        } else {
          for (int32_t code : src.codes) {
            if (code < 0) {
              dst.codes.push_back(-1);
              continue;
            }
            const std::string& l = src.dictionary[code];
            auto it = std::find(dst.dictionary.begin(), dst.dictionary.end(), l);
            if (it == dst.dictionary.end()) it = dst.dictionary.insert(dst.dictionary.end(), l);
            dst.codes.push_back(static_cast<int32_t>(it - dst.dictionary.begin()));
          }
        }
      }
    }
    keep.resize(pts.num_rows());
  }
  // Linear predictors under each outcome model needed.
  std::vector<std::vector<double>> eta(L.arms.size());
  auto model_of = [&](size_t a, double* hr) -> size_t {
    *hr = 1;
    if (a == 0 || null_design) return 0;
    if (std::isnan(d.hr[a - 1])) return a;
    *hr = d.hr[a - 1];
    return 0;
  };
  SimulatedTrial s;
  s.arm.reserve(total);
  Rng rng(mix(seed, 7));
  const double drop_rate = d.dropout > 0 ? -std::log(1 - d.dropout) / d.follow_up : 0;
  size_t row = 0;
  for (size_t a = 0; a < per.size(); ++a) {
    double hr = 1;
    const size_t m = model_of(a, &hr);
    if (eta[m].empty()) eta[m] = L.linear_predictors(pts, m);
    for (size_t k = 0; k < per[a]; ++k, ++row) {
      const double t = L.arms[m].draw_time(eta[m][row], hr, rng);
      double c;
      if (std::isnan(d.accrual)) {
        c = L.draw_censoring(rng);
      } else {
        c = d.accrual + d.follow_up - d.accrual * rng.uniform();
        if (drop_rate > 0) c = std::min(c, -std::log(rng.uniform_open()) / drop_rate);
      }
      s.arm.push_back(static_cast<int>(a));
      s.time.push_back(std::max(std::min(t, c), 1e-9));
      s.event.push_back(t <= c ? 1 : 0);
    }
  }
  return s;
}

nlohmann::json simulate_trials(const LearnedTrial& L, const Table& input, const TrialDesign& design, const Context& ctx) {
  const size_t K = L.arms.size();
  design.validate(K);
  {
    Context c = ctx;
    const Table probe = L.sample_patients(2, c);
    for (const auto& f : design.eligible) {
      if (probe.find(f.column) < 0) throw InvalidInput("--eligible: '" + f.column + "' is not a learned covariate");
      f.check(probe, "--eligible");
    }
  }
  const int T = design.trials;
  // results[job][a-1]: jobs 0..T-1 the design, T..2T-1 its null.
  std::vector<std::vector<Comparison>> results(2 * static_cast<size_t>(T));
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&]() {
    for (;;) {
      const size_t job = next.fetch_add(1);
      if (job >= results.size()) return;
      try {
        const bool null_design = job >= static_cast<size_t>(T);
        const uint64_t seed = mix(ctx.seed, job % T + (null_design ? 0x100000000ULL : 0));
        Context c = ctx;
        c.threads = 1;
        const SimulatedTrial s = simulate_one(L, design, null_design, seed, c);
        std::vector<Comparison> out;
        for (size_t a = 1; a < K; ++a) {
          std::vector<int> tr;
          std::vector<double> tm;
          std::vector<int> ev;
          for (size_t i = 0; i < s.arm.size(); ++i) {
            if (s.arm[i] != 0 && s.arm[i] != static_cast<int>(a)) continue;
            tr.push_back(s.arm[i] == 0 ? 0 : 1);
            tm.push_back(s.time[i]);
            ev.push_back(s.event[i]);
          }
          out.push_back(compare_arms(tr, tm, ev));
        }
        results[job] = std::move(out);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = results.size();
        return;
      }
    }
  };
  // Synthesizers whose sample may run on several threads at once (synthesizer.h); others on one.
  const std::string synth = L.patients->name();
  const bool parallel_ok = synth == "cart" || synth == "copula" || synth == "independent";
  const int threads = parallel_ok ? std::max(1, std::min(ctx.threads, 64)) : 1;
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);

  // The real trial's own comparisons, the reference.
  const Table real = arm_as_labels(input, L.columns.arm);
  const std::vector<size_t> rows = used_rows(real, L.columns);
  predict::OutcomeSpec spec;
  spec.time = L.columns.time;
  spec.event = L.columns.event;
  spec.event_value = L.columns.event_value;
  const Table R = real.take(rows);
  std::vector<double> y, time;
  std::vector<int> event;
  std::vector<uint8_t> ok;
  predict::read_outcome(R, spec, L.source, &y, &time, &event, &ok);

  nlohmann::json comps = nlohmann::json::array();
  for (size_t a = 1; a < K; ++a) {
    nlohmann::json c;
    c["control"] = L.arms[0].label;
    c["treatment"] = L.arms[a].label;
    c["design_hr"] = std::isnan(design.hr[a - 1]) ? nlohmann::json("learned") : nlohmann::json(design.hr[a - 1]);
    for (int null_design = 0; null_design < 2; ++null_design) {
      size_t wald = 0, lr = 0, n = 0, nonconv = 0;
      double events = 0;
      std::vector<double> log_hr;
      for (int i = 0; i < T; ++i) {
        const Comparison& r = results[i + (null_design ? T : 0)][a - 1];
        ++n;
        events += r.events;
        wald += r.wald_p < design.alpha;
        lr += r.logrank_p < design.alpha;
        if (std::isfinite(r.log_hr) && r.converged) log_hr.push_back(r.log_hr);
        else ++nonconv;
      }
      std::sort(log_hr.begin(), log_hr.end());
      double mean = 0, sd = 0;
      for (double v : log_hr) mean += v / log_hr.size();
      for (double v : log_hr) sd += (v - mean) * (v - mean) / std::max<size_t>(1, log_hr.size() - 1);
      nlohmann::json est{{"mean_log_hr", mean},
                         {"sd_log_hr", std::sqrt(sd)},
                         {"median_hr", std::exp(quantile(log_hr, 0.5))},
                         {"q025_hr", std::exp(quantile(log_hr, 0.025))},
                         {"q975_hr", std::exp(quantile(log_hr, 0.975))},
                         {"not_estimable", nonconv}};
      const std::string key = null_design ? "null" : "design";
      c[key] = {{"rejections_wald", rate(wald, n)},
                {"rejections_logrank", rate(lr, n)},
                {"hr_estimate", est},
                {"mean_events", events / n}};
    }
    c["power_wald"] = c["design"]["rejections_wald"]["rate"];
    c["power_logrank"] = c["design"]["rejections_logrank"]["rate"];
    c["type1_wald"] = c["null"]["rejections_wald"]["rate"];
    c["type1_logrank"] = c["null"]["rejections_logrank"]["rate"];
    // Cox on the real rows of these two arms.
    std::vector<int> tr;
    std::vector<double> tm;
    std::vector<int> ev;
    const Column& RA = R.column(L.columns.arm);
    for (size_t i = 0; i < R.num_rows(); ++i) {
      const std::string& l = RA.dictionary[RA.codes[i]];
      if (l != L.arms[0].label && l != L.arms[a].label) continue;
      tr.push_back(l == L.arms[0].label ? 0 : 1);
      tm.push_back(time[i]);
      ev.push_back(event[i]);
    }
    if (!tm.empty()) {
      const Comparison ref = compare_arms(tr, tm, ev);
      c["real_reference"] = ref.to_json();
      const auto& e = c["design"]["hr_estimate"];
      c["reference_inside_interval"] =
          ref.hr >= e["q025_hr"].get<double>() && ref.hr <= e["q975_hr"].get<double>();
    }
    comps.push_back(c);
  }
  nlohmann::json d = design.to_json();
  d["per_arm"] = sizes(L, design);
  return {{"design", d}, {"learned", L.summary()}, {"comparisons", comps}};
}

}  // namespace medgen::trial
