// Fuzzes loading stored profiles: arbitrary bytes must give a profile or a core::InputError naming the field, never
// a crash, a hang or a huge allocation. A profile that loads must also survive what commands do with it: writing
// it back, merging it with itself and comparing it with itself.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "driftgov/stats/drift.hpp"

namespace {

// load_profile takes a path, so each input goes through a file in memory-backed storage.
int input_descriptor() {
  static const int descriptor = ::memfd_create("driftgov-profile-fuzz", 0);
  return descriptor;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int descriptor = input_descriptor();
  if (::ftruncate(descriptor, 0) != 0 || ::pwrite(descriptor, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  const auto path = "/proc/self/fd/" + std::to_string(descriptor);
  try {
    const auto profile = driftgov::monitor::load_profile(path);
    const auto text = profile.to_json().dump();
    // What was written must load again.
    (void)driftgov::stats::DatasetProfile::from_json(nlohmann::json::parse(text), "written");
    (void)driftgov::stats::compare_profiles(profile, profile, driftgov::stats::DriftOptions{});
    auto merged = profile;
    merged.merge(profile);
  } catch (const driftgov::core::InputError&) {
  }
  return 0;
}
