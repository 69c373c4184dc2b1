// medgen image: medical image I/O (info, convert, preview). Thin: parses flags, calls
// medgen/imaging, prints. Errors go through main()'s one-line, exit-2 mapping.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/imaging/intensity.h"
#include "medgen/imaging/io.h"
#include "options.h"

using namespace medgen;
using namespace medgen::imaging;

// tools/medgen/cmd_imaging_models.cpp
std::function<int()> add_image_model_commands(CLI::App* image);

namespace {

struct ImageArgs {
  std::string input, output, axis = "axial", window = "auto";
  long slice = -1;
  bool anonymize = false;
  cli::CommonOptions common;
  CLI::App *info = nullptr, *convert = nullptr, *preview = nullptr;
  std::function<int()> models;
};

nlohmann::ordered_json describe(const Volume& v) {
  nlohmann::ordered_json j;
  j["source"] = v.source;
  j["format"] = v.format;
  j["modality"] = modality_name(v.modality);
  j["dims"] = v.dims;
  j["spacing_mm"] = v.spacing;
  j["origin_lps_mm"] = v.origin;
  // direction as its three axis vectors (the columns), like ImageOrientationPatient + normal.
  nlohmann::ordered_json axes = nlohmann::ordered_json::array();
  for (int c = 0; c < 3; ++c) axes.push_back({v.direction[0][c], v.direction[1][c], v.direction[2][c]});
  j["axes_lps"] = axes;
  j["orientation"] = axis_code(v);
  auto [lo, hi] = v.range();
  j["min"] = lo;
  j["max"] = hi;
  j["p0_5"] = percentile(v.voxels, 0.005);
  j["p99_5"] = percentile(v.voxels, 0.995);
  j["identifiers"] = v.meta;
  return j;
}

std::string fmt3(const std::array<double, 3>& a) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%g x %g x %g", a[0], a[1], a[2]);
  return buf;
}

// A medgen model file (its magic, docs/formats.md) rather than an image.
bool is_model_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[8] = {};
  return f.read(magic, 8) && std::string(magic, 7) == "MEDGENM" && magic[7] == '\x01';
}

int run_image(ImageArgs& a) {
  if (const int rc = a.models(); rc >= 0) return rc;
  if (a.info->parsed()) {
    if (is_model_file(a.input)) {
      // An image model: its header (kind, training options, blind noise range, data), no weights.
      const ModelFile mf = ModelFile::load(a.input);
      if (!mf.header.is_object() || mf.header.value("model", std::string()) != "image")
        throw ModelFormat(a.input + ": not a medgen image model");
      const nlohmann::json& o = mf.header.at("options");
      if (!a.common.json && o.is_object() && o.value("kind", std::string()) == "denoise") {
        std::printf("%s: image model, denoise\n", a.input.c_str());
        if (o.value("blind", false))
          std::printf("  blind       noise %s, level %g..%g\n", o.at("noise_mix").dump().c_str(),
                      o.value("noise_level", 0.0), o.value("noise_level_max", 0.0));
        else
          std::printf("  noise       %s, level %g (trained on 0.5..1.5x)\n", o.value("noise", std::string()).c_str(),
                      o.value("noise_level", 0.0));
        std::printf("  network     depth %s, width %s, %s steps\n", o.value("depth", nlohmann::json()).dump().c_str(),
                    o.value("width", nlohmann::json()).dump().c_str(), o.value("steps", nlohmann::json()).dump().c_str());
        const nlohmann::json info = mf.header.value("info", nlohmann::json::object());
        if (info.is_object() && info.contains("data") && info["data"].is_object())
          std::printf("  data        %s\n", info["data"].value("paths", nlohmann::json::array()).dump().c_str());
        return 0;
      }
      std::printf("%s\n", mf.header.dump(2).c_str());
      return 0;
    }
    const Volume v = read_image(a.input);
    const auto j = describe(v);
    if (a.common.json) {
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("%s: %s, %s\n", v.source.c_str(), v.format.c_str(), modality_name(v.modality).c_str());
    std::printf("  dims        %zu x %zu x %zu\n", v.dims[0], v.dims[1], v.dims[2]);
    std::printf("  spacing     %s mm\n", fmt3(v.spacing).c_str());
    std::printf("  origin      %s mm (LPS)\n", fmt3(v.origin).c_str());
    std::printf("  orientation %s (axes towards", axis_code(v).c_str());
    for (int c = 0; c < 3; ++c)
      // + 0.0 turns -0 into 0 for printing.
      std::printf(" [%.4g %.4g %.4g]", v.direction[0][c] + 0.0, v.direction[1][c] + 0.0, v.direction[2][c] + 0.0);
    std::printf(")\n");
    std::printf("  intensity   min %g, max %g, 0.5%% %g, 99.5%% %g%s\n", j["min"].get<double>(), j["max"].get<double>(),
                j["p0_5"].get<double>(), j["p99_5"].get<double>(), v.modality == Modality::CT ? " (HU)" : "");
    for (const auto& [k, val] : v.meta) std::printf("  %-22s %s\n", k.c_str(), val.c_str());
    return 0;
  }
  if (a.convert->parsed()) {
    const Volume v = read_image(a.input);
    WriteOptions opt;
    opt.anonymize = a.anonymize;
    write_image(v, a.output, opt);
    if (a.common.json)
      std::printf("%s\n", nlohmann::ordered_json{{"input", a.input}, {"output", a.output}, {"dims", v.dims},
                                                 {"anonymized", a.anonymize}}
                              .dump(2)
                              .c_str());
    if (!a.common.quiet)
      std::fprintf(stderr, "wrote %s (%zu x %zu x %zu%s)\n", a.output.c_str(), v.dims[0], v.dims[1], v.dims[2],
                   a.anonymize ? ", anonymized" : "");
    return 0;
  }
  // preview: check the options before reading, so a typo costs nothing.
  const Axis axis = axis_from_name(a.axis);
  if (a.preview->count("--slice") && a.slice < 0) throw InvalidInput("--slice must be 0 or more");
  if (a.window != "auto") ct_window(a.window);
  if (a.output.size() < 4 || a.output.substr(a.output.size() - 4) != ".png")
    throw InvalidInput(located(a.output, 0, 0, "preview output must be a .png file"));
  const Volume v = read_image(a.input);
  write_preview(v, a.output, axis, a.slice, a.window);
  if (a.common.json)
    std::printf("%s\n", nlohmann::ordered_json{{"input", a.input}, {"output", a.output}, {"axis", a.axis},
                                               {"slice",
                                                a.slice < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(a.slice)},
                                               {"window", a.window}}
                            .dump(2)
                            .c_str());
  return 0;
}

medgen::cli::Command add_image_command(CLI::App& app) {
  static ImageArgs a;
  auto* cmd = app.add_subcommand("image",
                                 "medical images: DICOM, NIfTI, PNG (info, convert, preview) and image models "
                                 "(train, sample, evaluate, enhance, anomaly, degrade)");
  cmd->require_subcommand(1);
  a.info = cmd->add_subcommand("info", "dimensions, spacing, orientation, modality, intensity range, identifiers");
  a.info->add_option("input", a.input, "DICOM file or series folder, .nii/.nii.gz, .png or .inv3")->required();
  cli::add_common(a.info, &a.common, cli::kNone, "print the description as JSON");
  a.convert = cmd->add_subcommand("convert", "convert between formats, keeping geometry and identifiers");
  a.convert->add_option("input", a.input, "DICOM file or series folder, .nii/.nii.gz, .png or .inv3")->required();
  a.convert
      ->add_option("output", a.output,
                   ".nii, .nii.gz, .dcm (one slice), a folder (DICOM series) or .png (middle-slice preview)")
      ->required();
  a.convert->add_flag("--anonymize", a.anonymize,
                      "new patient ID and UIDs, names, dates and descriptions removed (DICOM PS3.15 basic profile)");
  cli::add_common(a.convert, &a.common, cli::kNone, "print {input, output, dims} as JSON");
  a.preview = cmd->add_subcommand("preview", "PNG of one slice through a display window");
  a.preview->add_option("input", a.input, "DICOM file or series folder, .nii/.nii.gz, .png or .inv3")->required();
  a.preview->add_option("output", a.output, "PNG to write")->required();
  cli::add_integer<long>(a.preview, "--slice", &a.slice, "slice index (default: the middle one)", 0);
  a.preview->add_option("--axis", a.axis, "axial, coronal or sagittal (the volume's own index axes)")
      ->capture_default_str();
  a.preview
      ->add_option("--window", a.window,
                   "brain (40/80 HU), bone (400/1800), soft (40/400), lung (-600/1500) or auto "
                   "(soft for CT, 0.5-99.5 percentiles otherwise)")
      ->capture_default_str();
  cli::add_common(a.preview, &a.common, cli::kNone, "print {input, output, axis, slice, window} as JSON");
  a.models = add_image_model_commands(cmd);
  return {cmd, [] { return run_image(a); }};
}

}  // namespace

MEDGEN_CLI_COMMAND(add_image_command);
