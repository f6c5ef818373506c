// The local file system behind io::Storage. This file and the other Storage implementations are the only places
// that call the operating system's file functions (tests/python/test_storage_boundary.py checks it).
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "driftgov/core/error.hpp"
#include "driftgov/io/process.hpp"
#include "driftgov/io/scratch_folder.hpp"
#include "driftgov/io/storage.hpp"

extern char** environ;

namespace driftgov::io {
namespace {

// Owns one file descriptor.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int descriptor) : descriptor_(descriptor) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : descriptor_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      descriptor_ = other.release();
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return descriptor_; }
  bool valid() const { return descriptor_ >= 0; }
  int release() { return std::exchange(descriptor_, -1); }
  void reset() {
    if (descriptor_ >= 0) ::close(descriptor_);
    descriptor_ = -1;
  }
  // Closes and reports the result (close can report a deferred write error on some file systems).
  int close_checked() { return ::close(release()); }

 private:
  int descriptor_ = -1;
};

// Owns one read-only memory mapping.
class Mapping {
 public:
  Mapping(void* address, std::size_t length) : address_(address), length_(length) {}
  ~Mapping() { ::munmap(address_, length_); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  std::string_view view() const { return {static_cast<const char*>(address_), length_}; }

 private:
  void* address_;
  std::size_t length_;
};

std::int64_t modified_ms(const struct stat& status) {
  return static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000 + status.st_mtim.tv_nsec / 1000000;
}

// Best effort: some file systems refuse fsync on a folder; the rename itself has happened either way.
void sync_folder(const std::string& folder) {
  const FileDescriptor descriptor(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (descriptor.valid()) ::fsync(descriptor.get());
}

void create_folders(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(parent_folder(path), error);
  if (error) throw core::IOError(parent_folder(path), "create folder", error.value());
}

class LocalFile final : public RandomAccessFile {
 public:
  explicit LocalFile(std::string path) : path_(std::move(path)) {
    descriptor_ = FileDescriptor(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!descriptor_.valid()) {
      if (errno == ENOENT || errno == ENOTDIR) {
        throw core::InputError(fmt::format("{}: cannot open: {}", path_, std::strerror(errno)));
      }
      throw core::IOError(path_, "open", errno);
    }
    struct stat status {};
    if (::fstat(descriptor_.get(), &status) != 0) throw core::IOError(path_, "stat", errno);
    if (!S_ISREG(status.st_mode)) throw core::InputError(fmt::format("{}: not a regular file", path_));
    size_ = status.st_size;
  }

  const std::string& path() const override { return path_; }
  std::int64_t size() const override { return size_; }

  void read_at(std::int64_t offset, std::int64_t length, char* out) const override {
    std::int64_t done = 0;
    while (done < length) {
      const ssize_t got = ::pread(descriptor_.get(), out + done, static_cast<std::size_t>(length - done),
                                  static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw core::IOError(path_, fmt::format("read of {} bytes at offset {}", length, offset), errno);
      if (got == 0) {
        throw core::InputError(fmt::format("{}: read of {} bytes at offset {} failed: file shrank while reading",
                                           path_, length, offset));
      }
      done += got;
    }
  }

  std::optional<std::string_view> mapped() const override {
    if (size_ == 0) return std::string_view();
    if (!mapping_) {
      void* address = ::mmap(nullptr, static_cast<std::size_t>(size_), PROT_READ, MAP_PRIVATE, descriptor_.get(), 0);
      if (address == MAP_FAILED) throw core::IOError(path_, "mmap", errno);
      mapping_ = std::make_unique<Mapping>(address, static_cast<std::size_t>(size_));
    }
    return mapping_->view();
  }

 private:
  std::string path_;
  FileDescriptor descriptor_;
  std::int64_t size_ = 0;
  mutable std::unique_ptr<Mapping> mapping_;
};

class LocalOutputStream final : public OutputStream {
 public:
  // `owner_only`: the temporary file is created with mode 0600 (and set to exactly 0600 whatever the umask), so
  // it is never readable by others.
  explicit LocalOutputStream(std::string path, bool owner_only = false)
      : path_(std::move(path)), temporary_(temporary_path_for(path_)), owner_only_(owner_only) {
    create_folders(path_);
    descriptor_ = FileDescriptor(
        ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, owner_only ? 0600 : 0666));
    if (!descriptor_.valid()) throw core::IOError(path_, "create of the temporary file " + temporary_, errno);
    if (owner_only && ::fchmod(descriptor_.get(), 0600) != 0) {
      const int error = errno;
      descriptor_.reset();
      ::unlink(temporary_.c_str());
      throw core::IOError(path_, "chmod 600 of the temporary file " + temporary_, error);
    }
  }

  ~LocalOutputStream() override {
    if (state_ == State::kOpen) {
      descriptor_.reset();
      ::unlink(temporary_.c_str());
    }
  }

  const std::string& path() const override { return path_; }
  std::int64_t position() const override { return position_; }

  void write(std::string_view bytes) override {
    require_open("write");
    while (!bytes.empty()) {
      const auto written = ::write(descriptor_.get(), bytes.data(), bytes.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        throw core::IOError(path_, "write", errno);
      }
      bytes.remove_prefix(static_cast<std::size_t>(written));
      position_ += written;
    }
  }

  void sync() override {
    require_open("sync");
    if (::fsync(descriptor_.get()) != 0) throw core::IOError(path_, "fsync", errno);
  }

  void publish() override {
    if (!owner_only_) {
      publish_as(/*replace=*/true);
      return;
    }
    // A secret key is never replaced: link(2) publishes it only if the name is free.
    if (!publish_as(/*replace=*/false)) {
      throw core::InputError(fmt::format("{}: the file exists already; a secret key is never replaced", path_));
    }
  }

  // Returns false when `replace` is false and the final name exists (the temporary file is removed then).
  bool publish_as(bool replace) {
    sync();
    if (descriptor_.close_checked() != 0) throw core::IOError(path_, "close", errno);
    if (replace) {
      if (::rename(temporary_.c_str(), path_.c_str()) != 0) throw core::IOError(path_, "rename into place", errno);
    } else {
      // link(2) fails with EEXIST if the name exists, which makes the creation put-if-absent; rename would
      // overwrite.
      const int linked = ::link(temporary_.c_str(), path_.c_str());
      const int link_error = errno;
      ::unlink(temporary_.c_str());
      if (linked != 0) {
        state_ = State::kDone;
        if (link_error == EEXIST) return false;
        throw core::IOError(path_, "create (if absent)", link_error);
      }
    }
    state_ = State::kDone;
    sync_folder(parent_folder(path_));
    return true;
  }

  void forget() override {
    descriptor_.reset();
    state_ = State::kDone;
  }

 private:
  enum class State { kOpen, kDone };

  void require_open(const char* operation) const {
    DRIFTGOV_CHECK(state_ == State::kOpen, "{} on {} after it was published or abandoned", operation, path_);
  }

  std::string path_;
  std::string temporary_;
  bool owner_only_ = false;
  FileDescriptor descriptor_;
  std::int64_t position_ = 0;
  State state_ = State::kOpen;
};

// The files of the prefix's folder whose names start with the prefix's last component and whose paths sort after
// `start_after` (every path sorts after an empty one), by path.
std::vector<FileInfo> list_folder(const std::string& prefix, std::string_view start_after) {
  const auto slash = prefix.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : prefix.substr(0, slash == 0 ? 1 : slash);
  const std::string directory_part = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
  const std::string name_prefix = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
  std::vector<FileInfo> files;
  DIR* directory = ::opendir(folder.c_str());
  if (directory == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return files;
    throw core::IOError(folder, "list", errno);
  }
  const std::unique_ptr<DIR, int (*)(DIR*)> owner(directory, ::closedir);
  errno = 0;
  while (const dirent* entry = ::readdir(directory)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == ".." || !name.starts_with(name_prefix)) continue;
    std::string path = directory_part + std::string(name);
    if (path <= start_after) continue;  // dropped before its stat, which is what a listing costs
    struct stat status {};
    // A file removed between readdir and stat is simply not listed.
    // Relative to the open folder: the folder's path is not resolved again for every entry.
    if (::fstatat(::dirfd(directory), entry->d_name, &status, 0) != 0 || !S_ISREG(status.st_mode)) continue;
    files.push_back({std::move(path), static_cast<std::int64_t>(status.st_size), modified_ms(status)});
  }
  std::sort(files.begin(), files.end(), [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return files;
}

class LocalStorage final : public Storage {
 public:
  std::unique_ptr<RandomAccessFile> open_read(const std::string& path) override {
    return std::make_unique<LocalFile>(path);
  }

  std::unique_ptr<OutputStream> create(const std::string& path) override {
    return std::make_unique<LocalOutputStream>(path);
  }

  std::unique_ptr<OutputStream> create_owner_only(const std::string& path) override {
    return std::make_unique<LocalOutputStream>(path, /*owner_only=*/true);
  }

  std::optional<std::uint32_t> permission_bits(const std::string& path) override {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        throw core::InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
      }
      throw core::IOError(path, "stat", errno);
    }
    return static_cast<std::uint32_t>(status.st_mode & 07777);
  }

  bool put_if_absent(const std::string& path, std::string_view contents) override {
    LocalOutputStream stream(path);
    stream.write(contents);
    return stream.publish_as(/*replace=*/false);
  }

  std::vector<FileInfo> list(const std::string& prefix) override { return list_folder(prefix, {}); }

  std::vector<FileInfo> list_after(const std::string& prefix, const std::string& start_after) override {
    return list_folder(prefix, start_after);
  }

  std::optional<FileInfo> stat(const std::string& path) override {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      throw core::IOError(path, "stat", errno);
    }
    if (!S_ISREG(status.st_mode)) return std::nullopt;
    return FileInfo{path, static_cast<std::int64_t>(status.st_size), modified_ms(status)};
  }

  bool same_file(const std::string& a, const std::string& b) override {
    struct stat first {};
    struct stat second {};
    return ::stat(a.c_str(), &first) == 0 && ::stat(b.c_str(), &second) == 0 && first.st_dev == second.st_dev &&
           first.st_ino == second.st_ino;
  }

  void remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw core::IOError(path, "remove", errno);
  }

  bool is_folder(const std::string& path) override {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
  }

  std::unique_ptr<Lock> try_lock(const std::string& path) override {
    class FileLock final : public Lock {
     public:
      explicit FileLock(FileDescriptor descriptor) : descriptor_(std::move(descriptor)) {}

     private:
      FileDescriptor descriptor_;  // closing it releases the flock
    };
    create_folders(path);
    FileDescriptor descriptor(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!descriptor.valid()) throw core::IOError(path, "open lock file", errno);
    if (::flock(descriptor.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return nullptr;
      throw core::IOError(path, "flock", errno);
    }
    return std::make_unique<FileLock>(std::move(descriptor));
  }
};

}  // namespace

std::string absolute_local_path(const std::string& path) {
  if (path.starts_with('/')) return normalize_path(path);
  std::error_code error;
  const auto absolute = std::filesystem::absolute(std::filesystem::path(path), error);
  if (error) throw core::IOError(path, "make absolute", error.value());
  return normalize_path(absolute.string());
}

ScratchFolder::ScratchFolder(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = join_path(base != nullptr && *base != '\0' ? base : "/tmp", fmt::format("{}-XXXXXX", prefix));
  if (::mkdtemp(pattern.data()) == nullptr) throw core::IOError(pattern, "create temporary folder", errno);
  path_ = std::move(pattern);
}

ScratchFolder::~ScratchFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Storage& local_storage() {
  static LocalStorage storage;
  return storage;
}

// Running a program (include/driftgov/io/process.hpp): here, beside the other calls to the operating system.
ProcessOutput run_program(const std::vector<std::string>& argv) {
  if (argv.empty()) throw core::InternalError("run_program: no program");
  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0) throw core::IOError(argv.front(), "make a pipe for", errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> arguments;
  for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  pid_t child = 0;
  const int spawned = ::posix_spawnp(&child, argv.front().c_str(), &actions, nullptr, arguments.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_ends[1]);
  ProcessOutput result;
  if (spawned != 0) {
    ::close(pipe_ends[0]);
    result.exit_code = 127;
    return result;
  }
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(pipe_ends[0], buffer, sizeof buffer);
    if (got > 0) {
      result.output.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_ends[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) throw core::IOError(argv.front(), "wait for", errno);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

}  // namespace driftgov::io
