#include "driftgov/core/value_text.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"

namespace driftgov::core {
namespace {

std::int64_t floor_divide(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return value % divisor < 0 ? quotient - 1 : quotient;
}

struct UnitScale {
  std::int64_t per_second;
  int digits;
};

UnitScale scale_of(core::TimeUnit unit) {
  switch (unit) {
    case core::TimeUnit::kMilli: return {1'000, 3};
    case core::TimeUnit::kMicro: return {1'000'000, 6};
    case core::TimeUnit::kNano: return {1'000'000'000, 9};
  }
  DRIFTGOV_CHECK(false, "unhandled time unit {}", static_cast<int>(unit));
}

}  // namespace

std::string date_text(std::int64_t days) {
  // std::chrono's calendar covers years -32767..32767, while a Parquet date reaches 5.8 million years and a
  // timestamp further. The Gregorian calendar repeats every 400 years (146097 days), so the date is found
  // within the first cycle after 1970 and the cycles are added back to its year.
  constexpr std::int64_t kDaysPerCycle = 146'097;
  const std::int64_t cycles = floor_divide(days, kDaysPerCycle);
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days - cycles * kDaysPerCycle}}};
  const std::int64_t year = static_cast<int>(date.year()) + cycles * 400;
  const auto month = static_cast<unsigned>(date.month());
  const auto day = static_cast<unsigned>(date.day());
  if (year >= 0 && year <= 9999) return fmt::format("{:04}-{:02}-{:02}", year, month, day);
  return fmt::format("{:+05}-{:02}-{:02}", year, month, day);
}

std::string timestamp_text(std::int64_t value, core::TimeUnit unit, bool utc, TimestampLayout layout) {
  const auto [per_second, digits] = scale_of(unit);
  const std::int64_t seconds = floor_divide(value, per_second);
  // The remainder of the floor division, without multiplying back (seconds * per_second overflows at the
  // smallest nanosecond timestamp).
  std::int64_t fraction = value % per_second;
  if (fraction < 0) fraction += per_second;
  const std::int64_t days = floor_divide(seconds, 86400);
  const std::int64_t second_of_day = seconds - days * 86400;
  std::string text = fmt::format("{}{}{:02}:{:02}:{:02}", date_text(days), layout.separator, second_of_day / 3600,
                                 second_of_day / 60 % 60, second_of_day % 60);
  if (fraction != 0 || layout.always_fraction) {
    std::string fraction_text = fmt::format("{:0{}}", fraction, digits);
    if (layout.shortest_fraction) {
      while (fraction_text.size() > 3 && fraction_text.ends_with("000")) fraction_text.resize(fraction_text.size() - 3);
    }
    text += "." + fraction_text;
  }
  if (utc && layout.zone_suffix) text += 'Z';
  return text;
}

std::string floating_text(double value, bool single_precision) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  auto text = single_precision ? fmt::format("{}", static_cast<float>(value)) : fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string binary_text(std::string_view bytes) {
  // EVP_EncodeBlock takes an int length; larger values are encoded in whole groups of three bytes.
  constexpr std::size_t kChunk = 3 * (std::size_t{1} << 28);
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  while (true) {
    const auto chunk = bytes.substr(0, kChunk);
    std::string encoded((chunk.size() + 2) / 3 * 4 + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                        reinterpret_cast<const unsigned char*>(chunk.data()),
                                        static_cast<int>(chunk.size()));
    text.append(encoded.data(), static_cast<std::size_t>(written));
    bytes.remove_prefix(chunk.size());
    if (bytes.empty()) return text;
  }
}

std::string value_text(const core::Column& column, std::int64_t row) {
  const auto index = static_cast<std::size_t>(row);
  const auto& type = column.type;
  switch (type.id) {
    case TypeId::kNull:
      return "";
    case TypeId::kBoolean:
      return column.ints[index] != 0 ? "true" : "false";
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return fmt::format("{}", column.ints[index]);
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return floating_text(column.doubles[index], type.id == TypeId::kFloat32);
    case TypeId::kDecimal:
      return core::decimal_to_string(column.decimals[index], type.scale);
    case TypeId::kDate:
      return date_text(column.ints[index]);
    case TypeId::kTimestamp:
      return timestamp_text(column.ints[index], type.unit, type.utc);
    case TypeId::kString:
      return std::string(column.string_at(row));
    case TypeId::kBinary:
      return binary_text(column.string_at(row));
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap: {
      std::string text;
      append_json(text, column, row);
      return text;
    }
  }
  DRIFTGOV_CHECK(false, "unhandled type {}", type.to_string());
}

void append_json_string(std::string& out, std::string_view text) {
  out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_json(std::string& out, const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row) || column.type.id == TypeId::kNull) {
    out += "null";
    return;
  }
  const auto index = static_cast<std::size_t>(row);
  const auto& type = column.type;
  switch (type.id) {
    case TypeId::kBoolean:
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      out += value_text(column, row);  // JSON numbers have no precision limit: every digit is kept
      return;
    case TypeId::kDecimal:
      // An integral decimal (uint64 reads as decimal(20, 0)) is an integer like any other. One with a fraction
      // is a string: most JSON parsers read a fraction into a binary float, losing digits and the scale.
      if (type.scale == 0) {
        out += value_text(column, row);
      } else {
        append_json_string(out, value_text(column, row));
      }
      return;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      // JSON has no NaN or infinity: those three are strings, every other value a number.
      if (std::isfinite(column.doubles[index])) {
        out += value_text(column, row);
      } else {
        append_json_string(out, value_text(column, row));
      }
      return;
    case TypeId::kStruct:
      out += '{';
      for (std::size_t i = 0; i < column.children.size(); ++i) {
        if (i != 0) out += ',';
        append_json_string(out, type.children[i].name);
        out += ':';
        append_json(out, column.children[i], row);
      }
      out += '}';
      return;
    case TypeId::kList:
      out += '[';
      for (auto entry = column.offsets[index]; entry < column.offsets[index + 1]; ++entry) {
        if (entry != column.offsets[index]) out += ',';
        append_json(out, column.children[0], entry);
      }
      out += ']';
      return;
    case TypeId::kMap: {
      // JSON keys are strings, so a key of another type appears as its text.
      out += '{';
      const auto& entries = column.children[0];
      for (auto entry = column.offsets[index]; entry < column.offsets[index + 1]; ++entry) {
        if (entry != column.offsets[index]) out += ',';
        append_json_string(out, value_text(entries.children[0], entry));
        out += ':';
        append_json(out, entries.children[1], entry);
      }
      out += '}';
      return;
    }
    default:
      append_json_string(out, value_text(column, row));
      return;
  }
}

}  // namespace driftgov::core
