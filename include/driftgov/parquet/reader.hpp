#pragma once
// Reading Parquet files into core column batches.
//
// What is read: every physical type (INT96 as microsecond timestamps, as Spark reads them); STRING/ENUM/JSON, DATE, TIMESTAMP
// (millis/micros/nanos, UTC-adjusted or not), DECIMAL on INT32/INT64/FIXED_LEN_BYTE_ARRAY/BYTE_ARRAY (precision up to
// 38), signed and unsigned integer widths (unsigned widen to the next signed type; UINT64 becomes decimal(20,0) so
// no value is lost), FLOAT16 (as float), UNKNOWN (a null column), TIME (as its integer count); structs, lists
// (three-level and the legacy two-level forms) and maps; data pages v1 and v2 in every encoding and codec the
// format defines except LZO. Page checksums are verified when present.
// What is refused with core::UnsupportedError naming the feature: encryption, LZO, column chunks stored in other
// files, decimals wider than 38 digits.
// Memory: a FileReader holds the footer; read_row_group holds one row group of the projected columns at a time.
// A FileReader is not thread-safe; open one per thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/parquet/metadata.hpp"

namespace driftgov::parquet {

struct ReaderOptions {
  // A page whose header claims more bytes than this is refused before anything is allocated.
  std::int64_t max_page_bytes = std::int64_t{1} << 30;
  // A column chunk announcing more level entries (rows, or list elements for nested columns) than this is
  // refused before its levels are decoded: RLE lets a few bytes claim billions of entries.
  std::int64_t max_chunk_entries = std::int64_t{1} << 31;
  // Verify the CRC-32 of pages that carry one.
  bool verify_checksums = true;
  // Where open() reads the file; nullptr means io::local_storage(). Not owned; must outlive the reader.
  io::Storage* storage = nullptr;
};

// A value bound in the representation core::Column uses for the column's type: integers, booleans, dates and
// timestamps (in the column's unit) as int64; floats as double; decimals as the unscaled Int128 at the column's
// scale; strings and binary as bytes.
using StatisticValue = std::variant<std::int64_t, double, core::Int128, std::string>;

// Rows whose `column` value lies in [lower, upper] (a missing bound is open). `column` names a top-level field of
// a primitive type.
struct ColumnRange {
  std::string column;
  std::optional<StatisticValue> lower;
  std::optional<StatisticValue> upper;
};

class FileReader {
 public:
  // Opens a file and reads its footer. Throws core::InputError (not Parquet, truncated, corrupt footer) or
  // core::UnsupportedError (encrypted).
  static FileReader open(const std::string& path, ReaderOptions options = {});
  // The same for a file held in memory; `description` names it in messages.
  static FileReader open_memory(std::string bytes, const std::string& description, ReaderOptions options = {});

  FileReader(FileReader&&) noexcept;
  FileReader& operator=(FileReader&&) noexcept;
  ~FileReader();

  const FileMetaData& metadata() const;
  // Every top-level field, with Parquet field ids when the file has them.
  const core::Schema& schema() const;
  const std::string& description() const;
  std::int64_t num_rows() const;
  int num_row_groups() const;
  std::int64_t row_group_num_rows(int index) const;

  // Reads row group `index`, keeping the top-level fields at `field_indices` (indices into schema().fields, in
  // the order given; empty means every field).
  core::RecordBatch read_row_group(int index, const std::vector<std::size_t>& field_indices = {});
  // The same into `batch`, reusing the buffers of its columns where the column at the same position has the same
  // type: a caller reading group after group (or file after file) this way keeps its memory allocated and paged
  // in instead of allocating every column afresh. On an exception `batch` holds no meaningful data.
  void read_row_group(int index, const std::vector<std::size_t>& field_indices, core::RecordBatch& batch);

  // The row groups that may hold a row with `range.column` inside the range. Statistics can only rule a group
  // out: groups without usable statistics are always kept. Throws InputError if the column is unknown or not
  // of a primitive type, or a bound has the wrong kind for the column's type.
  std::vector<int> row_groups_overlapping(const ColumnRange& range) const;

 private:
  struct State;
  explicit FileReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace driftgov::parquet
