#pragma once
// One interface for every input: CSV, Parquet, Delta. Statistics code only ever sees a Source.
// A Source is single-pass and single-threaded; open it again to read again.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/column.hpp"

namespace driftgov::io {

struct CsvOptions {
  char delimiter = ',';
  char quote = '"';
  bool header = true;
  // Field texts read as null (exact match, after the quotes of a quoted field are removed; a quoted empty
  // field "" is an empty string, not null). Documented in docs/data-sources.md.
  std::vector<std::string> null_tokens = {"", "NA", "N/A", "null", "NULL", "None"};
  // Rows inspected to infer column types before the first batch is produced.
  std::int64_t infer_rows = 20000;

  // Throws core::InputError naming the offending field ("csv.delimiter", ...).
  void validate() const;
};

struct SourceOptions {
  std::vector<std::string> columns;  // projection; empty means every column
  std::map<std::string, core::DataType> type_overrides;  // CSV: fixed types for named columns
  CsvOptions csv;
  std::int64_t batch_rows = 65536;

  // Throws core::InputError naming the offending field (core::OptionName). Every open_* and SourceRegistry::open
  // call it first.
  void validate() const;
};

class Source {
 public:
  virtual ~Source() = default;
  // The schema of the batches this source produces (after projection).
  virtual const core::Schema& schema() const = 0;
  // The next batch, or nullopt when the source is exhausted. Throws core::InputError on bad input.
  virtual std::optional<core::RecordBatch> next() = 0;
  // How the source is named in messages, e.g. the file path.
  virtual std::string description() const = 0;
};

// Formats register here; open_source asks each in turn whether it recognises a name.
struct SourceFormat {
  std::string name;                                         // "csv", "parquet", "delta"
  std::function<bool(const std::string& location)> probe;  // recognises the location
  std::function<std::unique_ptr<Source>(const std::string& location, const SourceOptions&)> open;
};

class SourceRegistry {
 public:
  void add(SourceFormat format);
  // Opens `location` with the first format whose probe accepts it.
  // Throws core::InputError if the location does not exist or no format recognises it.
  std::unique_ptr<Source> open(const std::string& location, const SourceOptions& options) const;
  std::vector<std::string> format_names() const;

 private:
  std::vector<SourceFormat> formats_;
};

// Selects `columns` from a schema in the requested order; throws InputError naming a missing column and the
// columns that exist. Returns indices into schema.fields.
std::vector<std::size_t> resolve_projection(const core::Schema& schema, const std::vector<std::string>& columns,
                                            const std::string& source_description);

}  // namespace driftgov::io
