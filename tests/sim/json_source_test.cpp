// JsonSource: syntax errors and numbers no double can hold are InvalidInput with a location
// (the CLI's exit 2), never an escaping nlohmann exception (exit 1). Found by fuzz/sim_json.
#include <gtest/gtest.h>

#include <string>

#include "medgen/core/error.h"
#include "medgen/sim/json_source.h"

namespace medgen::sim {
namespace {

std::string refusal(const std::string& text) {
  try {
    (void)JsonSource::parse("case.json", text);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

TEST(JsonSource, NumberOverflowIsLocatedInvalidInput) {
  const std::string msg = refusal("{\n  \"actions\": [{\"at_min\": 1e400, \"do\": \"x\"}]\n}");
  EXPECT_NE(msg.find("case.json:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1e400"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
  const std::string big = refusal("[-" + std::string(400, '9') + "]");
  EXPECT_NE(big.find("case.json:1:2:"), std::string::npos) << big;
}

TEST(JsonSource, SyntaxErrorIsLocatedInvalidInput) {
  const std::string msg = refusal("{\n  \"a\": [1, 2,,]\n}");
  EXPECT_NE(msg.find("case.json:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("syntax error"), std::string::npos) << msg;
}

TEST(JsonSource, LargeButFiniteNumbersParse) {
  EXPECT_EQ(refusal("{\"x\": 1e300, \"y\": " + std::string(30, '9') + "}"), "");
}

}  // namespace
}  // namespace medgen::sim
