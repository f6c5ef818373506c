// driftgov cat SOURCE [--columns a,b] [--limit N] [--format jsonl|csv]: prints rows so anyone can inspect a source.
// Value text (documented in docs/parquet.md): dates and timestamps in ISO 8601 (UTC-adjusted timestamps end in Z),
// decimals as exact strings, NaN and infinities as "NaN", "Infinity", "-Infinity", binary as lowercase hex,
// lists as arrays, structs as objects, maps as objects keyed by the key's text.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/monitor/sources.hpp"

namespace driftgov::cli {
namespace {

using Json = nlohmann::ordered_json;

struct CatArguments {
  std::string source;
  std::vector<std::string> columns;
  std::int64_t limit = -1;
  std::string format = "jsonl";
};

// Days since 1970-01-01 to a proleptic Gregorian date (the civil-from-days algorithm of H. Hinnant).
std::string format_date(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;
  const std::int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const std::int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return year >= 0 && year <= 9999 ? fmt::format("{:04}-{:02}-{:02}", year, month, day)
                                   : fmt::format("{:+05}-{:02}-{:02}", year, month, day);
}

std::int64_t floor_divide(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

std::string format_timestamp(std::int64_t value, const core::DataType& type) {
  const std::int64_t per_second = type.unit == core::TimeUnit::kMilli ? 1'000
                                  : type.unit == core::TimeUnit::kMicro ? 1'000'000
                                                                        : 1'000'000'000;
  const int digits = type.unit == core::TimeUnit::kMilli ? 3 : type.unit == core::TimeUnit::kMicro ? 6 : 9;
  const std::int64_t seconds = floor_divide(value, per_second);
  const std::int64_t fraction = value - seconds * per_second;
  const std::int64_t days = floor_divide(seconds, 86400);
  const std::int64_t second_of_day = seconds - days * 86400;
  std::string text = fmt::format("{}T{:02}:{:02}:{:02}", format_date(days), second_of_day / 3600,
                                 second_of_day / 60 % 60, second_of_day % 60);
  if (fraction != 0) text += fmt::format(".{:0{}}", fraction, digits);
  if (type.utc) text += 'Z';
  return text;
}

std::string format_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const char byte : bytes) {
    text.push_back(kDigits[static_cast<unsigned char>(byte) >> 4]);
    text.push_back(kDigits[static_cast<unsigned char>(byte) & 0x0F]);
  }
  return text;
}

Json float_value(double value, bool is_float32) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // A float32 prints with the shortest text that reads back as the same float32.
  // Integral text such as "-0" or "3" gets a ".0" so that JSON keeps it a float (and -0.0 keeps its sign).
  if (is_float32) {
    auto text = fmt::format("{}", static_cast<float>(value));
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";
    return Json::parse(text);
  }
  return value;
}

Json value_at(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row)) return nullptr;
  const auto index = static_cast<std::size_t>(row);
  const auto& type = column.type;
  switch (type.id) {
    case core::TypeId::kNull:
      return nullptr;
    case core::TypeId::kBoolean:
      return column.ints[index] != 0;
    case core::TypeId::kInt8:
    case core::TypeId::kInt16:
    case core::TypeId::kInt32:
    case core::TypeId::kInt64:
      return column.ints[index];
    case core::TypeId::kFloat32:
    case core::TypeId::kFloat64:
      return float_value(column.doubles[index], type.id == core::TypeId::kFloat32);
    case core::TypeId::kDecimal:
      return core::decimal_to_string(column.decimals[index], type.scale);
    case core::TypeId::kDate:
      return format_date(column.ints[index]);
    case core::TypeId::kTimestamp:
      return format_timestamp(column.ints[index], type);
    case core::TypeId::kString:
      return std::string(column.string_at(row));
    case core::TypeId::kBinary:
      return format_hex(column.string_at(row));
    case core::TypeId::kStruct: {
      Json object = Json::object();
      for (std::size_t i = 0; i < column.children.size(); ++i) {
        object[type.children[i].name] = value_at(column.children[i], row);
      }
      return object;
    }
    case core::TypeId::kList: {
      Json array = Json::array();
      for (auto i = column.offsets[index]; i < column.offsets[index + 1]; ++i) {
        array.push_back(value_at(column.children[0], i));
      }
      return array;
    }
    case core::TypeId::kMap: {
      Json object = Json::object();
      const auto& entries = column.children[0];
      for (auto i = column.offsets[index]; i < column.offsets[index + 1]; ++i) {
        const Json key = value_at(entries.children[0], i);
        object[key.is_string() ? key.get<std::string>() : key.dump()] = value_at(entries.children[1], i);
      }
      return object;
    }
  }
  DRIFTGOV_CHECK(false, "unhandled type {}", type.to_string());
}

// Invalid UTF-8 in a string column prints as U+FFFD rather than failing the whole listing.
std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

// RFC 4180 quoting; an empty string is quoted so that it differs from a null (an empty field).
std::string csv_field(const Json& value) {
  if (value.is_null()) return "";
  std::string text = value.is_string() ? value.get<std::string>() : dump(value);
  if (text.find_first_of(",\"\r\n") == std::string::npos && !(value.is_string() && text.empty())) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

int run_cat(const CatArguments& args) {
  if (args.format != "jsonl" && args.format != "csv") {
    throw core::InputError(fmt::format("cat: --format must be jsonl or csv, not '{}'", args.format));
  }
  io::SourceOptions options;
  options.columns = args.columns;
  auto source = monitor::open_source(args.source, options);
  const auto& schema = source->schema();
  std::string out;
  if (args.format == "csv") {
    std::vector<std::string> names;
    for (const auto& field : schema.fields) names.push_back(csv_field(Json(field.name)));
    out += fmt::format("{}\n", fmt::join(names, ","));
  }
  std::int64_t printed = 0;
  while (args.limit < 0 || printed < args.limit) {
    auto batch = source->next();
    if (!batch) break;
    for (std::int64_t row = 0; row < batch->num_rows && (args.limit < 0 || printed < args.limit); ++row, ++printed) {
      if (args.format == "jsonl") {
        Json object = Json::object();
        for (std::size_t i = 0; i < batch->columns.size(); ++i) {
          object[schema.fields[i].name] = value_at(batch->columns[i], row);
        }
        out += dump(object);
      } else {
        for (std::size_t i = 0; i < batch->columns.size(); ++i) {
          if (i != 0) out += ',';
          out += csv_field(value_at(batch->columns[i], row));
        }
      }
      out += '\n';
      if (out.size() > (1U << 16)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace

void register_cat(CLI::App& app) {
  auto args = std::make_shared<CatArguments>();
  auto* command = app.add_subcommand("cat", "Print the rows of a CSV, Parquet or Delta source (docs/cli.md)");
  command->add_option("SOURCE", args->source, kSourceHelp)->required();
  command->add_option("--columns", args->columns, "Print only these columns, in this order")->delimiter(',');
  command->add_option("--limit", args->limit, "Print at most N rows");
  command->add_option("--format", args->format, "jsonl (one JSON object per row) or csv")->capture_default_str();
  add_verb(command, [args] { return run_cat(*args); });
}

}  // namespace driftgov::cli
