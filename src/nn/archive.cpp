#include "medgen/nn/archive.h"

#include <sstream>

namespace medgen::nn {

std::string archive_bytes(torch::serialize::OutputArchive& ar) {
  std::ostringstream os;
  ar.save_to(os);
  return os.str();
}

void load_archive(torch::serialize::InputArchive& ar, const std::string& bytes, const torch::Device& device) {
  std::istringstream is(bytes);
  ar.load_from(is, device);
}

}  // namespace medgen::nn
