#include "medgen/nn/distributed.h"

#include <chrono>

#include "medgen/core/error.h"

#ifdef MEDGEN_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace medgen::nn {

#ifdef MEDGEN_C10D_GLOO

namespace {

// The flattened buffer's values copied back into the tensors it was made from, in order.
void unflatten(const torch::Tensor& buffer, const std::vector<torch::Tensor>& tensors) {
  int64_t at = 0;
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    const int64_t k = t.numel();
    const_cast<torch::Tensor&>(t).copy_(buffer.narrow(0, at, k).view(t.sizes()));
    at += k;
  }
}

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

ProcessGroup::ProcessGroup(const DistributedConfig& config) : impl_(std::make_unique<Impl>()) {
  config.validate();
  rank_ = config.rank;
  size_ = config.world_size;
  const size_t colon = config.rendezvous.rfind(':');
  const std::string host = config.rendezvous.substr(0, colon);
  const int port = std::stoi(config.rendezvous.substr(colon + 1));
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(config.timeout_seconds) * 1000);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(port);
    so.isServer = rank_ == 0;
    so.numWorkers = static_cast<size_t>(size_);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(host, so);
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
    opts->threads = 1;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, rank_, size_, opts);
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw InvalidInput("distributed: rank " + std::to_string(rank_) + " of " + std::to_string(size_) +
                       " could not meet the others at " + config.rendezvous + ": " + what);
  }
}

ProcessGroup::~ProcessGroup() = default;

bool ProcessGroup::available() { return true; }

void ProcessGroup::all_reduce_sum(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}));
  std::vector<at::Tensor> buffer = {torch::cat(flat)};
  impl_->group->allreduce(buffer)->wait();
  unflatten(buffer[0], tensors);
}

std::string ProcessGroup::broadcast_bytes(const std::string& bytes, int root) {
  const std::string key = "medgen/broadcast/" + std::to_string(broadcasts_++);
  if (rank_ == root) {
    impl_->store->set(key, std::vector<uint8_t>(bytes.begin(), bytes.end()));
    return bytes;
  }
  const std::vector<uint8_t> v = impl_->store->get(key);
  return std::string(v.begin(), v.end());
}

void ProcessGroup::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().reshape({-1}));
  std::vector<at::Tensor> buffer = {torch::cat(flat)};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  impl_->group->broadcast(buffer, o)->wait();
  unflatten(buffer[0], tensors);
}

void ProcessGroup::barrier() { impl_->group->barrier()->wait(); }

#else

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(const DistributedConfig& config) {
  config.validate();
  throw InvalidInput("distributed: this build has no Gloo backend (install libgloo-dev and configure again)");
}
ProcessGroup::~ProcessGroup() = default;
bool ProcessGroup::available() { return false; }
void ProcessGroup::all_reduce_sum(const std::vector<torch::Tensor>&) {}
std::string ProcessGroup::broadcast_bytes(const std::string& bytes, int) { return bytes; }
void ProcessGroup::broadcast(const std::vector<torch::Tensor>&, int) {}
void ProcessGroup::barrier() {}

#endif

}  // namespace medgen::nn
