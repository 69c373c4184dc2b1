// The exception that ends work stopped by a signal (see nn/trainer.h for training).
#pragma once

#include <csignal>
#include <string>

#include "medgen/core/error.h"

namespace medgen {

// Thrown when SIGINT (Ctrl-C), SIGTERM or SIGHUP stopped work cleanly (training writes its
// checkpoint first, when it has one). signo() is the signal's number: the CLI exits with
// 128 + signo() (130, 143, 129), as if the signal had ended the process.
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& what, int signo = SIGINT) : Error(what), signo_(signo) {}
  int signo() const { return signo_; }

 private:
  int signo_;
};

}  // namespace medgen
