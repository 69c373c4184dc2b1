// medgen.sim: virtual patients for notebooks (the same Session as `medgen sim run`).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include "engine.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/scoring.h"
#include "medgen/sim/session.h"

namespace medgen::python {

namespace {

using namespace medgen::sim;

// Catalogs are read once per folder and shared by the sessions that use them.
std::shared_ptr<const Catalog> catalog(const std::string& dir_arg) {
  static std::map<std::string, std::shared_ptr<const Catalog>> cache;
  const std::string dir = dir_arg.empty() ? Catalog::default_dir() : dir_arg;
  auto it = cache.find(dir);
  if (it == cache.end()) it = cache.emplace(dir, std::make_shared<const Catalog>(Catalog::load(dir))).first;
  return it->second;
}

py::dict vitals_dict(const Vitals& v) {
  py::dict d;
  for (const std::string& n : Vitals::names()) {
    double x = 0;
    if (v.get(n, &x)) d[py::str(n)] = x;
  }
  d["intubated"] = v.intubated;
  d["arrested"] = v.arrested;
  return d;
}

py::list events_list(const std::vector<Event>& events) {
  py::list out;
  for (const Event& e : events) {
    py::dict d;
    d["t_s"] = e.t_s;
    d["kind"] = e.kind;
    d["text"] = e.text;
    d["actor"] = e.actor;
    out.append(d);
  }
  return out;
}

struct PySession {
  std::shared_ptr<const Catalog> cat;
  std::unique_ptr<Session> s;

  PySession(const std::string& condition, const std::string& case_path, uint64_t seed, const std::string& severity,
            bool examiner, const std::string& data_dir) {
    cat = catalog(data_dir);
    Case c;
    if (!case_path.empty()) {
      if (!condition.empty()) throw InvalidInput("give a condition or a case file, not both");
      c = Case::load(case_path, cat.get());
      present_case(*cat, &c);
    } else {
      if (condition.empty()) throw InvalidInput("a session needs a condition (medgen.sim.conditions()) or a case file");
      CaseOptions co;
      co.condition = condition;
      co.seed = seed;
      co.severity = severity;
      c = generate_case(*cat, co);
    }
    SessionOptions so;
    so.examiner = examiner;
    s = std::make_unique<Session>(*cat, c, so);
  }

  Score score() const { return score_session(*s, cat->rubrics.at(s->condition().rubric)); }
};

py::object samples_frame(const Session& s) {
  const auto& smp = s.samples();
  py::dict cols;
  py::array_t<double> t(static_cast<py::ssize_t>(smp.size()));
  for (size_t i = 0; i < smp.size(); ++i) t.mutable_data()[i] = smp[i].t_s;
  cols["t_s"] = t;
  for (const std::string& n : Vitals::names()) {
    py::array_t<double> a(static_cast<py::ssize_t>(smp.size()));
    for (size_t i = 0; i < smp.size(); ++i) {
      double x = 0;
      smp[i].v.get(n, &x);
      a.mutable_data()[i] = x;
    }
    cols[py::str(n)] = a;
  }
  return py::module_::import("pandas").attr("DataFrame")(cols, py::arg("copy") = false);
}

}  // namespace

void register_sim(py::module_& m) {
  py::module_ sim = m.def_submodule("sim", "virtual patients");
  py::class_<PySession>(sim, "_Session")
      .def(py::init<const std::string&, const std::string&, uint64_t, const std::string&, bool, const std::string&>(),
           py::arg("condition"), py::arg("case"), py::arg("seed"), py::arg("severity"), py::arg("examiner"),
           py::arg("data_dir"))
      .def("act", [](PySession& p, const std::string& text) {
        auto ev = released([&] { return p.s->act(text); });
        return events_list(ev);
      })
      .def("advance", [](PySession& p, double seconds) {
        if (!(seconds >= 0) || seconds > 7 * 24 * 3600.0)
          throw InvalidInput("advance: seconds must be in [0, 604800], got " + std::to_string(seconds));
        auto ev = released([&] { return p.s->advance(seconds); });
        return events_list(ev);
      })
      .def_property_readonly("time_s", [](const PySession& p) { return p.s->time_s(); })
      .def_property_readonly("dead", [](const PySession& p) { return p.s->dead(); })
      .def_property_readonly("vitals", [](const PySession& p) { return vitals_dict(p.s->vitals()); })
      .def_property_readonly("briefing", [](const PySession& p) { return p.s->briefing(); })
      .def_property_readonly("monitor_line", [](const PySession& p) { return p.s->monitor_line(); })
      .def_property_readonly("condition", [](const PySession& p) { return p.s->condition().name; })
      .def_property_readonly("case", [](const PySession& p) { return p.s->case_data().to_json(); })
      .def_property_readonly("log", [](const PySession& p) { return events_list(p.s->log()); })
      .def("samples", [](const PySession& p) { return samples_frame(*p.s); })
      .def("record", [](const PySession& p) { return session_json(*p.s, p.score()); })
      .def("debrief", [](const PySession& p) { return debrief_text(*p.s, p.score()); })
      .def("debrief_html", [](const PySession& p, const std::string& path) {
        std::string html = debrief_html(*p.s, p.score());
        if (!path.empty()) write_file_atomic(path, html);
        return html;
      }, py::arg("path"));
  sim.def("_conditions", [](const std::string& data_dir) { return catalog(data_dir)->summary_json(); },
          py::arg("data_dir"));
}

}  // namespace medgen::python
