// Shared machinery of the Python bindings: the engine lock, the context, progress and the
// exceptions. Every call that runs the library releases the GIL and holds the engine lock
// instead (the neural synthesizers share LibTorch's process-wide generator, thread count and
// signal handlers: one library call at a time per process).
#pragma once

#include <memory>
#include <mutex>
#include <utility>

#include <pybind11/functional.h>
#include <pybind11/pybind11.h>

#include "medgen/core/context.h"
#include "medgen/core/progress.h"

namespace medgen::python {

namespace py = pybind11;

std::mutex& engine_mutex();

// Runs f with the GIL released and the engine lock held (in that order, so a thread waiting for
// the lock never blocks the interpreter).
template <class F>
auto released(F&& f) {
  py::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(engine_mutex());
  return f();
}

// A Context with seed and threads (validated, applied to OpenMP/BLAS when they change). Needs the GIL.
Context make_context(uint64_t seed, int threads);

// A Progress that calls `callback(kind, task, done, total, detail, elapsed_s)` (taking the GIL)
// or, for None, reports nothing. Errors in the callback are reported as unraisable, never thrown
// into the library.
std::unique_ptr<Progress> make_progress(const py::object& callback);

void register_tabular(py::module_& m);
void register_eval(py::module_& m);
void register_sim(py::module_& m);
void register_image(py::module_& m);

}  // namespace medgen::python
