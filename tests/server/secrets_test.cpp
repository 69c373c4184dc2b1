#include "medgen/server/secrets.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/file.h"

namespace medgen::server {
namespace {

// Small enough for fast tests; the minimum memory libsodium accepts is far below it.
const PasswordCost kFastCost{1, size_t{8} << 20};
static_assert(crypto_pwhash_argon2id_MEMLIMIT_MIN <= (size_t{8} << 20), "test cost below libsodium's minimum");

constexpr size_t kChunk = 65536;
constexpr size_t kHeader = 6 + 1 + 8 + 24;
constexpr size_t kFullRecord = 4 + kChunk + 17;  // length prefix + ciphertext of a full chunk

// A fresh folder per test (mkdtemp), removed afterwards.
class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = "/tmp/medgen-secrets-XXXXXX";
    ASSERT_NE(::mkdtemp(&t[0]), nullptr);
    dir_ = t;
  }
  void TearDown() override { remove_path_recursively(dir_); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  std::vector<std::string> names() const {  // sorted
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
};

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

Key key_from_byte(uint8_t b) { return parse_key(std::string(64, "0123456789abcdef"[b & 15]), "test"); }

bool is_hex(const std::string& s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

template <typename E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

// ---------------------------------------------------------------------------- passwords

TEST(Passwords, HashVerifyRoundTrip) {
  const std::string hash = hash_password("correct horse battery", kFastCost);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("m=8192,t=1,p=1"), std::string::npos) << hash;
  EXPECT_TRUE(verify_password(hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(hash, "correct horse batterx"));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Passwords, SaltMakesHashesDiffer) {
  const std::string a = hash_password("same password here", kFastCost);
  const std::string b = hash_password("same password here", kFastCost);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password(a, "same password here"));
  EXPECT_TRUE(verify_password(b, "same password here"));
}

TEST(Passwords, AnyBytesButNul) {
  const std::string pw = "\xff\xfe sp\xc3\xa9\x63ial \t\n\x01";
  const std::string hash = hash_password(pw, kFastCost);
  EXPECT_TRUE(verify_password(hash, pw));
  EXPECT_FALSE(verify_password(hash, pw.substr(0, pw.size() - 1)));
}

TEST(Passwords, MalformedHashesAreFalse) {
  const std::string good = hash_password("a fine password", kFastCost);
  EXPECT_FALSE(verify_password("", "a fine password"));
  EXPECT_FALSE(verify_password("$argon2id$", "a fine password"));
  EXPECT_FALSE(verify_password("not a hash at all", "a fine password"));
  EXPECT_FALSE(verify_password(good.substr(0, good.size() - 5), "a fine password"));
  EXPECT_FALSE(verify_password(good + std::string(200, 'A'), "a fine password"));
  EXPECT_FALSE(verify_password(std::string(good).insert(12, 1, '\0'), "a fine password"));
  std::string altered = good;
  altered[altered.size() - 3] = altered[altered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password(altered, "a fine password"));
  // An argon2i hash (a valid libsodium hash, but not the algorithm we store) is refused.
  char argon2i[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(argon2i, "a fine password", 15, 3, size_t{8} << 20, crypto_pwhash_ALG_ARGON2I13), 0);
  EXPECT_FALSE(verify_password(argon2i, "a fine password"));
}

TEST(Passwords, CostOutOfRange) {
  EXPECT_THROW(hash_password("whatever password", PasswordCost{0, size_t{8} << 20}), InvalidInput);
  EXPECT_THROW(hash_password("whatever password", PasswordCost{1, 1024}), InvalidInput);
}

TEST(Passwords, Rules) {
  EXPECT_NO_THROW(check_password_rules(std::string(12, 'x')));
  EXPECT_NO_THROW(check_password_rules(std::string(1024, 'x')));
  EXPECT_EQ(message_of<InvalidInput>([] { check_password_rules(std::string(11, 'x')); }),
            "password: at least 12 characters");
  EXPECT_EQ(message_of<InvalidInput>([] { check_password_rules(""); }), "password: at least 12 characters");
  EXPECT_EQ(message_of<InvalidInput>([] { check_password_rules(std::string(1025, 'x')); }),
            "password: at most 1024 bytes");
  EXPECT_EQ(message_of<InvalidInput>([] { check_password_rules(std::string("twelve chars") + '\0' + "more"); }),
            "password: no NUL bytes");
}

// ---------------------------------------------------------------------------- tokens

TEST(Tokens, FormatAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string t = new_token();
    ASSERT_EQ(t.size(), 4u + 43u) << t;
    EXPECT_EQ(t.rfind("mgt_", 0), 0u);
    for (char c : t.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
    EXPECT_TRUE(seen.insert(t).second);
  }
}

TEST(Tokens, DigestIsStableHex) {
  const std::string t = new_token();
  const std::string d = token_digest(t);
  EXPECT_EQ(d.size(), 64u);
  EXPECT_TRUE(is_hex(d)) << d;
  EXPECT_EQ(d, token_digest(t));
  EXPECT_NE(d, token_digest(new_token()));
  // BLAKE2b-256 of "" (RFC 7693 parameters, no key).
  EXPECT_EQ(token_digest(""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

TEST(Tokens, OneTimePasswords) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string p = new_password();
    ASSERT_EQ(p.size(), 20u);
    EXPECT_EQ(p.find_first_of("0O1lI"), std::string::npos) << p;
    for (char c : p) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << p;
    EXPECT_NO_THROW(check_password_rules(p));
    EXPECT_TRUE(seen.insert(p).second);
  }
}

TEST(Tokens, EqualConstantTime) {
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
  EXPECT_FALSE(equal_constant_time("", "a"));
}

TEST(Tokens, ManyThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> out(8);
  for (size_t i = 0; i < out.size(); ++i) {
    threads.emplace_back([&out, i] { out[i] = token_digest(new_token()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(out.begin(), out.end()).size(), out.size());
}

// ---------------------------------------------------------------------------- keys

TEST_F(SecretsTest, CreateKeyFileIs0600AndLoads) {
  const std::string path = file("server.key");
  const Key created = create_key_file(path);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(created.id.size(), 16u);
  EXPECT_TRUE(is_hex(created.id));
  const std::string text = slurp(path);
  EXPECT_EQ(text.size(), 65u);
  EXPECT_EQ(text.back(), '\n');
  const Key loaded = load_key_file(path);
  EXPECT_EQ(loaded.bytes, created.bytes);
  EXPECT_EQ(loaded.id, created.id);
  EXPECT_NE(create_key_file(file("other.key")).bytes, created.bytes);
  EXPECT_EQ(names(), (std::vector<std::string>{"other.key", "server.key"}));  // no temporary left
}

TEST_F(SecretsTest, CreateKeyFileRefusesExistingPath) {
  const std::string path = file("server.key");
  const Key first = create_key_file(path);
  EXPECT_THROW(create_key_file(path), IoError);
  EXPECT_EQ(load_key_file(path).bytes, first.bytes);
  spit(file("plain"), "x");
  EXPECT_THROW(create_key_file(file("plain")), IoError);
  ASSERT_EQ(::symlink("nowhere", file("dangling").c_str()), 0);
  EXPECT_THROW(create_key_file(file("dangling")), IoError);
  EXPECT_THROW(create_key_file(file("no/such/folder/key")), IoError);
  EXPECT_EQ(names(), (std::vector<std::string>{"dangling", "plain", "server.key"}));
}

TEST_F(SecretsTest, LoadKeyFileRefusesOpenPermissions) {
  const std::string path = file("k");
  spit(path, std::string(64, 'a') + "\n");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const std::string m = message_of<InvalidInput>([&] { load_key_file(path); });
  EXPECT_EQ(m, path + ": readable by group or others; chmod 600 it");
  ASSERT_EQ(::chmod(path.c_str(), 0620), 0);
  EXPECT_THROW(load_key_file(path), InvalidInput);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(load_key_file(path).bytes, key_from_byte(10).bytes);
  EXPECT_THROW(load_key_file(file("missing")), IoError);
}

TEST_F(SecretsTest, LoadKeyFileRefusesBadContents) {
  const std::string path = file("k");
  for (const std::string& text : {std::string(), std::string(63, 'a'), std::string(65, 'a'), std::string(62, 'a') + "zz",
                                  std::string(32, 'a') + " " + std::string(32, 'a')}) {
    spit(path, text);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    EXPECT_EQ(message_of<InvalidInput>([&] { load_key_file(path); }),
              path + ": a key is 64 hex characters (32 bytes)")
        << text;
  }
}

TEST(Keys, ParseKey) {
  const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const Key k = parse_key(" \t\n" + hex + "\r\n ", "MEDGEN_SERVER_KEY");
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(k.bytes[i], i);
  EXPECT_EQ(parse_key(hex, "x").id, k.id);
  uint8_t digest[32];
  crypto_generichash(digest, 32, k.bytes.data(), 32, nullptr, 0);
  char expected[17];
  sodium_bin2hex(expected, sizeof expected, digest, 8);
  EXPECT_EQ(k.id, expected);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_key(upper, "x").bytes, k.bytes);
  EXPECT_EQ(message_of<InvalidInput>([] { parse_key("abc", "MEDGEN_SERVER_KEY"); }),
            "MEDGEN_SERVER_KEY: a key is 64 hex characters (32 bytes)");
  EXPECT_THROW(parse_key(hex.substr(0, 63) + "g", "x"), InvalidInput);
  EXPECT_THROW(parse_key(hex.substr(0, 63) + '\0', "x"), InvalidInput);
  EXPECT_THROW(parse_key("", "x"), InvalidInput);
}

// ---------------------------------------------------------------------------- encryption at rest

class Encryption : public SecretsTest {
 protected:
  const Key key_ = key_from_byte(1);
  const Key other_ = key_from_byte(2);

  // Encrypts n random bytes into `name`; returns the plaintext.
  std::string make(const std::string& name, size_t n, uint32_t seed = 7) {
    const std::string plain = random_bytes(n, seed);
    encrypt_to_file(key_, plain, file(name));
    return plain;
  }
};

TEST_F(Encryption, RoundTripsAtChunkEdges) {
  for (size_t n : {size_t{0}, size_t{1}, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk + 5}) {
    const std::string path = file("f" + std::to_string(n));
    const std::string plain = make("f" + std::to_string(n), n, static_cast<uint32_t>(n));
    EXPECT_TRUE(is_encrypted_file(path));
    EXPECT_EQ(decrypt_file(key_, path), plain) << n;
    const size_t chunks = n == 0 ? 1 : (n + kChunk - 1) / kChunk;
    EXPECT_EQ(slurp(path).size(), kHeader + n + chunks * (4 + 17)) << n;
    EXPECT_EQ(encrypted_key_id(path), key_.id);
  }
}

TEST_F(Encryption, IsEncryptedFile) {
  make("enc", 10);
  spit(file("plain"), "MGENC");
  EXPECT_TRUE(is_encrypted_file(file("enc")));
  EXPECT_FALSE(is_encrypted_file(file("plain")));
  EXPECT_FALSE(is_encrypted_file(file("missing")));
  EXPECT_FALSE(is_encrypted_file(dir_));
  EXPECT_THROW(encrypted_key_id(file("plain")), ModelFormat);
  EXPECT_THROW(decrypt_file(key_, file("plain")), ModelFormat);
}

TEST_F(Encryption, WrongKeyNamesBothIds) {
  make("f", 1000);
  const std::string m = message_of<InvalidInput>([&] { decrypt_file(other_, file("f")); });
  EXPECT_EQ(m, file("f") + ": encrypted with key " + key_.id + ", not with the key given (" + other_.id + ")");
}

TEST_F(Encryption, EncryptionIsRandomised) {
  make("a", 100);
  make("b", 100);
  EXPECT_NE(slurp(file("a")), slurp(file("b")));
}

TEST_F(Encryption, FlippedByteIsRefused) {
  make("f", 2 * kChunk + 100);
  const std::string good = slurp(file("f"));
  for (size_t at : {kHeader + 4 + kChunk / 2, kHeader + kFullRecord + 4 + 10, good.size() - 1, kHeader - 1}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    spit(file("bad"), bad);
    EXPECT_THROW(decrypt_file(key_, file("bad")), ModelFormat) << at;
  }
  std::string version = good;
  version[6] = 3;
  spit(file("bad"), version);
  EXPECT_NE(message_of<ModelFormat>([&] { decrypt_file(key_, file("bad")); }).find("version 3"), std::string::npos);
  std::string id = good;
  id[7] = static_cast<char>(id[7] ^ 0x80);
  spit(file("bad"), id);
  EXPECT_THROW(decrypt_file(key_, file("bad")), InvalidInput);
}

TEST_F(Encryption, TruncationIsRefused) {
  make("f", 3 * kChunk + 5);
  const std::string good = slurp(file("f"));
  const size_t final_start = kHeader + 3 * kFullRecord;
  ASSERT_EQ(good.size(), final_start + 4 + 5 + 17);
  for (size_t len : {size_t{0}, size_t{3}, size_t{6}, size_t{20}, kHeader, kHeader + 2, kHeader + 4,
                     kHeader + 4 + kChunk, kHeader + kFullRecord, final_start, final_start + 4, good.size() - 1}) {
    spit(file("cut"), good.substr(0, len));
    EXPECT_THROW(decrypt_file(key_, file("cut")), ModelFormat) << len;
  }
  spit(file("cut"), good.substr(0, final_start));
  EXPECT_NE(message_of<ModelFormat>([&] { decrypt_file(key_, file("cut")); }).find("final chunk is missing"),
            std::string::npos);
}

TEST_F(Encryption, AppendedBytesAreRefused) {
  make("f", 100);
  const std::string good = slurp(file("f"));
  for (const std::string& tail : {std::string(1, '\0'), std::string("garbage"), good.substr(kHeader)}) {
    spit(file("long"), good + tail);
    EXPECT_THROW(decrypt_file(key_, file("long")), ModelFormat);
  }
}

TEST_F(Encryption, SwappedChunksAreRefused) {
  make("f", 2 * kChunk + 5);  // two full chunks and a short final one
  const std::string good = slurp(file("f"));
  const std::string c1 = good.substr(kHeader, kFullRecord), c2 = good.substr(kHeader + kFullRecord, kFullRecord);
  spit(file("swapped"), good.substr(0, kHeader) + c2 + c1 + good.substr(kHeader + 2 * kFullRecord));
  EXPECT_THROW(decrypt_file(key_, file("swapped")), ModelFormat);
  spit(file("dropped"), good.substr(0, kHeader) + c2 + good.substr(kHeader + 2 * kFullRecord));
  EXPECT_THROW(decrypt_file(key_, file("dropped")), ModelFormat);
}

TEST_F(Encryption, OversizedChunkLengthIsRefused) {
  make("f", 10);
  std::string bad = slurp(file("f"));
  for (const char* len : {"\xff\xff\xff\xff", "\x12\x00\x01\x00", "\x10\x00\x00\x00"}) {
    bad.replace(kHeader, 4, len, 4);
    spit(file("bad"), bad);
    EXPECT_THROW(decrypt_file(key_, file("bad")), ModelFormat);
  }
}

TEST_F(Encryption, MaxBytes) {
  const std::string plain = make("f", 2 * kChunk);
  EXPECT_EQ(decrypt_file(key_, file("f"), 2 * kChunk), plain);
  EXPECT_EQ(message_of<IoError>([&] { decrypt_file(key_, file("f"), 2 * kChunk - 1); }),
            file("f") + ": larger than " + std::to_string(2 * kChunk - 1) + " bytes");
  EXPECT_THROW(decrypt_file(key_, file("f"), 0), IoError);
}

TEST_F(Encryption, EncryptFileStreamsAPlainFile) {
  for (size_t n : {size_t{0}, kChunk, 3 * kChunk + 5}) {
    const std::string plain = random_bytes(n, 3);
    spit(file("plain"), plain);
    encrypt_file(key_, file("plain"), file("enc"));
    encrypt_to_file(key_, plain, file("enc2"));
    EXPECT_EQ(decrypt_file(key_, file("enc")), plain) << n;
    EXPECT_EQ(decrypt_file(key_, file("enc2")), decrypt_file(key_, file("enc"))) << n;
    EXPECT_EQ(slurp(file("enc")).size(), slurp(file("enc2")).size()) << n;  // the same chunking
  }
  EXPECT_NE(message_of<IoError>([&] { encrypt_file(key_, file("missing"), file("out")); }).find(file("missing")),
            std::string::npos);
  EXPECT_FALSE(is_encrypted_file(file("out")));
  EXPECT_THROW(encrypt_file(key_, dir_, file("out")), IoError);
}

TEST_F(Encryption, EncryptFileInPlace) {
  const std::string plain = random_bytes(kChunk + 9, 4);
  spit(file("data"), plain);
  encrypt_file(key_, file("data"), file("data"));
  EXPECT_EQ(decrypt_file(key_, file("data")), plain);
}

TEST_F(Encryption, RotateFiles) {
  std::vector<std::string> paths;
  std::vector<std::string> plains;
  for (size_t n : {size_t{0}, size_t{77}, 2 * kChunk + 3}) {
    paths.push_back(file("f" + std::to_string(n)));
    plains.push_back(make("f" + std::to_string(n), n, static_cast<uint32_t>(n)));
  }
  EXPECT_EQ(rotate_files(key_, other_, paths), paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(encrypted_key_id(paths[i]), other_.id);
    EXPECT_EQ(decrypt_file(other_, paths[i]), plains[i]);
    EXPECT_THROW(decrypt_file(key_, paths[i]), InvalidInput);
  }
  EXPECT_EQ(rotate_files(key_, other_, paths), 0u);
  // A partly rotated set (a crash in between) finishes; a file under a third key stops it first.
  EXPECT_EQ(rotate_files(other_, key_, {paths[0]}), 1u);
  EXPECT_EQ(rotate_files(other_, key_, paths), 2u);
  encrypt_to_file(key_from_byte(3), "x", file("third"));
  const std::string before = slurp(paths[0]);
  EXPECT_THROW(rotate_files(key_, other_, {paths[0], file("third")}), InvalidInput);
  EXPECT_EQ(slurp(paths[0]), before);
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(decrypt_file(key_, paths[i]), plains[i]);
}

// A labelled file (version 2) is bound to its name: moved or swapped onto another, it does not
// decrypt; nor does a version byte changed to pass it off as unlabelled. Unlabelled files (version
// 1) still read, and a rotation with labels rewrites them as labelled.
TEST_F(Encryption, LabelsBindFilesToTheirNames) {
  const std::string a(3 * kChunk + 5, 'a'), b(100, 'b');
  encrypt_to_file(key_, a, file("a"), "datasets/1.csv.enc");
  encrypt_to_file(key_, b, file("b"), "datasets/2.csv.enc");
  EXPECT_EQ(slurp(file("a"))[6], 2);
  EXPECT_EQ(decrypt_file(key_, file("a"), uint64_t{1} << 30, "datasets/1.csv.enc"), a);
  const std::string m = message_of<ModelFormat>([&] { decrypt_file(key_, file("a"), uint64_t{1} << 30, "datasets/2.csv.enc"); });
  EXPECT_NE(m.find("not the file 'datasets/2.csv.enc'"), std::string::npos) << m;
  EXPECT_THROW(decrypt_file(key_, file("a")), ModelFormat);  // no label given
  std::string downgraded = slurp(file("b"));
  downgraded[6] = 1;
  spit(file("b1"), downgraded);
  EXPECT_THROW(decrypt_file(key_, file("b1"), uint64_t{1} << 30, "datasets/2.csv.enc"), ModelFormat);
  // Streamed encryption labels the same way.
  spit(file("plain"), b);
  encrypt_file(key_, file("plain"), file("c"), "images/job-3.nii.gz.enc");
  EXPECT_EQ(decrypt_file(key_, file("c"), uint64_t{1} << 30, "images/job-3.nii.gz.enc"), b);
  EXPECT_THROW(decrypt_file(key_, file("c"), uint64_t{1} << 30, "images/job-4.nii.gz.enc"), ModelFormat);
  // An old unlabelled file reads under any label; rotated with its label, it is bound.
  encrypt_to_file(key_, b, file("old"));
  EXPECT_EQ(decrypt_file(key_, file("old"), uint64_t{1} << 30, "models/job-9.medgen.enc"), b);
  EXPECT_EQ(rotate_files(key_, other_, {file("old"), file("a")}, {"models/job-9.medgen.enc", "datasets/1.csv.enc"}), 2u);
  EXPECT_EQ(slurp(file("old"))[6], 2);
  EXPECT_EQ(decrypt_file(other_, file("old"), uint64_t{1} << 30, "models/job-9.medgen.enc"), b);
  EXPECT_THROW(decrypt_file(other_, file("old"), uint64_t{1} << 30, "models/job-8.medgen.enc"), ModelFormat);
  EXPECT_EQ(decrypt_file(other_, file("a"), uint64_t{1} << 30, "datasets/1.csv.enc"), a);
  EXPECT_THROW(rotate_files(other_, key_, {file("a")}, {"datasets/9.csv.enc"}), ModelFormat);  // the wrong name
}

TEST_F(Encryption, RotateRefusesAlteredFileAndKeepsIt) {
  make("f", kChunk + 10);
  std::string bad = slurp(file("f"));
  bad[kHeader + 100] = static_cast<char>(bad[kHeader + 100] ^ 4);
  spit(file("f"), bad);
  EXPECT_THROW(rotate_files(key_, other_, {file("f")}), ModelFormat);
  EXPECT_EQ(slurp(file("f")), bad);
  EXPECT_EQ(encrypted_key_id(file("f")), key_.id);
  EXPECT_EQ(names(), std::vector<std::string>{"f"});
}

}  // namespace
}  // namespace medgen::server
