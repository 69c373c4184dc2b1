// LibTorch archives as bytes, for the payload of a medgen model file (core/model_file.h).
#pragma once

#include <torch/torch.h>

#include <string>

namespace medgen::nn {

std::string archive_bytes(torch::serialize::OutputArchive& ar);
void load_archive(torch::serialize::InputArchive& ar, const std::string& bytes, const torch::Device& device);

}  // namespace medgen::nn
