#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/server/store.h"
#include "store_backend.h"

using medgen::InvalidInput;
using namespace medgen::server;
using medgen::test::Backend;
using medgen::test::TempDir;
using medgen::test::TestDatabase;

namespace {

std::string sha256_hex(const std::string& bytes) {
  EXPECT_GE(sodium_init(), 0);
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  return hex;
}

// What someone holding the database file (or a login to the database) could do: their own
// connection, the guard triggers dropped first. False when the database refused.
bool tamper(const TestDatabase& db, const std::string& sql, bool drop_triggers = true) {
  const bool sqlite = db.backend == Backend::kSqlite;
  const std::string drop = sqlite ? "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; "
                                  : "DROP TRIGGER IF EXISTS audit_no_update ON audit; "
                                    "DROP TRIGGER IF EXISTS audit_no_delete ON audit; ";
  return db.sql((drop_triggers ? drop : "") + sql);
}

AuditEntry event(const std::string& actor, const std::string& action, const std::string& outcome = "ok") {
  AuditEntry e;
  e.actor = actor;
  e.action = action;
  e.project_id = 3;
  e.object = "dataset:7";
  e.outcome = outcome;
  e.detail = R"({"remote":"10.0.0.1"})";
  return e;
}

// Ten entries in a data directory (and database) whose store is closed, made once per backend
// (every append is synced to disk, which takes time); each test tampers with a copy of it.
class TamperTest : public ::testing::TestWithParam<Backend> {
 protected:
  struct Original {
    std::unique_ptr<TempDir> dir;
    TestDatabase db;
    std::vector<AuditEntry> entries;
  };
  static Original& original(Backend backend) {
    Original& o = originals_[backend];
    if (!o.dir) {
      o.dir = std::make_unique<TempDir>();
      o.db = TestDatabase::make(backend, o.dir->path(), true);
      Store store(o.dir->path(), o.db.database);
      for (int i = 0; i < 10; ++i) o.entries.push_back(store.append_audit(event("ann", "login")));
    }
    return o;
  }
  static void TearDownTestSuite() { originals_.clear(); }
  void SetUp() override {
    const Original& o = original(GetParam());
    ASSERT_FALSE(o.dir->path().empty());
    copy_ = copy_dir_.path() + "/copy";
    std::filesystem::copy(o.dir->path(), copy_, std::filesystem::copy_options::recursive);
    db_ = TestDatabase::copy(o.db, copy_);
  }
  const std::vector<AuditEntry>& entries() const { return original(GetParam()).entries; }
  std::string head() const { return medgen::read_file(copy_ + "/audit.head"); }
  AuditVerdict verify() const { return verify_audit_dir(copy_, db_.database); }

  static std::map<Backend, Original> originals_;
  TempDir copy_dir_;
  std::string copy_;
  TestDatabase db_;
};
std::map<Backend, TamperTest::Original> TamperTest::originals_;
INSTANTIATE_TEST_SUITE_P(Backends, TamperTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         medgen::test::backend_name);

// What only a database in a file allows.
class TamperSqliteTest : public TamperTest {};
INSTANTIATE_TEST_SUITE_P(Backends, TamperSqliteTest, ::testing::Values(Backend::kSqlite), medgen::test::backend_name);

class AuditTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    db_ = TestDatabase::make(GetParam(), dir_.path(), true);
  }
  TempDir dir_;
  TestDatabase db_;
};
INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         medgen::test::backend_name);

TEST(Audit, CanonicalFormIsACompactJsonArrayOfEveryFieldButTheHash) {
  AuditEntry e = event("bob", "release.approve");
  e.seq = 12;
  e.time = "2026-11-30T21:50:08.123Z";
  e.detail = R"({"b": 1,  "a":"\u00e9"})";
  e.prev_hash = std::string(64, 'a');
  e.hash = "not covered";
  EXPECT_EQ(audit_canonical(e),
            R"([12,"2026-11-30T21:50:08.123Z","bob","release.approve",3,"dataset:7","ok",)"
            R"("{\"b\": 1,  \"a\":\"\\u00e9\"}",")" + std::string(64, 'a') + R"("])");
}

TEST_P(AuditTest, AppendFillsTheChainAndTheHead) {
  Store store(dir_.path(), db_.database);
  EXPECT_TRUE(store.verify_audit().ok);  // empty, no head: fine
  AuditEntry in = event("-", "login", "denied");
  in.seq = 77;  // filled by the store
  in.detail = R"({ "reason" : "bad password",  "remote":"::1" })";
  const AuditEntry first = store.append_audit(in);
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.prev_hash, std::string(64, '0'));
  EXPECT_EQ(first.time.size(), 24u);
  EXPECT_EQ(first.hash, sha256_hex(audit_canonical(first)));
  const AuditEntry second = store.append_audit(event("ann", "dataset.upload"));
  EXPECT_EQ(second.seq, 2);
  EXPECT_EQ(second.prev_hash, first.hash);
  EXPECT_EQ(medgen::read_file(dir_.path() + "/audit.head"), R"({"seq":2,"hash":")" + second.hash + "\"}\n");

  const auto stored = store.audit(0, 10);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].detail, in.detail);  // byte for byte
  EXPECT_EQ(stored[0].actor, "-");
  EXPECT_EQ(stored[0].outcome, "denied");
  EXPECT_EQ(stored[0].hash, first.hash);
  EXPECT_EQ(stored[1].object, "dataset:7");
  EXPECT_EQ(stored[1].project_id, 3);

  EXPECT_THROW(store.append_audit(event("ann", "login", "maybe")), InvalidInput);
  EXPECT_THROW(store.append_audit(event("", "login")), InvalidInput);
  EXPECT_THROW(store.append_audit(event("\xff\xfe", "login")), InvalidInput);
  EXPECT_EQ(store.audit(0, 10).size(), 2u);
  const AuditVerdict v = store.verify_audit();
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.entries, 2);
}

TEST_P(AuditTest, ConcurrentAppendsMakeOneUnbrokenChain) {
  Store store(dir_.path(), db_.database);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 25; ++i) store.append_audit(event("user" + std::to_string(t), "job.start"));
    });
  for (auto& th : threads) th.join();

  const auto all = store.audit(0, 1000);
  ASSERT_EQ(all.size(), 100u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(all[i].prev_hash, i == 0 ? std::string(64, '0') : all[i - 1].hash);
  }
  const auto page = store.audit(40, 5);
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page[0].seq, 41);
  EXPECT_EQ(page[4].seq, 45);

  AuditVerdict v = store.verify_audit();
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.entries, 100);
  EXPECT_EQ(v.first_bad, 0);
  // The read-only check, while the store is open and after.
  v = verify_audit_dir(dir_.path(), db_.database);
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.entries, 100);
}

// Two Stores on one database and data folder, as two server processes: one chain, without
// gaps, and a head that ends at its last entry.
TEST_P(AuditTest, StoresSharingADatabaseMakeOneUnbrokenChain) {
  Store a(dir_.path(), db_.database), b(dir_.path(), db_.database);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? a : b;
      for (int i = 0; i < 15; ++i) store.append_audit(event("user" + std::to_string(t), "job.start"));
    });
  for (auto& th : threads) th.join();

  const auto all = b.audit(0, 1000);
  ASSERT_EQ(all.size(), 90u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(all[i].prev_hash, i == 0 ? std::string(64, '0') : all[i - 1].hash);
  }
  EXPECT_EQ(medgen::read_file(dir_.path() + "/audit.head"), R"({"seq":90,"hash":")" + all.back().hash + "\"}\n");
  const AuditVerdict v = verify_audit_dir(dir_.path(), db_.database);
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.entries, 90);
}

TEST_P(TamperTest, AnUntouchedCopyVerifies) {
  const AuditVerdict v = verify();
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.entries, 10);
}

TEST_P(TamperSqliteTest, ACopyOfAnOpenDatabaseVerifies) {
  Store store(copy_, db_.database);
  store.append_audit(event("ann", "logout"));
  const std::string live = copy_dir_.path() + "/live";
  std::filesystem::copy(copy_, live, std::filesystem::copy_options::recursive);
  const AuditVerdict v = verify_audit_dir(live, db_.database);
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.entries, 11);
}

TEST_P(TamperTest, TheTriggersRefuseInPlaceChanges) {
  EXPECT_FALSE(tamper(db_, "UPDATE audit SET actor = 'eve' WHERE seq = 4", false));
  EXPECT_FALSE(tamper(db_, "DELETE FROM audit WHERE seq = 10", false));
  if (GetParam() == Backend::kPostgres) {
    EXPECT_FALSE(tamper(db_, "TRUNCATE audit", false));
  }
  EXPECT_TRUE(verify().ok);
}

TEST_P(TamperTest, AnEditedFieldIsFound) {
  ASSERT_TRUE(tamper(db_, "UPDATE audit SET outcome = 'ok', actor = 'eve' WHERE seq = 4"));
  const AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 4);
  EXPECT_EQ(v.message, "entry 4: hash does not match its contents");
}

TEST_P(TamperTest, AnEditedDetailIsFound) {
  ASSERT_TRUE(tamper(db_, R"(UPDATE audit SET detail = '{"remote": "10.0.0.1"}' WHERE seq = 9)"));
  const AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 9);
}

TEST_P(TamperTest, ARemovedMiddleEntryIsFound) {
  ASSERT_TRUE(tamper(db_, "DELETE FROM audit WHERE seq = 5"));
  const AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5);
  EXPECT_EQ(v.message, "entry 5 is missing");
}

TEST_P(TamperTest, ARemovedAndRenumberedEntryIsFound) {
  ASSERT_TRUE(tamper(db_, "DELETE FROM audit WHERE seq = 5; UPDATE audit SET seq = seq - 1 WHERE seq > 5"));
  const AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5);
}

TEST_P(TamperTest, ReorderedEntriesAreFound) {
  ASSERT_TRUE(tamper(db_, "UPDATE audit SET seq = 1000 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; "
                          "UPDATE audit SET seq = 4 WHERE seq = 1000"));
  const AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 3);
}

TEST_P(TamperTest, SwappedContentsWithTheirSeqKeptAreFound) {
  // Entries 3 and 4 trade everything but seq (their hashes included).
  ASSERT_TRUE(tamper(db_, "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (3, 4); "
                          "UPDATE audit SET (time, actor, action, detail, prev_hash, hash) = "
                          "(SELECT time, actor, action, detail, prev_hash, hash FROM t WHERE t.seq = 7 - audit.seq) "
                          "WHERE seq IN (3, 4)"));
  const AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 3);
}

TEST_P(TamperTest, ARemovedTailIsFoundThroughTheHead) {
  ASSERT_TRUE(tamper(db_, "DELETE FROM audit WHERE seq = 10"));
  AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 10);
  EXPECT_EQ(v.entries, 9);
  EXPECT_EQ(v.message, "the last entry was removed (audit.head records entry 10)");
  ASSERT_TRUE(tamper(db_, "DELETE FROM audit WHERE seq >= 8"));
  v = verify();
  EXPECT_EQ(v.first_bad, 8);
  EXPECT_EQ(v.message, "the last 3 entries were removed (audit.head records entry 10)");
  ASSERT_TRUE(tamper(db_, "DELETE FROM audit"));
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 1);
}

TEST_P(TamperTest, ARewrittenChainIsFoundThroughTheHead) {
  // Edit entry 6 and recompute every hash from there on: the chain is whole again, but its
  // end no longer matches the head.
  ASSERT_TRUE(tamper(db_, "UPDATE audit SET actor = 'eve' WHERE seq = 6"));
  std::string prev = entries()[4].hash;
  for (size_t i = 5; i < entries().size(); ++i) {
    AuditEntry e = entries()[i];
    if (i == 5) e.actor = "eve";
    e.prev_hash = prev;
    e.hash = sha256_hex(audit_canonical(e));
    ASSERT_TRUE(tamper(db_, "UPDATE audit SET prev_hash = '" + e.prev_hash + "', hash = '" + e.hash +
                                "' WHERE seq = " + std::to_string(e.seq)));
    prev = e.hash;
  }
  const AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 10);
  EXPECT_EQ(v.message, "entry 10: hash differs from audit.head");
}

TEST_P(TamperTest, ADatabaseAheadOfTheHeadIsAcceptedWhenItChains) {
  // A crash between the commit of entry 11 and the head's rewrite.
  const std::string old_head = head();
  {
    Store store(copy_, db_.database);
    store.append_audit(event("ann", "logout"));
  }
  medgen::write_file_atomic(copy_ + "/audit.head", old_head);
  AuditVerdict v = verify();
  EXPECT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.entries, 11);

  // Not when the entry the head names has changed.
  medgen::write_file_atomic(copy_ + "/audit.head",
                            R"({"seq":10,"hash":")" + std::string(64, 'f') + "\"}\n");
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 10);
}

TEST_P(TamperTest, AMissingOrMalformedHeadIsFound) {
  std::filesystem::remove(copy_ + "/audit.head");
  AuditVerdict v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.message, "audit.head is missing");
  medgen::write_file_atomic(copy_ + "/audit.head", "{\"seq\":\"ten\"}");
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.message, "audit.head is malformed");
}

TEST_P(TamperTest, TheLiveStoreSeesTamperingToo) {
  Store store(copy_, db_.database);
  ASSERT_TRUE(tamper(db_, "UPDATE audit SET action = 'nothing' WHERE seq = 2"));
  const AuditVerdict v = store.verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 2);
  EXPECT_EQ(v.entries, 2);
}

}  // namespace
