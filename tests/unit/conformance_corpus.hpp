// Where the unit tests find the conformance corpora (tests/data/conformance/README.md): the folder compiled in,
// unless the environment variable DRIFTGOV_CONFORMANCE_DIR names another one at run time. A missing corpus file is
// a test failure that says where the file was looked for, never a skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace driftgov::testing {

inline std::filesystem::path conformance_dir() {
  const char* configured = std::getenv("DRIFTGOV_CONFORMANCE_DIR");
  return (configured != nullptr && *configured != '\0') ? std::filesystem::path(configured)
                                                        : std::filesystem::path(DRIFTGOV_CONFORMANCE_DIR);
}

// The path of a corpus file or folder; an empty result (with a test failure recorded) if it does not exist.
inline std::filesystem::path conformance_path(const std::string& relative) {
  const auto path = conformance_dir() / relative;
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "conformance corpus entry " << path << " is missing: the corpora belong in tests/data/conformance "
                  << "of the source tree, or in the folder DRIFTGOV_CONFORMANCE_DIR names";
    return {};
  }
  return path;
}

// The bytes of a corpus file; empty (with a test failure recorded) if it is missing or unreadable.
inline std::string read_conformance_file(const std::string& relative) {
  const auto path = conformance_path(relative);
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace driftgov::testing
