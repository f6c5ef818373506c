#pragma once
// A Storage wrapper for tests that makes the Nth write, fsync or rename (publish) fail, makes a write short, or
// simulates a crash just before or just after a publish. Only tests use it.
//
// Counting: every OutputStream::write is a write; OutputStream::publish is an fsync then a rename (a publish
// calls sync first); Storage::put_if_absent is one write, one fsync and one rename. A crash throws
// SimulatedCrash and leaves what a killed process would leave: the stream is dropped with forget(), so its
// temporary file stays. Listings (list and list_after, never faulted) are counted too: on an object store each is
// a request, so tests bound how many a reader makes.

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::testing {

// Thrown in place of the process dying; nothing in the library catches it specifically.
class SimulatedCrash : public std::runtime_error {
 public:
  SimulatedCrash() : std::runtime_error("simulated crash") {}
};

enum class Fault {
  kNone,
  kFailWrite,           // the Nth write fails with `error_number` and writes nothing
  kShortWrite,          // the Nth write stores half of its bytes, then fails with `error_number`
  kFailSync,            // the Nth fsync fails
  kFailRename,          // the Nth rename (publish) fails; nothing is published
  kCrashBeforePublish,  // the process dies at the Nth rename, before it happens
  kCrashAfterPublish,   // the process dies right after the Nth rename
};

struct FaultPlan {
  Fault fault = Fault::kNone;
  int nth = 1;
  int error_number = ENOSPC;
};

class FaultInjectingStorage final : public io::Storage {
 public:
  FaultInjectingStorage(io::Storage& inner, FaultPlan plan) : inner_(inner), plan_(plan) {}

  // Operations seen so far; a test runs a writer once without faults to learn how many there are.
  int writes() const { return writes_; }
  int syncs() const { return syncs_; }
  int renames() const { return renames_; }
  int lists() const { return lists_; }
  bool fired() const { return fired_; }

  std::unique_ptr<io::RandomAccessFile> open_read(const std::string& path) override { return inner_.open_read(path); }
  std::vector<io::FileInfo> list(const std::string& prefix) override {
    ++lists_;
    return inner_.list(prefix);
  }
  std::vector<io::FileInfo> list_after(const std::string& prefix, const std::string& start_after) override {
    ++lists_;
    return inner_.list_after(prefix, start_after);
  }
  std::optional<io::FileInfo> stat(const std::string& path) override { return inner_.stat(path); }
  bool same_file(const std::string& a, const std::string& b) override { return inner_.same_file(a, b); }
  void remove(const std::string& path) override { inner_.remove(path); }
  bool is_folder(const std::string& path) override { return inner_.is_folder(path); }
  std::unique_ptr<Lock> try_lock(const std::string& path) override { return inner_.try_lock(path); }

  std::unique_ptr<io::OutputStream> create(const std::string& path) override {
    return std::make_unique<Stream>(*this, inner_.create(path));
  }

  bool put_if_absent(const std::string& path, std::string_view contents) override {
    if (hit(Fault::kFailWrite, ++writes_) || hit(Fault::kShortWrite, writes_)) fail(path, "write");
    if (hit(Fault::kFailSync, ++syncs_)) fail(path, "fsync");
    ++renames_;
    if (hit(Fault::kFailRename, renames_)) fail(path, "rename into place");
    if (hit(Fault::kCrashBeforePublish, renames_)) throw SimulatedCrash();
    const bool created = inner_.put_if_absent(path, contents);
    if (hit(Fault::kCrashAfterPublish, renames_)) throw SimulatedCrash();
    return created;
  }

 private:
  class Stream final : public io::OutputStream {
   public:
    Stream(FaultInjectingStorage& owner, std::unique_ptr<io::OutputStream> inner)
        : owner_(owner), inner_(std::move(inner)) {}
    ~Stream() override {
      if (crashed_) inner_->forget();
    }
    const std::string& path() const override { return inner_->path(); }
    std::int64_t position() const override { return inner_->position(); }
    void write(std::string_view bytes) override {
      const int count = ++owner_.writes_;
      if (owner_.hit(Fault::kShortWrite, count)) {
        inner_->write(bytes.substr(0, bytes.size() / 2));
        owner_.fail(path(), "write");
      }
      if (owner_.hit(Fault::kFailWrite, count)) owner_.fail(path(), "write");
      inner_->write(bytes);
    }
    void sync() override {
      if (owner_.hit(Fault::kFailSync, ++owner_.syncs_)) owner_.fail(path(), "fsync");
      inner_->sync();
    }
    void publish() override {
      sync();
      const int count = ++owner_.renames_;
      if (owner_.hit(Fault::kFailRename, count)) owner_.fail(path(), "rename into place");
      if (owner_.hit(Fault::kCrashBeforePublish, count)) {
        crashed_ = true;
        throw SimulatedCrash();
      }
      inner_->publish();
      if (owner_.hit(Fault::kCrashAfterPublish, count)) throw SimulatedCrash();
    }
    void forget() override { inner_->forget(); }

   private:
    FaultInjectingStorage& owner_;
    std::unique_ptr<io::OutputStream> inner_;
    bool crashed_ = false;
  };

  bool hit(Fault fault, int count) {
    if (plan_.fault != fault || count != plan_.nth) return false;
    fired_ = true;
    return true;
  }
  [[noreturn]] void fail(const std::string& path, const char* operation) {
    throw core::IOError(path, operation, plan_.error_number);
  }

  io::Storage& inner_;
  FaultPlan plan_;
  int writes_ = 0;
  int syncs_ = 0;
  int renames_ = 0;
  int lists_ = 0;
  bool fired_ = false;
};

}  // namespace driftgov::testing
