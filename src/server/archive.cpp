#include "archive.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <set>

#include <archive.h>
#include <archive_entry.h>

#include "medgen/core/error.h"
#include "medgen/core/file.h"

namespace fs = std::filesystem;

namespace medgen::server {

namespace {

using ReadHandle = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using WriteHandle = std::unique_ptr<struct archive, int (*)(struct archive*)>;

bool plain_name(const std::string& n) {
  if (n.empty() || n.size() > 100 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Files other systems add to archives of a folder.
bool clutter(const std::string& path) {
  const std::string base = path.substr(path.find_last_of('/') + 1);
  return path.rfind("__MACOSX/", 0) == 0 || base.rfind("._", 0) == 0 || base == ".DS_Store" || base == "Thumbs.db";
}

struct Entry {
  std::string path;
  std::string bytes;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> read_upload_archive(const std::string& bytes,
                                                                     const std::string& source,
                                                                     const ArchiveLimits& limits) {
  ReadHandle a(archive_read_new(), archive_read_free);
  if (!a) throw Error("libarchive: out of memory");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_zip(a.get());
  archive_read_support_format_7zip(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
    throw InvalidInput(source + ": not an archive (tar, tar.gz or zip of the dataset's CSV files)");
  std::vector<Entry> entries;
  uint64_t total = 0;
  struct archive_entry* e = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      throw InvalidInput(source + ": not a readable archive (" + std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error") + ")");
    const char* raw = archive_entry_pathname(e);
    std::string path = raw ? raw : "";
    while (path.rfind("./", 0) == 0) path.erase(0, 2);
    const mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR || path.empty() || clutter(path)) continue;
    if (type != AE_IFREG)
      throw InvalidInput(source + ": entry '" + path + "' is not a regular file (links and devices are refused)");
    if (entries.size() >= limits.max_files)
      throw InvalidInput(source + ": more than " + std::to_string(limits.max_files) + " files");
    if (path.front() == '/' || path.find("..") != std::string::npos)
      throw InvalidInput(source + ": entry '" + path + "': absolute paths and '..' are refused");
    Entry en{path, {}};
    const la_int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (declared < 0 || total + static_cast<uint64_t>(declared) > limits.max_total)
      throw InvalidInput(source + ": more than " + std::to_string(limits.max_total >> 20) + " MiB unpacked");
    char buf[65536];
    for (;;) {
      const la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n < 0)
        throw InvalidInput(source + ": entry '" + path + "' could not be read (" +
                           std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error") + ")");
      total += static_cast<uint64_t>(n);
      if (total > limits.max_total)
        throw InvalidInput(source + ": more than " + std::to_string(limits.max_total >> 20) + " MiB unpacked");
      en.bytes.append(buf, static_cast<size_t>(n));
    }
    entries.push_back(std::move(en));
  }
  if (entries.empty()) throw InvalidInput(source + ": the archive holds no files");
  // One folder common to every entry (a zipped folder) is dropped.
  const size_t slash = entries[0].path.find('/');
  if (slash != std::string::npos) {
    const std::string top = entries[0].path.substr(0, slash + 1);
    if (std::all_of(entries.begin(), entries.end(), [&](const Entry& x) { return x.path.rfind(top, 0) == 0; }))
      for (Entry& x : entries) x.path.erase(0, top.size());
  }
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (Entry& x : entries) {
    if (x.path.find('/') != std::string::npos)
      throw InvalidInput(source + ": entry '" + x.path + "': a dataset is one folder of files, without sub-folders");
    if (!plain_name(x.path) || !(ends_with(x.path, ".csv") || x.path == "dataset.json"))
      throw InvalidInput(source + ": entry '" + x.path +
                         "': expected table files named like patients.csv (letters, digits, _ . -) and an optional dataset.json");
    if (!seen.insert(x.path).second) throw InvalidInput(source + ": entry '" + x.path + "' appears twice");
    out.emplace_back(std::move(x.path), std::move(x.bytes));
  }
  if (std::none_of(out.begin(), out.end(), [](const auto& f) { return ends_with(f.first, ".csv"); }))
    throw InvalidInput(source + ": the archive holds no .csv table");
  return out;
}

std::string write_tar(const std::vector<std::pair<std::string, std::string>>& files) {
  WriteHandle a(archive_write_new(), archive_write_free);
  if (!a) throw Error("libarchive: out of memory");
  archive_write_set_format_pax_restricted(a.get());
  archive_write_add_filter_none(a.get());
  // Grown through a callback: the archive can be larger than any fixed buffer.
  std::string out;
  auto writer = [](struct archive*, void* data, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, writer, nullptr) != ARCHIVE_OK)
    throw Error(std::string("libarchive: ") + archive_error_string(a.get()));
  for (const auto& [name, bytes] : files) {
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        (bytes.size() && archive_write_data(a.get(), bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size())))
      throw Error(std::string("libarchive: ") + archive_error_string(a.get()));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) throw Error(std::string("libarchive: ") + archive_error_string(a.get()));
  return out;
}

std::vector<std::pair<std::string, std::string>> read_folder(const std::string& folder) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const fs::directory_entry& e : fs::directory_iterator(folder))
    if (e.is_regular_file()) out.emplace_back(e.path().filename().string(), read_file(e.path().string()));
  std::sort(out.begin(), out.end());
  return out;
}

void write_folder(const std::string& folder, const std::vector<std::pair<std::string, std::string>>& files) {
  fs::create_directories(folder);
  for (const auto& [name, bytes] : files) {
    if (!plain_name(name)) throw Error("write_folder: '" + name + "' is not a plain file name");
    write_file_atomic(folder + "/" + name, bytes);
  }
}

}  // namespace medgen::server
