#include "medgen/text/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "medgen/core/error.h"

namespace medgen::text {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_EQ(find_invalid_utf8("plain ascii\n"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8(""), std::string_view::npos);
}

TEST(Utf8, FindsEachIllFormedSequence) {
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);          // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);        // surrogate U+D800
  EXPECT_EQ(find_invalid_utf8("x\xF4\x90\x80\x80"), 1u);   // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("xy\xE2\x82"), 2u);          // truncated
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);                // lone continuation
  EXPECT_EQ(find_invalid_utf8("latin1 caf\xE9!"), 10u);    // ISO-8859-1 e-acute
  EXPECT_EQ(find_invalid_utf8(std::string("a\0b", 3)), 1u);
}

TEST(Utf8, ErrorNamesFileLineAndColumn) {
  try {
    require_utf8("first line\nsecond \xFF line\n", "notes/a.txt");
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "notes/a.txt:2:8: not UTF-8 text (byte 0xFF)");
  }
  try {
    require_utf8(std::string("ok\0", 3), "b.bin");
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "b.bin:1:3: binary data (NUL byte)");
  }
}

}  // namespace
}  // namespace medgen::text
