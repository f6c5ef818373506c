// Fuzzes the CSV reader: arbitrary bytes must give batches or a core::InputError, never a crash or a hang.
// The reader takes paths, so each input goes through a file in memory-backed storage.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/io/csv_reader.hpp"

namespace {

std::string input_path() {
  static const std::string path = [] {
    const int fd = ::memfd_create("driftgov-csv-fuzz", 0);
    return "/proc/self/fd/" + std::to_string(fd);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = input_path();
  const int fd = std::stoi(path.substr(path.rfind('/') + 1));
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  driftgov::io::SourceOptions options;
  options.batch_rows = 7;  // many batch boundaries
  options.csv.infer_rows = 5;
  if (size > 0 && (data[0] & 1)) options.csv.delimiter = ';';
  try {
    auto source = driftgov::io::open_csv(path, options);
    while (auto batch = source->next()) {
      for (const auto& column : batch->columns) {
        if (column.length != batch->num_rows) __builtin_trap();  // a batch must be rectangular
      }
    }
  } catch (const driftgov::core::InputError&) {
  } catch (const driftgov::core::UnsupportedError&) {
  }
  return 0;
}
