// Fuzzes the driftgov.yaml loader: arbitrary text must load or give a ConfigError (a core::InputError) naming file,
// line and column, never a crash, a hang or a huge allocation. yaml-cpp bounds its own recursion (DeepRecursion,
// a ParserException the loader reports as a syntax issue); the loader walks only the fixed depth of its schema.
#include <cstddef>
#include <cstdint>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/monitor/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  driftgov::monitor::LoadOptions options;
  try {
    const auto config = driftgov::monitor::load_config_text(text, "fuzz/driftgov.yaml", options);
    for (const auto& monitor : config.monitors) (void)config.monitor(monitor.name);
  } catch (const driftgov::monitor::ConfigError& error) {
    for (const auto& issue : error.issues()) (void)issue.text();
  } catch (const driftgov::core::InputError&) {
  }
  return 0;
}
