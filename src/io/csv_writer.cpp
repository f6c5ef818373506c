#include "driftgov/io/csv_writer.hpp"

#include <fmt/format.h>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"

namespace driftgov::io {
namespace {

using core::TypeId;

constexpr std::string_view kSingleColumnNull = "NULL";

bool needs_quotes(std::string_view text, char delimiter) {
  if (text.empty()) return true;
  if (text.front() == ' ' || text.back() == ' ') return true;
  return text.find_first_of(std::string{delimiter, '"', '\n', '\r'}) != std::string_view::npos;
}

}  // namespace

void append_csv_field(std::string& line, std::string_view text, char delimiter) {
  if (!needs_quotes(text, delimiter)) {
    line.append(text);
    return;
  }
  line.push_back('"');
  for (const char character : text) {
    if (character == '"') line.push_back('"');
    line.push_back(character);
  }
  line.push_back('"');
}

CsvWriter::CsvWriter(std::ostream& out, core::Schema schema, CsvWriteOptions options)
    : out_(out), schema_(std::move(schema)), options_(options) {}

void CsvWriter::write_header() {
  header_written_ = true;
  if (!options_.header) return;
  line_.clear();
  for (std::size_t i = 0; i < schema_.fields.size(); ++i) {
    if (i > 0) line_.push_back(options_.delimiter);
    append_csv_field(line_, schema_.fields[i].name, options_.delimiter);
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
        append_csv_field(line_, core::value_text(column, row), options_.delimiter);
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
