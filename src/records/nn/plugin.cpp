// The library's entry point, looked up with dlsym by create_sequence_model (src/records/sequence.cpp).
#include "sequence_gru.h"

#include "medgen/core/error.h"

extern "C" medgen::records::SequenceModel* medgen_records_nn_create(const std::string& name,
                                                                     const nlohmann::json& params) {
  if (name == "gru") return medgen::records::nnlib::make_gru(params);
  throw medgen::InvalidInput("unknown sequence model '" + name + "'");
}
