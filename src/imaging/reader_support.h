// Internal to medgen_imaging: what the readers share. StderrCapture captures what a C library (nifticlib, GDCM) prints on stderr
// while it runs, so that medgen reports one line of its own (folding the library's text in
// where it helps) instead of letting the library's lines precede it. Redirects the process's
// fd 2: not for concurrent use with other threads that write to stderr.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>

#include "medgen/core/error.h"

namespace medgen::imaging {

class StderrCapture {
 public:
  StderrCapture() {
    std::cerr.flush();
    std::fflush(stderr);
    saved_ = ::dup(2);
    tmp_ = std::tmpfile();
    const int target = tmp_ ? ::fileno(tmp_) : ::open("/dev/null", O_WRONLY);
    if (saved_ >= 0 && target >= 0) ::dup2(target, 2);
    if (!tmp_ && target >= 0) ::close(target);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  ~StderrCapture() {
    restore();
    if (tmp_) std::fclose(tmp_);
  }
  // Puts stderr back (idempotent) and returns what was written, on one line: lines joined by
  // "; ", runs of blanks collapsed, at most 300 characters.
  std::string restore() {
    if (saved_ >= 0) {
      std::cerr.flush();
      std::fflush(stderr);
      ::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
      if (tmp_) {
        std::rewind(tmp_);
        char buf[4096];
        const size_t n = std::fread(buf, 1, sizeof buf, tmp_);
        text_ = one_line(std::string(buf, n));
      }
    }
    return text_;
  }

 private:
  static std::string one_line(const std::string& s) {
    std::string out;
    bool blank = false;
    for (char c : s) {
      if (c == '\n') {
        while (!out.empty() && out.back() == ' ') out.pop_back();
        if (!out.empty() && out.back() != ';') out += ";";
        blank = true;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        blank = true;
      } else if (static_cast<unsigned char>(c) >= 32) {
        if (blank && !out.empty()) out += ' ';
        blank = false;
        out += c;
      }
    }
    while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
    if (out.size() > 300) out = out.substr(0, 297) + "...";
    return out;
  }
  int saved_ = -1;
  std::FILE* tmp_ = nullptr;
  std::string text_;
};

// Runs a reader body; an allocation failure the checks did not prevent (std::bad_alloc,
// std::length_error) becomes InvalidInput naming the file (exit 2, not an internal error).
template <typename F>
auto guard_memory(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw InvalidInput(located(path, 0, 0, "not enough memory to read the image (see MEDGEN_MAX_IMAGE_BYTES)"));
  } catch (const std::length_error&) {
    throw InvalidInput(located(path, 0, 0, "the image is too large to read"));
  }
}

}  // namespace medgen::imaging
