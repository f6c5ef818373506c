// Files in memory behind io::Storage, for tests. Temporary files are entries like any other, so a simulated
// crash leaves them behind exactly as on a disk.
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::io {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct StoredFile {
  std::shared_ptr<std::string> bytes;
  std::int64_t modified_ms = 0;
};

// The shared state; streams and open files keep it alive.
struct MemoryFiles {
  std::mutex mutex;
  std::map<std::string, StoredFile> files;
  std::set<std::string> locks;
};

class MemoryFile final : public RandomAccessFile {
 public:
  MemoryFile(std::string path, std::shared_ptr<const std::string> bytes)
      : path_(std::move(path)), bytes_(std::move(bytes)) {}
  const std::string& path() const override { return path_; }
  std::int64_t size() const override { return static_cast<std::int64_t>(bytes_->size()); }
  void read_at(std::int64_t offset, std::int64_t length, char* out) const override {
    if (offset < 0 || length < 0 || offset + length > size()) {
      throw core::InputError(fmt::format("{}: read of {} bytes at offset {} failed: file shrank while reading",
                                         path_, length, offset));
    }
    std::memcpy(out, bytes_->data() + offset, static_cast<std::size_t>(length));
  }
  std::optional<std::string_view> mapped() const override { return std::string_view(*bytes_); }

 private:
  std::string path_;
  std::shared_ptr<const std::string> bytes_;  // a published file's bytes never change
};

class MemoryOutputStream final : public OutputStream {
 public:
  MemoryOutputStream(std::shared_ptr<MemoryFiles> files, std::string path)
      : files_(std::move(files)), path_(std::move(path)), temporary_(temporary_path_for(path_)) {
    const std::lock_guard lock(files_->mutex);
    files_->files[temporary_] = {bytes_, now_ms()};
  }
  ~MemoryOutputStream() override {
    if (open_) {
      const std::lock_guard lock(files_->mutex);
      files_->files.erase(temporary_);
    }
  }

  const std::string& path() const override { return path_; }
  std::int64_t position() const override { return static_cast<std::int64_t>(bytes_->size()); }
  void write(std::string_view bytes) override {
    require_open("write");
    const std::lock_guard lock(files_->mutex);
    bytes_->append(bytes);
  }
  void sync() override { require_open("sync"); }
  void publish() override { publish_as(/*replace=*/true); }

  bool publish_as(bool replace) {
    require_open("publish");
    open_ = false;
    const std::lock_guard lock(files_->mutex);
    files_->files.erase(temporary_);
    if (!replace && files_->files.contains(path_)) return false;
    files_->files[path_] = {bytes_, now_ms()};
    return true;
  }

  void forget() override { open_ = false; }

 private:
  void require_open(const char* operation) const {
    DRIFTGOV_CHECK(open_, "{} on {} after it was published or abandoned", operation, path_);
  }

  std::shared_ptr<MemoryFiles> files_;
  std::string path_;
  std::string temporary_;
  std::shared_ptr<std::string> bytes_ = std::make_shared<std::string>();
  bool open_ = true;
};

class MemoryStorage final : public Storage {
 public:
  std::unique_ptr<RandomAccessFile> open_read(const std::string& path) override {
    const std::lock_guard lock(files_->mutex);
    const auto found = files_->files.find(path);
    if (found == files_->files.end()) throw core::InputError(fmt::format("{}: cannot open: {}", path, std::strerror(ENOENT)));
    return std::make_unique<MemoryFile>(path, found->second.bytes);
  }

  std::unique_ptr<OutputStream> create(const std::string& path) override {
    return std::make_unique<MemoryOutputStream>(files_, path);
  }

  bool put_if_absent(const std::string& path, std::string_view contents) override {
    MemoryOutputStream stream(files_, path);
    stream.write(contents);
    return stream.publish_as(/*replace=*/false);
  }

  std::vector<FileInfo> list(const std::string& prefix) override {
    const auto slash = prefix.rfind('/');
    const std::size_t folder_length = slash == std::string::npos ? 0 : slash + 1;
    std::vector<FileInfo> result;
    const std::lock_guard lock(files_->mutex);
    for (auto it = files_->files.lower_bound(prefix); it != files_->files.end() && it->first.starts_with(prefix);
         ++it) {
      if (it->first.find('/', folder_length) != std::string::npos) continue;  // deeper than the folder
      result.push_back({it->first, static_cast<std::int64_t>(it->second.bytes->size()), it->second.modified_ms});
    }
    return result;
  }

  std::optional<FileInfo> stat(const std::string& path) override {
    const std::lock_guard lock(files_->mutex);
    const auto found = files_->files.find(path);
    if (found == files_->files.end()) return std::nullopt;
    return FileInfo{path, static_cast<std::int64_t>(found->second.bytes->size()), found->second.modified_ms};
  }

  void remove(const std::string& path) override {
    const std::lock_guard lock(files_->mutex);
    files_->files.erase(path);
  }

  bool is_folder(const std::string& path) override {
    const std::string prefix = path.ends_with('/') ? path : path + "/";
    const std::lock_guard lock(files_->mutex);
    const auto found = files_->files.lower_bound(prefix);
    return found != files_->files.end() && found->first.starts_with(prefix);
  }

  std::unique_ptr<Lock> try_lock(const std::string& path) override {
    class MemoryLock final : public Lock {
     public:
      MemoryLock(std::shared_ptr<MemoryFiles> files, std::string path)
          : files_(std::move(files)), path_(std::move(path)) {}
      ~MemoryLock() override {
        const std::lock_guard lock(files_->mutex);
        files_->locks.erase(path_);
      }

     private:
      std::shared_ptr<MemoryFiles> files_;
      std::string path_;
    };
    const std::lock_guard lock(files_->mutex);
    if (!files_->locks.insert(path).second) return nullptr;
    files_->files.try_emplace(path, StoredFile{std::make_shared<std::string>(), now_ms()});
    return std::make_unique<MemoryLock>(files_, path);
  }

 private:
  std::shared_ptr<MemoryFiles> files_ = std::make_shared<MemoryFiles>();
};

}  // namespace

std::unique_ptr<Storage> make_memory_storage() { return std::make_unique<MemoryStorage>(); }

}  // namespace driftgov::io
