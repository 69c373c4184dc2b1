#include "medgen/core/distributed.h"

#include <cstdlib>

#include "medgen/core/error.h"

namespace medgen {

namespace {

// The setting lives in the environment (MEDGEN_DIST_*), not in a static: the neural
// synthesizers are a plugin with its own copy of this library, and must see what the CLI set.
constexpr const char* kWorld = "MEDGEN_DIST_WORLD_SIZE";
constexpr const char* kRank = "MEDGEN_DIST_RANK";
constexpr const char* kRendezvous = "MEDGEN_DIST_RENDEZVOUS";
constexpr const char* kTimeout = "MEDGEN_DIST_TIMEOUT";

int parse_int(const std::string& text, const std::string& what) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw InvalidInput(what + ": not an integer: '" + text + "'");
  return v;
}

}  // namespace

void DistributedConfig::validate() const {
  if (world_size < 1 || world_size > 1024)
    throw InvalidInput("--world-size must be between 1 and 1024, got " + std::to_string(world_size));
  if (rank < 0 || rank >= world_size)
    throw InvalidInput("--rank must be between 0 and " + std::to_string(world_size - 1) + " (world size - 1), got " +
                       std::to_string(rank));
  if (timeout_seconds < 1 || timeout_seconds > 86400)
    throw InvalidInput("distributed timeout must be between 1 and 86400 seconds, got " + std::to_string(timeout_seconds));
  if (world_size == 1) return;
  const size_t colon = rendezvous.rfind(':');
  if (rendezvous.empty() || colon == std::string::npos || colon == 0 || colon + 1 == rendezvous.size())
    throw InvalidInput("--world-size " + std::to_string(world_size) +
                       " needs --rendezvous HOST:PORT (or MASTER_ADDR and MASTER_PORT), got '" + rendezvous + "'");
  const int port = parse_int(rendezvous.substr(colon + 1), "--rendezvous port");
  if (port < 1 || port > 65535) throw InvalidInput("--rendezvous port must be between 1 and 65535, got " + std::to_string(port));
}

void set_distributed(const DistributedConfig& config) {
  config.validate();
  setenv(kWorld, std::to_string(config.world_size).c_str(), 1);
  setenv(kRank, std::to_string(config.rank).c_str(), 1);
  setenv(kRendezvous, config.rendezvous.c_str(), 1);
  setenv(kTimeout, std::to_string(config.timeout_seconds).c_str(), 1);
}

const DistributedConfig& distributed() {
  static DistributedConfig config;
  config = DistributedConfig{};
  auto get = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (!get(kWorld).empty()) config.world_size = parse_int(get(kWorld), kWorld);
  if (!get(kRank).empty()) config.rank = parse_int(get(kRank), kRank);
  config.rendezvous = get(kRendezvous);
  if (!get(kTimeout).empty()) config.timeout_seconds = parse_int(get(kTimeout), kTimeout);
  config.validate();
  return config;
}

DistributedConfig distributed_from_environment() {
  DistributedConfig c;
  const char* world = std::getenv("WORLD_SIZE");
  if (!world || !*world) return c;
  c.world_size = parse_int(world, "WORLD_SIZE");
  const char* rank = std::getenv("RANK");
  c.rank = rank && *rank ? parse_int(rank, "RANK") : 0;
  const char* addr = std::getenv("MASTER_ADDR");
  const char* port = std::getenv("MASTER_PORT");
  if (c.world_size > 1) {
    if (!addr || !*addr) throw InvalidInput("WORLD_SIZE " + std::string(world) + " needs MASTER_ADDR");
    if (!port || !*port) throw InvalidInput("WORLD_SIZE " + std::string(world) + " needs MASTER_PORT");
    c.rendezvous = std::string(addr) + ":" + port;
  }
  return c;
}

}  // namespace medgen
