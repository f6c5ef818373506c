#include "driftgov/io/storage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"

namespace driftgov::io {

std::unique_ptr<OutputStream> Storage::create_owner_only(const std::string& path) {
  throw core::UnsupportedError(fmt::format("{}: owner-only files (secret keys) are kept on the local file system "
                                           "only, not in this storage", path));
}

std::optional<std::uint32_t> Storage::permission_bits(const std::string& path) {
  if (!stat(path)) throw core::InputError(fmt::format("{}: cannot open: No such file or directory", path));
  return std::nullopt;
}

std::string temporary_path_for(const std::string& path) {
  // A random token per process and a counter make names unique across processes and threads without asking
  // the operating system for a process id, so every backend can use the same names.
  static const std::uint64_t process_token = std::random_device{}();
  static std::atomic<std::uint64_t> counter{0};
  const auto slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return fmt::format("{}.{}.{:08x}-{}.tmp", folder, name, process_token, counter.fetch_add(1));
}

std::string normalize_path(std::string_view path) {
  const bool absolute = path.starts_with('/');
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    const auto part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!absolute) parts.push_back(part);
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out = absolute ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string join_path(std::string_view folder, std::string_view name) {
  if (folder.empty() || name.starts_with('/')) return std::string(name);
  std::string joined(folder);
  if (!joined.ends_with('/')) joined += '/';
  joined += name;
  return joined;
}

std::string_view file_name(std::string_view path) { return path.substr(path.rfind('/') + 1); }

std::string parent_folder(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string lowercase_extension(std::string_view path) {
  const auto name = file_name(path);
  const auto dot = name.rfind('.');
  // A leading dot starts a hidden name, not an extension: ".profile" has none.
  if (dot == std::string_view::npos || dot == 0 || name == "..") return {};
  std::string extension(name.substr(dot));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char character) { return static_cast<char>(std::tolower(character)); });
  return extension;
}

std::string read_file(Storage& storage, const std::string& path) {
  // One read into the string: mapping the file first would add a mapping, its page faults and an unmap to the
  // same copy (a Delta log read is many small files).
  const auto file = storage.open_read(path);
  std::string bytes(static_cast<std::size_t>(file->size()), '\0');
  file->read_at(0, file->size(), bytes.data());
  return bytes;
}

void write_file_atomically(Storage& storage, const std::string& path, std::string_view contents) {
  const auto stream = storage.create(path);
  stream->write(contents);
  stream->publish();
}

namespace {
constexpr std::size_t kStreamBufferBytes = std::size_t{64} << 10;
}  // namespace

OutputStreamBuffer::OutputStreamBuffer(OutputStream& stream) : stream_(stream) {
  buffer_.reserve(kStreamBufferBytes);
}

void OutputStreamBuffer::flush_to_stream() {
  if (buffer_.empty()) return;
  stream_.write(buffer_);
  buffer_.clear();
}

OutputStreamBuffer::int_type OutputStreamBuffer::overflow(int_type character) {
  if (traits_type::eq_int_type(character, traits_type::eof())) return traits_type::not_eof(character);
  buffer_.push_back(traits_type::to_char_type(character));
  if (buffer_.size() >= kStreamBufferBytes) flush_to_stream();
  return character;
}

std::streamsize OutputStreamBuffer::xsputn(const char* data, std::streamsize count) {
  buffer_.append(data, static_cast<std::size_t>(count));
  if (buffer_.size() >= kStreamBufferBytes) flush_to_stream();
  return count;
}

int OutputStreamBuffer::sync() {
  flush_to_stream();
  return 0;
}

}  // namespace driftgov::io
