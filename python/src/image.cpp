// medgen.image: medical images as NumPy arrays with their geometry (DICOM, NIfTI, PNG, .inv3).
#include <array>
#include <map>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "engine.h"
#include "medgen/core/error.h"
#include "medgen/imaging/io.h"
#include "medgen/imaging/volume.h"

namespace medgen::python {

namespace {

using imaging::Volume;

// The voxels, moved (not copied) into an array indexed [i, j, k] (x fastest in memory: Fortran
// order), the layout Volume::at(i, j, k) and its geometry use.
py::tuple read(const std::string& path) {
  auto* v = new Volume(released([&] { return imaging::read_image(path); }));
  py::capsule owner(v, [](void* p) { delete static_cast<Volume*>(p); });
  const auto s = static_cast<py::ssize_t>(sizeof(float));
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(v->dims[0]), static_cast<py::ssize_t>(v->dims[1]),
                                       static_cast<py::ssize_t>(v->dims[2])};
  const std::vector<py::ssize_t> strides{s, s * shape[0], s * shape[0] * shape[1]};
  py::array_t<float> voxels(shape, strides, v->voxels.data(), owner);
  py::array_t<double> direction({3, 3});
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) direction.mutable_at(r, c) = v->direction[r][c];
  return py::make_tuple(voxels, v->spacing, v->origin, direction, imaging::modality_name(v->modality), v->meta,
                        v->format, v->source);
}

void write(const std::string& path, const py::array_t<float, py::array::f_style | py::array::forcecast>& voxels,
           const std::array<double, 3>& spacing, const std::array<double, 3>& origin,
           const py::array_t<double, py::array::c_style | py::array::forcecast>& direction,
           const std::string& modality, const std::map<std::string, std::string>& meta, bool anonymize) {
  if (voxels.ndim() < 2 || voxels.ndim() > 3)
    throw InvalidInput("image.write: expected a 2-D or 3-D array indexed [i, j(, k)], got " +
                       std::to_string(voxels.ndim()) + " dimensions");
  if (direction.ndim() != 2 || direction.shape(0) != 3 || direction.shape(1) != 3)
    throw InvalidInput("image.write: direction must be a 3x3 matrix");
  const size_t nx = static_cast<size_t>(voxels.shape(0)), ny = static_cast<size_t>(voxels.shape(1));
  const size_t nz = voxels.ndim() == 3 ? static_cast<size_t>(voxels.shape(2)) : 1;
  Volume v = Volume::zeros(nx, ny, nz);
  std::copy(voxels.data(), voxels.data() + v.nvox(), v.voxels.begin());
  v.spacing = spacing;
  v.origin = origin;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) v.direction[r][c] = direction.at(r, c);
  v.modality = imaging::modality_from_name(modality);
  v.meta = meta;
  imaging::WriteOptions opt;
  opt.anonymize = anonymize;
  released([&] {
    imaging::write_image(v, path, opt);
    return 0;
  });
}

}  // namespace

void register_image(py::module_& m) {
  py::module_ image = m.def_submodule("image", "medical image I/O");
  image.def("_read", &read, py::arg("path"));
  image.def("_write", &write, py::arg("path"), py::arg("voxels"), py::arg("spacing"), py::arg("origin"),
            py::arg("direction"), py::arg("modality"), py::arg("meta"), py::arg("anonymize"));
}

}  // namespace medgen::python
