// Secrets for the server, all on libsodium: password hashes (Argon2id), API tokens (random,
// stored only as a digest), one-time passwords, and encryption at rest of files that hold real
// patient data or was learned from it (XChaCha20-Poly1305 secretstream, in 64 KiB chunks, so a
// truncated, reordered or altered file is refused, never half-read).
//
// Encrypted file format ("MGENC1"): 6 bytes magic "MGENC1", 1 byte version (1), 8 bytes key id
// (the first 8 bytes of BLAKE2b-256 of the key: says which key encrypted it without revealing
// it), the 24-byte secretstream header, then chunks: a 4-byte little-endian ciphertext length
// followed by that many bytes; the last chunk carries the FINAL tag. Nothing may follow it.
// Version 2 is the same with a label (the server gives the file's name in its data folder)
// authenticated as every chunk's additional data: a file moved or swapped onto another name
// does not decrypt under that name. Version 1 files (no label) are still read; a key rotation
// rewrites them as version 2 when labels are given.
//
// Errors: InvalidInput for a bad key file or variable, a wrong key for a file; ModelFormat for
// a file that is not MGENC1, or is truncated or altered; IoError for file-system failures.
// Thread safety: every function may be called from several threads (sodium_init is called once).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace medgen::server {

// Calls sodium_init once; Error when libsodium cannot start.
void init_sodium();

// ---------------------------------------------------------------------------- passwords
struct PasswordCost {
  uint64_t ops = 2;                     // Argon2id passes (libsodium's INTERACTIVE: 2)
  size_t mem_bytes = size_t{64} << 20;  // memory per hash (INTERACTIVE: 64 MiB)
};
// "$argon2id$v=19$m=...,t=...,p=1$salt$hash" with a fresh random salt.
std::string hash_password(std::string_view password, const PasswordCost& cost = {});
// Constant-time check; false for a malformed hash, never throws on user input.
bool verify_password(const std::string& hash, std::string_view password);
// Password rules for accounts: 12..1024 bytes. InvalidInput naming the rule when broken.
void check_password_rules(std::string_view password);

// ---------------------------------------------------------------------------- tokens
// "mgt_" + 43 characters of URL-safe base64 of 32 random bytes.
std::string new_token();
// Hex BLAKE2b-256 of the token: what the database stores (a token has 256 bits of entropy, so a
// fast hash suffices; the digest reveals nothing usable).
std::string token_digest(std::string_view token);
// A one-time password for a first admin: 20 characters from an unambiguous alphabet.
std::string new_password();
// Constant-time equality of two strings of equal length (false when lengths differ).
bool equal_constant_time(std::string_view a, std::string_view b);

// ---------------------------------------------------------------------------- keys
struct Key {
  std::array<uint8_t, 32> bytes{};
  std::string id;  // 16 hex characters: first 8 bytes of BLAKE2b-256 of bytes
};
// A key file holds 64 hex characters (whitespace around them allowed). InvalidInput naming the
// file for anything else, and for a key file readable or writable by group or others.
Key load_key_file(const std::string& path);
// The same from a string (e.g. the MEDGEN_SERVER_KEY variable); `source` names it in messages.
Key parse_key(std::string_view hex, const std::string& source);
// Writes a fresh random key to `path` with mode 0600 (atomically; IoError if it exists).
Key create_key_file(const std::string& path);

// ---------------------------------------------------------------------------- encryption at rest
bool is_encrypted_file(const std::string& path);  // starts with the magic (false when unreadable)
// Encrypts bytes into `path` by core/file.h's output rules (temporary, then rename); with a
// `label`, as version 2 bound to it.
void encrypt_to_file(const Key& key, std::string_view plain, const std::string& path, const std::string& label = "");
// Streams a plain file into an encrypted one (same output rules), without holding it in memory.
void encrypt_file(const Key& key, const std::string& plain_path, const std::string& cipher_path,
                  const std::string& label = "");
// Decrypts a whole file. max_bytes bounds the plaintext (IoError beyond it). A version 2 file
// decrypts only under its own label (ModelFormat otherwise).
std::string decrypt_file(const Key& key, const std::string& path, uint64_t max_bytes = uint64_t{2} << 30,
                         const std::string& label = "");
// The key id a file was encrypted with (ModelFormat when it is not MGENC1).
std::string encrypted_key_id(const std::string& path);
// Re-encrypts each file under new_key (each atomically: a crash leaves every file readable with
// one of the two keys). Files already under new_key are left alone. Returns how many changed.
// `labels` (one per path, or none) are the files' labels: read under them, and written with them.
size_t rotate_files(const Key& old_key, const Key& new_key, const std::vector<std::string>& paths,
                    const std::vector<std::string>& labels = {});

}  // namespace medgen::server
