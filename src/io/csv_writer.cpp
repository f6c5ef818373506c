#include "driftgov/io/csv_writer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"

namespace driftgov::io {
namespace {

using core::Column;
using core::TypeId;


constexpr std::string_view kSingleColumnNull = "NULL";

std::string floating_text(double value, bool single_precision) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // Shortest text that reads back as the same value, in the column's own precision; integral values keep a
  // ".0" so that the column is read back as floating point.
  auto text = single_precision ? fmt::format("{}", static_cast<float>(value)) : fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string date_text(std::int64_t days) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()));
}

std::string timestamp_text(std::int64_t value, const core::DataType& type) {
  const int digits = type.unit == core::TimeUnit::kMilli ? 3 : type.unit == core::TimeUnit::kMicro ? 6 : 9;
  const std::int64_t per_second = type.unit == core::TimeUnit::kMilli   ? 1000
                                  : type.unit == core::TimeUnit::kMicro ? 1000000
                                                                        : 1000000000;
  const std::int64_t per_day = per_second * 86400;
  // Floor division, so instants before 1970 land on the right day and second.
  std::int64_t days = value / per_day;
  std::int64_t within_day = value % per_day;
  if (within_day < 0) {
    within_day += per_day;
    --days;
  }
  const auto seconds = within_day / per_second;
  const auto fraction = within_day % per_second;
  std::string text =
      fmt::format("{}T{:02}:{:02}:{:02}", date_text(days), seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (fraction != 0) text += fmt::format(".{:0{}}", fraction, digits);
  if (type.utc) text += 'Z';
  return text;
}

std::string hex_text(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const auto byte : bytes) {
    text.push_back(kDigits[static_cast<std::uint8_t>(byte) >> 4]);
    text.push_back(kDigits[static_cast<std::uint8_t>(byte) & 0xF]);
  }
  return text;
}

nlohmann::json json_value(const Column& column, std::int64_t row) {
  if (!column.is_valid(row) || column.type.id == TypeId::kNull) return nullptr;
  const auto index = static_cast<std::size_t>(row);
  switch (column.type.id) {
    case TypeId::kBoolean:
      return column.ints[index] != 0;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return column.ints[index];
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      const double value = column.doubles[index];
      if (!std::isfinite(value)) return floating_text(value, false);  // JSON has no NaN or infinity
      return column.type.id == TypeId::kFloat32 ? static_cast<double>(static_cast<float>(value)) : value;
    }
    case TypeId::kStruct: {
      auto object = nlohmann::json::object();
      for (std::size_t i = 0; i < column.children.size(); ++i) {
        object[column.type.children[i].name] = json_value(column.children[i], row);
      }
      return object;
    }
    case TypeId::kList: {
      auto array = nlohmann::json::array();
      for (auto entry = column.offsets[index]; entry < column.offsets[index + 1]; ++entry) {
        array.push_back(json_value(column.children[0], entry));
      }
      return array;
    }
    case TypeId::kMap: {
      // JSON keys are strings, so keys of other types appear as their text.
      auto object = nlohmann::json::object();
      const auto& entries = column.children[0];
      for (auto entry = column.offsets[index]; entry < column.offsets[index + 1]; ++entry) {
        object[value_text(entries.children[0], entry)] = json_value(entries.children[1], entry);
      }
      return object;
    }
    default:
      return value_text(column, row);
  }
}

bool needs_quotes(std::string_view text, char delimiter) {
  if (text.empty()) return true;
  if (text.front() == ' ' || text.back() == ' ') return true;
  return text.find_first_of(std::string{delimiter, '"', '\n', '\r'}) != std::string_view::npos;
}

}  // namespace

std::string value_text(const Column& column, std::int64_t row) {
  const auto index = static_cast<std::size_t>(row);
  switch (column.type.id) {
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
      return floating_text(column.doubles[index], column.type.id == TypeId::kFloat32);
    case TypeId::kDecimal:
      return core::decimal_to_string(column.decimals[index], column.type.scale);
    case TypeId::kDate:
      return date_text(column.ints[index]);
    case TypeId::kTimestamp:
      return timestamp_text(column.ints[index], column.type);
    case TypeId::kString:
      return std::string(column.string_at(row));
    case TypeId::kBinary:
      return hex_text(column.string_at(row));
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      // Invalid UTF-8 inside nested strings is replaced rather than refused: the output is for reading.
      return json_value(column, row).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return "";
}

CsvWriter::CsvWriter(std::ostream& out, core::Schema schema, CsvWriteOptions options)
    : out_(out), schema_(std::move(schema)), options_(options) {}

void CsvWriter::write_field(std::string_view text) {
  if (!needs_quotes(text, options_.delimiter)) {
    line_.append(text);
    return;
  }
  line_.push_back('"');
  for (const char character : text) {
    if (character == '"') line_.push_back('"');
    line_.push_back(character);
  }
  line_.push_back('"');
}

void CsvWriter::write_header() {
  header_written_ = true;
  if (!options_.header) return;
  line_.clear();
  for (std::size_t i = 0; i < schema_.fields.size(); ++i) {
    if (i > 0) line_.push_back(options_.delimiter);
    write_field(schema_.fields[i].name);
  }
  line_.push_back('\n');
  out_ << line_;
}

void CsvWriter::write(const core::RecordBatch& batch) {
  if (batch.schema != schema_) {
    throw core::InputError(fmt::format("CSV output: batch schema\n{}does not match the output's schema\n{}",
                                       batch.schema.to_string(), schema_.to_string()));
  }
  if (!header_written_) write_header();
  for (std::int64_t row = 0; row < batch.num_rows; ++row) {
    line_.clear();
    for (std::size_t column_index = 0; column_index < batch.columns.size(); ++column_index) {
      if (column_index > 0) line_.push_back(options_.delimiter);
      const auto& column = batch.columns[column_index];
      // A null is an empty unquoted field; an empty string is quoted, so the two stay apart.
      if (column.is_valid(row) && column.type.id != TypeId::kNull) {
        write_field(value_text(column, row));
      } else if (batch.columns.size() == 1) {
        // An empty line would be skipped as blank when read back, losing the row.
        line_.append(kSingleColumnNull);
      }
    }
    line_.push_back('\n');
    out_ << line_;
  }
}

void CsvWriter::finish() {
  if (!header_written_) write_header();
  out_.flush();
}

}  // namespace driftgov::io
