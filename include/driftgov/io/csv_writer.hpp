#pragma once
// CSV output (RFC 4180): a header row, then one record per row. A field is quoted when it holds the
// delimiter, a quote, a line break, leading or trailing spaces, or is an empty string (so that it reads back
// as an empty string, while a null is an empty unquoted field, as the CSV reader expects). With a single
// column, a null is written NULL instead, because readers skip empty lines. Value texts: booleans true/false;
// floating-point numbers in their shortest exact form (with ".0" when integral), NaN, Infinity and -Infinity;
// decimals exact; dates YYYY-MM-DD; timestamps ISO 8601 (fraction only when non-zero, a trailing Z when
// UTC-adjusted); binary as lowercase hex; structs, lists and maps as JSON.
// Not thread-safe.

#include <cstdint>
#include <ostream>
#include <string>

#include "driftgov/core/column.hpp"

namespace driftgov::io {

struct CsvWriteOptions {
  char delimiter = ',';
  bool header = true;
};

// The text of a non-null value at `row` of a flat or nested column (the CSV field before quoting).
std::string value_text(const core::Column& column, std::int64_t row);

class CsvWriter {
 public:
  // Writes to `out`, which must outlive the writer; the header (when enabled) is written by the first
  // write().
  CsvWriter(std::ostream& out, core::Schema schema, CsvWriteOptions options = {});

  // Throws core::InputError if the batch's schema differs from the writer's.
  void write(const core::RecordBatch& batch);
  // Writes the header if no batch was written, and flushes.
  void finish();

 private:
  void write_header();
  void write_field(std::string_view text);

  std::ostream& out_;
  core::Schema schema_;
  CsvWriteOptions options_;
  bool header_written_ = false;
  std::string line_;
};

}  // namespace driftgov::io
