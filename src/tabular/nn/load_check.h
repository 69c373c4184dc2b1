// Checks on neural model state read from a model file (internal header). Model files are
// untrusted input: LibTorch's Module::load replaces each parameter with whatever tensor the
// archive holds, whatever its shape, so a file whose weights disagree with its header would
// fail later inside a matrix product. These checks turn that into ModelFormat at load time.
#pragma once

#include <torch/torch.h>

#include <string>

#include <nlohmann/json.hpp>

#include "medgen/core/schema.h"
#include "medgen/tabular/transformer.h"

namespace medgen::tabular::nnlib {

// Loads module's parameters and buffers from ar, then checks each against the shape and dtype
// the module was built with (from the header's params and transformer) and that floating
// values are finite. ModelFormat naming `what` and the tensor otherwise.
void load_checked(torch::nn::Module& module, torch::serialize::InputArchive& ar, const std::string& what);

// seen_levels: an object mapping categorical/boolean columns to arrays of their schema values.
nlohmann::json checked_seen_levels(const nlohmann::json& seen, const Schema& schema);

// Training history: an array of objects of numbers (what `info` prints).
nlohmann::json checked_history(const nlohmann::json& history);

// The transformer's own copy of the schema must be the model's.
void check_same_schema(const DataTransformer& transformer, const Schema& schema);

}  // namespace medgen::tabular::nnlib
