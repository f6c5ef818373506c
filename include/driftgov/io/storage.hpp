#pragma once
// One storage interface for every file driftgov reads or writes (in the manner of DuckDB's FileSystem and
// Arrow's io::RandomAccessFile / OutputStream). Layers above never call the operating system's file functions;
// a new backend (S3, ADLS, GCS) is one more implementation of `Storage`.
//
// Paths are strings: local paths for the local storage, keys for the in-memory one (and later
// "s3://bucket/key" and the like). A "folder" is the part of a path before its last '/'.
//
// Errors: a failure of the storage itself (ENOSPC, EACCES, EIO, a refused request) throws core::IOError naming
// the path, the operation and the reason; a file that does not exist where the user pointed throws
// core::InputError. Using a stream after publish() is a bug in the caller (core::InternalError).
//
// Temporary files: writes go to a hidden temporary file in the destination's folder, named
// ".<final name>.<unique>.tmp". Readers of folders (Parquet folders, the Delta log) skip names starting with '.'
// or '_', so a temporary file left by a crash is never read as data.
//
// Thread safety: a Storage may be used from several threads at once; a stream or an open file from one thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace driftgov::io {

struct FileInfo {
  std::string path;
  std::int64_t size = 0;
  std::int64_t modified_ms = 0;  // milliseconds since the Unix epoch
};

// A file opened for reading at any offset.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual const std::string& path() const = 0;
  // The size when the file was opened.
  virtual std::int64_t size() const = 0;
  // Reads exactly `length` bytes at `offset` into `out`. A range past the end (the file shrank) throws
  // core::InputError; a failed read core::IOError.
  // Local: pread, retried on EINTR and short reads. S3/GCS/ADLS: a ranged GET (Range: bytes=offset-end).
  virtual void read_at(std::int64_t offset, std::int64_t length, char* out) const = 0;
  // The whole file as one view that lives as long as this object, when the backend can provide it cheaply
  // (local: a read-only memory map; in-memory: the stored bytes); nullopt otherwise (object stores).
  virtual std::optional<std::string_view> mapped() const { return std::nullopt; }
};

// A file being written, sequentially. Nothing is visible under the final name until publish(); destroying an
// unpublished stream abandons it and removes its temporary file, so a failure leaves the previous state.
class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual const std::string& path() const = 0;
  // Appends all of `bytes` or throws core::IOError (a short write by the OS is retried; ENOSPC throws).
  // Local: write(2) to the temporary file. Object stores: buffered, sent as multipart-upload parts.
  virtual void write(std::string_view bytes) = 0;
  virtual std::int64_t position() const = 0;
  // Makes the bytes written so far durable without publishing them. Local: fsync of the temporary file.
  // Object stores: no-op (parts are durable once acknowledged).
  virtual void sync() = 0;
  // Atomically replaces the final path with the complete file: sync, rename over the final name, fsync of the
  // folder, so after a crash readers see either the previous file (or none) or the whole new one.
  // S3/GCS/ADLS: complete the multipart upload (or a single PUT); the object appears whole, last writer wins.
  virtual void publish() = 0;
  // Drops the stream as a crash would: the temporary file (local) or the unfinished upload (object stores)
  // stays behind. For fault-injection tests only.
  virtual void forget() = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Opens an existing file for random-access reads. core::InputError if it does not exist ("<path>: cannot
  // open: No such file or directory") or is a folder.
  // Object stores: a HEAD request for the size; reads are ranged GETs.
  virtual std::unique_ptr<RandomAccessFile> open_read(const std::string& path) = 0;

  // Starts writing `path`, which publish() will create or replace atomically. Local: creates missing folders
  // and the hidden temporary file (O_EXCL). Object stores: starts a multipart upload (folders do not exist).
  virtual std::unique_ptr<OutputStream> create(const std::string& path) = 0;

  // Creates `path` with `contents` only if no file has that name, atomically: returns false (and changes
  // nothing) when it exists. This is the Delta commit primitive (PROTOCOL.md, LogStore "mutual exclusion").
  // Local: temporary file, fsync, link(2) to the final name (EEXIST means taken), fsync of the folder.
  // S3: PUT with If-None-Match: * (412 Precondition Failed means taken). GCS: ifGenerationMatch=0.
  // ADLS: create with If-None-Match: * (409/412 means taken).
  virtual bool put_if_absent(const std::string& path, std::string_view contents) = 0;

  // Files whose path starts with `prefix`, in the folder of `prefix` only (not recursive), sorted by path,
  // with sizes and modification times. Hidden temporary files are included: callers filter names. A missing
  // folder lists as empty. S3: ListObjectsV2 with prefix and delimiter '/'; GCS: objects.list with prefix and
  // delimiter; ADLS: List Paths of the folder, filtered by prefix.
  virtual std::vector<FileInfo> list(const std::string& prefix) = 0;

  // The files list(prefix) returns whose path sorts after `start_after` (byte order; a file named exactly
  // `start_after` is left out, and it need not exist): a Delta log from one version on (Delta's LogStore
  // listFrom), so that a long log costs no more than its tail. `start_after` names a path in the folder of
  // `prefix`. Local: a POSIX folder cannot be read from a name on, so every name is read, but only the ones
  // after `start_after` are stat'ed (the stats are the cost of a listing). S3: ListObjectsV2 with prefix,
  // delimiter '/' and StartAfter. GCS: objects.list with prefix, delimiter and startOffset, which is inclusive
  // (an object named exactly `start_after` is dropped from the answer). ADLS: List Paths of the folder has no
  // start position (its continuation token is opaque), so the folder is listed and the names up to
  // `start_after` dropped, as Delta's Azure LogStore does.
  virtual std::vector<FileInfo> list_after(const std::string& prefix, const std::string& start_after) = 0;

  // The file's size and modification time, or nullopt if it does not exist. S3/GCS/ADLS: HEAD.
  virtual std::optional<FileInfo> stat(const std::string& path) = 0;

  // Whether `a` and `b` both exist and are one file under two names (a writer refuses to replace its own input).
  // Local: the same device and inode, so a symbolic link, a hard link and "./x" for "x" count as the same file.
  // In-memory, S3, GCS, ADLS (no links): the same path, existing.
  virtual bool same_file(const std::string& a, const std::string& b) = 0;

  // Removes the file; a missing file is not an error. S3/GCS/ADLS: DELETE (idempotent there too).
  virtual void remove(const std::string& path) = 0;

  // Whether `path` is a folder. Local: an existing directory (empty or not). In-memory, S3, GCS and ADLS
  // (flat namespaces): some file's path starts with "<path>/" (a list with max-keys 1).
  virtual bool is_folder(const std::string& path) = 0;

  // Owner-only files, for secret keys (docs/governance.md, "Keys"). Like create(), but the temporary file is
  // created readable and writable by its owner only (mode 0600) from the start, so the secret is never readable
  // by others, not even for a moment; publish() links it into place only if the name is free (a secret is never
  // replaced: core::InputError when the file exists). Local only: keys are local files, and the default
  // (in-memory, object stores) throws core::UnsupportedError.
  virtual std::unique_ptr<OutputStream> create_owner_only(const std::string& path);
  // The permission bits (mode & 07777) of an existing file; nullopt where the storage has none (in-memory, object
  // stores). core::InputError when the file does not exist. Local: stat(2).
  virtual std::optional<std::uint32_t> permission_bits(const std::string& path);

  // An exclusive advisory lock named by `path` (a monitor refresh holds one so that two refreshes of one monitor
  // never run at once), released when the returned handle is destroyed or the process ends, however it ends.
  // nullptr when another holder has it (no waiting). Creates the lock file and its folders when absent; the file
  // stays behind, empty. Local: flock(2) on the file (released by the kernel when the process dies). In-memory:
  // a set of held names. S3, GCS, ADLS: a lease object written with put-if-absent that carries an expiry the
  // holder renews, taken over once expired (the process's death cannot release it).
  class Lock {
   public:
    virtual ~Lock() = default;
  };
  virtual std::unique_ptr<Lock> try_lock(const std::string& path) = 0;
};

// The machine's file system (POSIX). One instance for the process.
Storage& local_storage();

// Files held in memory, for tests: the same contracts as the local storage, temporary files included.
std::unique_ptr<Storage> make_memory_storage();

// The whole file as a string.
std::string read_file(Storage& storage, const std::string& path);

// Writes `contents` to `path` and publishes it (the previous file stays until the new one is complete).
void write_file_atomically(Storage& storage, const std::string& path, std::string_view contents);

// The extension of the path's last component, lowercased, with its dot (".csv"); empty when it has none.
std::string lowercase_extension(std::string_view path);

// The hidden temporary name beside `path` for a file being written: ".<name>.<unique>.tmp".
std::string temporary_path_for(const std::string& path);

// `path` with "." parts and doubled or trailing slashes dropped and "dir/.." folded, as the standard library's
// lexically_normal does, on text alone ("a/./b/../c/" -> "a/c", "/../x" -> "/x", "" -> ".").
std::string normalize_path(std::string_view path);
// `name` under `folder`, joined as the standard library's path operator/ joins POSIX paths, on text alone: one
// '/' between them ("t" + "_delta_log" -> "t/_delta_log", "t/" + "x" -> "t/x"), an empty folder gives `name`, an
// absolute `name` replaces the folder, and an empty `name` leaves a trailing '/' ("t" + "" -> "t/", a prefix that
// lists the folder's files).
std::string join_path(std::string_view folder, std::string_view name);
// The path's last component: the text after its last '/' ("t/_delta_log/0.json" -> "0.json").
std::string_view file_name(std::string_view path);
// The folder holding `path`, on text alone: the text before its last '/' ("t/_delta_log/0.json" -> "t/_delta_log"),
// "/" for a file in the root, "." for a bare name.
std::string parent_folder(std::string_view path);
// A local path made absolute against the process's working directory (normalized); absolute paths are only
// normalized. Object-store keys are absolute already.
std::string absolute_local_path(const std::string& path);

// A std::streambuf over an OutputStream, for writers that produce a std::ostream (the CSV writer). Buffers
// 64 KiB. Set badbit in the ostream's exceptions() so that a core::IOError from the stream reaches the caller.
class OutputStreamBuffer : public std::streambuf {
 public:
  explicit OutputStreamBuffer(OutputStream& stream);
  // Writes what is buffered to the stream.
  void flush_to_stream();

 protected:
  int_type overflow(int_type character) override;
  std::streamsize xsputn(const char* data, std::streamsize count) override;
  int sync() override;

 private:
  OutputStream& stream_;
  std::string buffer_;
};

}  // namespace driftgov::io
