#include "driftgov/stats/distinct_count.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "stats/json_numbers.hpp"

namespace driftgov::stats {

std::uint64_t hash_bytes(std::string_view value) { return XXH3_64bits(value.data(), value.size()); }

void DistinctCountSketch::update_hash(std::uint64_t hash) {
  const std::size_t index = hash >> (64 - kPrecision);
  const std::uint64_t rest = hash << kPrecision;
  // Position of the first 1 bit in the remaining 52 bits (1-based); 53 when they are all zero.
  const auto rank = static_cast<std::uint8_t>(rest == 0 ? 64 - kPrecision + 1 : std::countl_zero(rest) + 1);
  registers_[index] = std::max(registers_[index], rank);
}

void DistinctCountSketch::update(std::string_view value) { update_hash(hash_bytes(value)); }

void DistinctCountSketch::merge(const DistinctCountSketch& other) {
  for (std::size_t i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

double DistinctCountSketch::estimate() const {
  const double m = static_cast<double>(kRegisters);
  double sum = 0.0;
  std::size_t zeros = 0;
  for (auto r : registers_) {
    sum += std::ldexp(1.0, -static_cast<int>(r));
    if (r == 0) ++zeros;
  }
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  const double raw = alpha * m * m / sum;
  if (raw <= 2.5 * m && zeros > 0) return m * std::log(m / static_cast<double>(zeros));
  return raw;
}

double DistinctCountSketch::relative_standard_error() {
  return 1.04 / std::sqrt(static_cast<double>(kRegisters));
}

nlohmann::json DistinctCountSketch::to_json() const {
  // Registers as a hex string: 2 characters each.
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(kRegisters * 2);
  for (auto r : registers_) {
    hex.push_back(kDigits[r >> 4]);
    hex.push_back(kDigits[r & 15]);
  }
  return nlohmann::json{{"precision", kPrecision}, {"registers", hex}};
}

DistinctCountSketch DistinctCountSketch::from_json(const nlohmann::json& json, const std::string& context) {
  DistinctCountSketch sketch;
  try {
    if (integer_from_json<int>(json.at("precision"), context, "distinct.precision") != kPrecision) {
      throw core::InputError(fmt::format("{}: distinct-count sketch precision {} is not supported (expected {})",
                                         context, json.at("precision").get<int>(), kPrecision));
    }
    const auto& hex = json.at("registers").get_ref<const std::string&>();
    if (hex.size() != kRegisters * 2) {
      throw core::InputError(fmt::format("{}: distinct-count sketch has {} hex digits, expected {}", context,
                                         hex.size(), kRegisters * 2));
    }
    auto digit = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      throw core::InputError(fmt::format("{}: distinct-count sketch has a non-hex digit '{}'", context, c));
    };
    for (std::size_t i = 0; i < kRegisters; ++i) {
      sketch.registers_[i] = static_cast<std::uint8_t>(digit(hex[2 * i]) * 16 + digit(hex[2 * i + 1]));
    }
  } catch (const nlohmann::json::exception& error) {
    throw core::InputError(fmt::format("{}: malformed distinct-count sketch: {}", context, error.what()));
  }
  return sketch;
}

}  // namespace driftgov::stats
