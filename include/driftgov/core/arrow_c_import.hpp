#pragma once
// Importing data through the Arrow C Data Interface and C Stream Interface (the published ABI of
// https://arrow.apache.org/docs/format/CDataInterface.html): any Arrow producer (pyarrow, pandas, polars, DuckDB)
// hands driftgov a record batch or a stream of them without driftgov linking an Arrow library.
//
// Types: the Arrow types map to the types the Parquet reader gives the same data once written to Parquet, so that
// profiling in memory and profiling the Parquet file agree: bool; int8..int64; uint8/16/32 widened to
// int16/32/64 and uint64 as decimal(20,0); float32, float64; decimal128; date32, date64 (as days); timestamps (the
// seconds unit in milliseconds; with a time zone as UTC, without as timestamp_ntz); utf8, large_utf8, utf8_view as
// strings; binary, large_binary, binary_view, fixed_size_binary as binary; dictionary-encoded columns of any of
// these as their value type; null. Every other type (nested, float16, time of day, durations, intervals,
// decimal32/64/256, run-end encoded) is refused with UnsupportedError naming the column and its Arrow format.
//
// Copies: core::Column owns its buffers as std::vectors (int64 for every integer width, double for both float
// widths), so values are copied out of the Arrow buffers, converted as they go (fixed-width numbers, dates and
// timestamps in one pass over the buffer, with memcpy where the width is already Column's). The copy is bounded:
// ArrowStreamReader hands a producer's batch on in slices of at most kSliceBytes once imported (between
// kMinSliceRows and kMaxSliceRows rows), so that profiling a table of any size holds a few slices' copies at a
// time, never the table's (docs/python.md, "Memory"). A zero-copy import would need Column to borrow buffers (a
// span plus a shared owner that calls the ArrowArray's release), which only int64, float64 and timestamp arrays
// could use unconverted.
//
// Thread safety: the functions are pure; an ArrowStreamReader is single-threaded, as the stream itself is.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/column.hpp"

extern "C" {
// The ABI structs, as the specification defines them (guarded so that a translation unit that also includes an
// Arrow header sees one definition).
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
#endif

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};
#endif
}

namespace driftgov::core {

// The schema of a record batch: `schema` must be a struct ("+s") whose children are the columns. Only the columns
// in `columns` (all when empty; a missing name is an InputError listing those that exist) are imported, in that
// order, and only they must have a supported type. Throws UnsupportedError naming the column and its Arrow format.
struct ArrowImport {
  Schema schema;
  std::vector<std::size_t> indices;  // child index of each imported column in the Arrow struct
};
ArrowImport import_arrow_schema(const ArrowSchema& schema, const std::vector<std::string>& columns = {});

// The columns of a struct array described by `schema` (as import_arrow_schema resolved it), copied into a batch.
// Does not release `array`. Throws InputError for a batch that does not match the schema (a producer's bug) or a
// value that does not fit (a uint64 beyond decimal(20,0) cannot happen; none does today).
RecordBatch import_arrow_batch(const ArrowSchema& schema, const ArrowImport& import, const ArrowArray& array);
// Rows [first_row, first_row + rows) of the batch only. With an `owner` (something keeping `array` alive), float64,
// int64 and timestamp values are borrowed in place instead of copied (Column::borrowed_doubles/borrowed_ints), for
// the profiler; without one, everything is copied.
RecordBatch import_arrow_batch(const ArrowSchema& schema, const ArrowImport& import, const ArrowArray& array,
                               std::int64_t first_row, std::int64_t rows,
                               const std::shared_ptr<const void>& owner = nullptr);

// A reader over an ArrowArrayStream it takes over (the caller's struct is marked released). Releases the stream,
// and every array it read, itself: a producer's batch as soon as its last slice is imported.
class ArrowStreamReader {
 public:
  // Slices of a producer's batch: about 4 MiB of imported values (16 float64 columns: 32,768 rows), within
  // [1024, 65536] rows (65536 is the CSV reader's batch).
  static constexpr std::int64_t kSliceBytes = 4 << 20;
  static constexpr std::int64_t kMinSliceRows = 1024;
  static constexpr std::int64_t kMaxSliceRows = 65536;

  // borrow_values: float64, int64 and timestamp values are borrowed from the producer's batches, which then live
  // until the last slice borrowing from them is gone (for batches only the profiler reads: Column::owner).
  ArrowStreamReader(ArrowArrayStream* stream, const std::vector<std::string>& columns, bool borrow_values = false);
  ~ArrowStreamReader();
  ArrowStreamReader(const ArrowStreamReader&) = delete;
  ArrowStreamReader& operator=(const ArrowStreamReader&) = delete;

  const Schema& schema() const { return import_.schema; }
  // The next slice of the producer's batches (an empty batch of the producer is one empty batch), or nullopt at
  // the end of the stream. Throws InputError carrying the producer's error message.
  std::optional<RecordBatch> next();

 private:
  std::int64_t slice_rows() const;
  void release_batch();

  ArrowArrayStream stream_{};
  ArrowSchema arrow_schema_{};
  ArrowImport import_;
  bool borrow_values_ = false;
  std::shared_ptr<ArrowArray> batch_;  // the producer's batch being sliced (none: null); released with the last owner
  std::int64_t next_row_ = 0;          // its first row not yet imported
};

}  // namespace driftgov::core
