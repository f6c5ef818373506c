#pragma once
// Running a program and reading what it prints (git, for deployments). No shell: the arguments are passed as they
// are, so a path with spaces or quotes needs no escaping.
#include <string>
#include <vector>

namespace driftgov::io {

struct ProcessOutput {
  int exit_code = -1;   // the program's exit status; 127 when it could not be started
  std::string output;   // its standard output (standard error is discarded)
};

// Runs `argv` (argv[0] looked up in PATH) and waits for it. Throws core::IOError when no process can be made.
ProcessOutput run_program(const std::vector<std::string>& argv);

}  // namespace driftgov::io
