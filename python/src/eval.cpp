// medgen.evaluate: the evaluation report of data frames, as `medgen evaluate` computes it.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include "engine.h"
#include "frame.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/eval/evaluate.h"
#include "medgen/eval/gate.h"
#include "medgen/eval/report_html.h"

namespace medgen::python {

namespace {

py::object evaluate_frames(const py::object& real, const py::object& synthetic, const py::object& holdout,
                           const py::object& schema_arg, const std::string& target,
                           const std::vector<std::string>& sensitive, const std::vector<std::string>& quasi,
                           bool detection, const py::object& gate_arg, const std::string& html,
                           const std::string& json_path, uint64_t seed, int threads) {
  eval::EvalOptions options;
  options.target = target;
  options.sensitive = sensitive;
  options.quasi = quasi;
  options.detection = detection;
  options.validate();
  const Context ctx = make_context(seed, threads);
  // One schema for the three frames (given, or inferred from the real one as the CLI does), so
  // that a boolean column is read with the same labels in each (True -> "1" where real has 0/1).
  Schema schema;
  if (schema_given(schema_arg)) schema = schema_from_python(schema_arg);
  const RawTable r = frame_to_raw(real, "real", schema_given(schema_arg) ? &schema : nullptr);
  if (!schema_given(schema_arg)) schema = infer_frame_schema(real, r, nullptr);
  const RawTable s = frame_to_raw(synthetic, "synthetic", &schema);
  RawTable h;
  if (!holdout.is_none()) h = frame_to_raw(holdout, "holdout", &schema);
  eval::Gate gate;
  const bool gated = !gate_arg.is_none();
  if (gated)
    gate = py::isinstance<py::dict>(gate_arg) ? eval::Gate::from_json(gate_arg.cast<nlohmann::json>(), "gate")
                                              : eval::Gate::read(py::str(gate_arg).cast<std::string>());
  const std::string text = released([&] {
    const eval::EvalData data = eval::load_eval_data(r, s, holdout.is_none() ? nullptr : &h,
                                                     &schema, frame_csv_options());
    nlohmann::ordered_json report = eval::evaluate(data, options, ctx);
    if (gated) {
      const eval::GateResult verdict = eval::apply_gate(report, gate);
      report["gate"] = verdict.to_json();
      report["gate"]["thresholds"] = gate.to_json();
    }
    std::vector<std::pair<std::string, std::string>> outputs;
    if (!html.empty()) outputs.emplace_back(html, eval::render_html(report));
    std::string dumped = report.dump(2) + "\n";
    if (!json_path.empty()) outputs.emplace_back(json_path, dumped);
    write_files_atomic(outputs);
    return dumped;
  });
  // Through Python's json module, so that the dict keeps the report's key order.
  return py::module_::import("json").attr("loads")(text);
}

}  // namespace

void register_eval(py::module_& m) {
  m.def("_evaluate", &evaluate_frames, py::arg("real"), py::arg("synthetic"), py::arg("holdout"), py::arg("schema"),
        py::arg("target"), py::arg("sensitive"), py::arg("quasi"), py::arg("detection"), py::arg("gate"),
        py::arg("html"), py::arg("json_path"), py::arg("seed"), py::arg("threads"));
}

}  // namespace medgen::python
