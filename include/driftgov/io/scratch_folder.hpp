#pragma once
// Local scratch folders for files exchanged with other programs (docs/evaluation.md, "Scoring").
// Implemented in src/io/local_storage.cpp, the one place besides the in-memory storage that touches the file system.
#include <string>
#include <string_view>

namespace driftgov::io {

// A private local folder for files handed to another program (an external scoring command reads and writes
// files): created by mkdtemp(3) under TMPDIR (else /tmp) with mode 0700, and removed with everything in it when the
// object is destroyed. Throws core::IOError when it cannot be created.
class ScratchFolder {
 public:
  explicit ScratchFolder(std::string_view prefix);
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace driftgov::io
