// The extension module medgen._medgen: exceptions, context and progress, then each area's
// bindings (tabular.cpp, eval.cpp, sim.cpp, image.cpp). The package medgen (python/medgen/)
// wraps it with keyword arguments, progress bars and type hints.
#include <malloc.h>

#include <pybind11/pybind11.h>

#include "engine.h"
#include "medgen/core/error.h"
#include "medgen/core/interrupted.h"
#include "medgen/core/version.h"

namespace medgen::python {

std::mutex& engine_mutex() {
  static std::mutex m;
  return m;
}

Context make_context(uint64_t seed, int threads) {
  Context ctx;
  ctx.seed = seed;
  ctx.threads = threads;
  ctx.validate();
  static int applied = 0;
  if (threads != applied) {
    apply_threads(ctx);
    applied = threads;
  }
  return ctx;
}

std::unique_ptr<Progress> make_progress(const py::object& callback) {
  if (callback.is_none()) return std::make_unique<Progress>(false);
  auto cb = std::make_shared<py::object>(callback);
  auto listener = [cb](const ProgressEvent& e) {
    py::gil_scoped_acquire gil;
    static const char* kinds[] = {"begin", "update", "stage", "end"};
    try {
      (*cb)(kinds[static_cast<int>(e.kind)], e.task, e.done, e.total, e.detail, e.elapsed_s);
    } catch (py::error_already_set& err) {
      err.discard_as_unraisable("medgen progress callback");
    }
  };
  // The callback object is released with the GIL held: the Progress is destroyed by the binding
  // that made it, after the engine call returned.
  return std::make_unique<Progress>(std::function<void(const ProgressEvent&)>(listener));
}

}  // namespace medgen::python

PYBIND11_MODULE(_medgen, m) {
  namespace py = pybind11;
  using namespace medgen::python;
  m.doc() = "medgen's C++ engine (use the package medgen, not this module directly)";
  m.attr("__version__") = MEDGEN_VERSION;
  // glibc raises its mmap threshold (to at most 32 MiB, and the trim threshold to twice that) as a
  // process frees large blocks; the CLI gets there within its first training steps, an interpreter
  // that has run other code often never does, and then every LibTorch buffer of a training step
  // is a fresh mmap whose pages fault in and are zeroed again: a small CTGAN fit ran at half the
  // CLI's speed. Start where the CLI ends (docs/python.md, "Speed").
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);

  static py::exception<medgen::Error> error(m, "Error", PyExc_RuntimeError);
  static py::exception<medgen::InvalidInput> invalid(m, "InvalidInput", PyExc_ValueError);
  static py::exception<medgen::IoError> io(m, "IoError", PyExc_OSError);
  static py::exception<medgen::ModelFormat> format(m, "ModelFormat", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const medgen::Interrupted& e) {
      // Ctrl-C (SIGINT) stopped the work cleanly (a checkpoint is written first where training
      // has one): the usual KeyboardInterrupt; SIGTERM and SIGHUP end the interpreter as they would.
      if (e.signo() == SIGINT) {
        PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
      } else {
        PyErr_SetObject(PyExc_SystemExit, py::int_(128 + e.signo()).ptr());
      }
    } catch (const medgen::InvalidInput& e) {
      invalid(e.what());
    } catch (const medgen::IoError& e) {
      io(e.what());
    } catch (const medgen::ModelFormat& e) {
      format(e.what());
    } catch (const medgen::Error& e) {
      error(e.what());
    }
  });

  register_tabular(m);
#ifdef MEDGEN_PY_EVAL
  register_eval(m);
#endif
#ifdef MEDGEN_PY_SIM
  register_sim(m);
#endif
#ifdef MEDGEN_PY_IMAGING
  register_image(m);
#endif
}
