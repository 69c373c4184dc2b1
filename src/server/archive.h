// Datasets of several tables travel as one archive: uploads in any format libarchive reads
// (tar, tar.gz, zip, ...), and the server's own stored form, a plain POSIX tar of the folder.
// Not a public header.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace medgen::server {

struct ArchiveLimits {
  size_t max_files = 64;                  // regular files in the archive
  uint64_t max_total = uint64_t{1} << 30;  // uncompressed bytes in all (archive bombs)
};

// The regular files of an uploaded archive as (name, bytes), in archive order. Names are flat:
// one leading folder common to every entry is dropped (a zipped folder), directories and
// operating-system clutter (__MACOSX/, ._*, .DS_Store) are skipped, and every other name must
// be a plain file name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 100 characters) ending in .csv, or
// dataset.json; nothing else (sub-folders, links, devices, "..", absolute paths, duplicates) is
// accepted. InvalidInput naming `source` and the entry otherwise, or when the bytes are not an
// archive or exceed `limits`.
std::vector<std::pair<std::string, std::string>> read_upload_archive(const std::string& bytes,
                                                                     const std::string& source,
                                                                     const ArchiveLimits& limits = {});

// A POSIX (pax) tar of the given files, each a plain name.
std::string write_tar(const std::vector<std::pair<std::string, std::string>>& files);

// The regular files of `folder` (not recursive) as (name, bytes), sorted by name.
std::vector<std::pair<std::string, std::string>> read_folder(const std::string& folder);

// Writes the files into `folder` (created if absent; names as read_upload_archive accepts).
void write_folder(const std::string& folder, const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace medgen::server
