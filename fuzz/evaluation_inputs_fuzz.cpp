// Fuzzes the readers of evaluation inputs (gov/model_harness.hpp, gov/evaluation.hpp): the trainer settings
// (YAML), gate rules, a pinned harness and an evaluation record to verify. Arbitrary text must give a value or a
// core::InputError (a record: a failed check), never a crash or another exception. A harness that parses must
// survive its own JSON round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/evaluation.hpp"
#include "driftgov/gov/model_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace gov = driftgov::gov;
  const std::string input(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = gov::TrainConfig::parse(input, "fuzz.yaml");
    (void)config.effective_params();
  } catch (const driftgov::core::InputError&) {
  }
  try {
    (void)gov::GateRule::parse(input, "--gate");
  } catch (const driftgov::core::InputError&) {
  }
  const auto json = nlohmann::json::parse(input, nullptr, false);
  if (!json.is_discarded()) {
    try {
      const auto harness = gov::Harness::from_json(json, "fuzz.json");
      gov::require_same_harness(harness, gov::Harness::from_json(harness.to_json(), "again"), "fuzz.json");
    } catch (const driftgov::core::InputError&) {
    }
    (void)gov::verify_evaluation(json, gov::Principals{});
  }
  return 0;
}
