// Data-parallel tvae (issue 20 item 5): two processes on loopback, each holding half the rows,
// train the model one process trains on the same global batches (to float tolerance); only
// rank 0 writes the model; bad settings are one line with exit code 2.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "medgen/core/file.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// A TCP port free at the time of asking.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 29500 + static_cast<int>(::getpid() % 1000);
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

int exit_code(int rc) { return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1; }

}  // namespace

TEST(Distributed, TwoProcessesTrainTheOneProcessModel) {
  test::TempDir dir;
  const std::string cli = MEDGEN_CLI;
  const std::string fit = cli + " fit " + test::data_dir() + "/pbc.csv -s tvae --epochs 4 --batch-size 100 --seed 3 -q";
  ASSERT_EQ(std::system((fit + " -o " + dir.file("one.medgen")).c_str()), 0);
  const std::string rdv = " --world-size 2 --rendezvous 127.0.0.1:" + std::to_string(free_port());
  // Rank 1 in the background, rank 0 in the foreground; both must succeed.
  const std::string both = "sh -c '" + fit + rdv + " --rank 1 -o " + dir.file("rank1.medgen") + " & p=$!; " + fit +
                           rdv + " --rank 0 -o " + dir.file("two.medgen") + "; a=$?; wait $p; b=$?; exit $((a + b))'";
  ASSERT_EQ(exit_code(std::system(both.c_str())), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.file("rank1.medgen")));  // only rank 0 writes

  LoadedModel one = load_model(dir.file("one.medgen"));
  LoadedModel two = load_model(dir.file("two.medgen"));
  // The two-process model was trained data-parallel: rank 0 held half of the 418 rows.
  EXPECT_FALSE(one.header["summary"].contains("data_parallel"));
  ASSERT_TRUE(two.header["summary"].contains("data_parallel")) << two.header["summary"].dump();
  EXPECT_EQ(two.header["summary"]["data_parallel"]["world_size"], 2);
  EXPECT_EQ(two.header["summary"]["data_parallel"]["rank0_rows"], 209);
  // The epochs' losses (sums over all rows, all-reduced) agree to float tolerance...
  const json& h1 = one.header["summary"]["history"];
  const json& h2 = two.header["summary"]["history"];
  ASSERT_EQ(h1.size(), 4u);
  ASSERT_EQ(h2.size(), 4u);
  for (size_t e = 0; e < 4; ++e)
    for (const char* k : {"reconstruction", "kl"}) {
      const double a = h1[e][k].get<double>(), b = h2[e][k].get<double>();
      EXPECT_NEAR(a, b, 1e-4 * std::max(1.0, std::fabs(a))) << "epoch " << e << " " << k;
    }
  // ... and so do the models: the same seed samples the same rows (a category may flip where
  // two logits tie to float precision, so agreement is counted, not required cell by cell).
  Context ctx;
  ctx.seed = 9;
  const Table s1 = one.synthesizer->sample(500, {}, ctx), s2 = two.synthesizer->sample(500, {}, ctx);
  size_t cells = 0, same = 0;
  for (size_t c = 0; c < s1.num_cols(); ++c) {
    const Column &a = s1.columns[c], &b = s2.columns[c];
    for (size_t r = 0; r < s1.num_rows(); ++r, ++cells) {
      if (a.is_missing(r) || b.is_missing(r)) {
        same += a.is_missing(r) == b.is_missing(r);
      } else if (a.storage == Storage::kNumber) {
        same += std::fabs(a.values[r] - b.values[r]) <= 1e-3 * std::max(1.0, std::fabs(a.values[r]));
      } else {
        same += a.dictionary[static_cast<size_t>(a.codes[r])] == b.dictionary[static_cast<size_t>(b.codes[r])];
      }
    }
  }
  EXPECT_GE(static_cast<double>(same) / static_cast<double>(cells), 0.99) << same << " of " << cells;
  // Not a tautology: a different seed gives a different model.
  ASSERT_EQ(std::system((cli + " fit " + test::data_dir() + "/pbc.csv -s tvae --epochs 4 --batch-size 100 --seed 4 -q -o " +
                         dir.file("other.medgen"))
                            .c_str()),
            0);
  EXPECT_GT(std::fabs(load_model(dir.file("other.medgen")).header["summary"]["history"][3]["reconstruction"].get<double>() -
                      h1[3]["reconstruction"].get<double>()),
            1e-3);
}

TEST(Distributed, BadSettingsAreOneLineAndExitTwo) {
  test::TempDir dir;
  const std::string fit = std::string(MEDGEN_CLI) + " fit " + test::data_dir() + "/pbc.csv --epochs 1 -q -o " +
                          dir.file("m.medgen");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {" -s tvae --world-size 2 --rank 2 --rendezvous 127.0.0.1:29400", "--rank"},
      {" -s tvae --world-size 2 --rank 0", "--rendezvous"},
      {" -s tvae --world-size 0", "--world-size"},
      {" -s tvae --world-size 2 --rank 1 --rendezvous 127.0.0.1:99999", "port"},
      {" -s ctgan --world-size 2 --rank 1 --rendezvous 127.0.0.1:29400", "tvae only"},
      {" -s tvae --epsilon 1 --delta 1e-5 --world-size 2 --rank 1 --rendezvous 127.0.0.1:1", "differential privacy"}};
  for (const auto& [flags, key] : bad) {
    // The last case meets nobody: a short timeout is not needed, the privacy check comes first.
    const int rc = std::system((fit + flags + " 2>" + dir.file("err.txt")).c_str());
    EXPECT_EQ(exit_code(rc), 2) << flags;
    const std::string err = read_file(dir.file("err.txt"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << flags << ": " << err;
    EXPECT_NE(err.find(key), std::string::npos) << flags << ": " << err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("m.medgen"))) << flags;
  }
  // torchrun's variables: a malformed one is named.
  const int rc = std::system(("WORLD_SIZE=two " + fit + " -s tvae 2>" + dir.file("err.txt")).c_str());
  EXPECT_EQ(exit_code(rc), 2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("WORLD_SIZE"), std::string::npos);
}
