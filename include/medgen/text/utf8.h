// UTF-8 checks for the text module's inputs (notes, lexicons, templates, transcripts).
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace medgen::text {

// Where the first byte sequence that is not well-formed UTF-8 starts (overlong forms,
// surrogates, code points above U+10FFFF and truncated sequences are all ill-formed), or npos
// when the whole text is valid. A NUL byte counts as invalid: notes are text, not binary.
size_t find_invalid_utf8(std::string_view text);

// Throws InvalidInput "FILE:LINE:COLUMN: not UTF-8 text (byte 0xNN)" (or "...: binary data
// (NUL byte)") for the first invalid byte; LINE and COLUMN count from 1, COLUMN in bytes.
void require_utf8(std::string_view text, const std::string& file);

}  // namespace medgen::text
