#pragma once
// CSV output (RFC 4180): a header row, then one record per row. A field is quoted when it holds the
// delimiter, a quote, a line break, leading or trailing spaces, or is an empty string (so that it reads back
// as an empty string, while a null is an empty unquoted field, as the CSV reader expects). With a single
// column, a null is written NULL instead, because readers skip empty lines. Values are written as core::value_text
// gives them (docs/value-text.md).
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

// Appends `text` to `line` as one field, quoted as described above.
void append_csv_field(std::string& line, std::string_view text, char delimiter);

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

  std::ostream& out_;
  core::Schema schema_;
  CsvWriteOptions options_;
  bool header_written_ = false;
  std::string line_;
};

}  // namespace driftgov::io
