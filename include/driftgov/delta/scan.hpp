#pragma once
// Reading a table's rows: the one reader of Delta data files. A Scan walks the live files of a snapshot (in the
// snapshot's order) and yields record batches in the table's logical schema, as PROTOCOL.md asks of a reader:
// rows a deletion vector deletes are dropped, partition columns are filled in from the file's partition values,
// physical column names or field ids (column mapping, name and id modes, nested fields too) become logical
// names, columns added after a file was written read as null, and the widenings Delta allows (type widening,
// Parquet's narrower encodings) are applied. Everything the scan does is in docs/delta.md, "Reading rows".
//
// File skipping: files whose partition values or stats (data_skipping.hpp) prove that no row can satisfy the
// predicate (or lie inside the ranges) are not read. Rows are NOT filtered: a file that is read yields all its
// live rows, matching or not; callers that need matching rows evaluate BoundPredicate::matches themselves.
//
// A Scan is single-pass and single-threaded. It refers to the snapshot it was planned from, which must outlive it.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/data_skipping.hpp"
#include "driftgov/delta/predicate.hpp"
#include "driftgov/delta/snapshot.hpp"

namespace driftgov::delta {

struct ScanOptions {
  // Top-level logical columns, in the order the batches hold them; empty reads every column.
  std::vector<std::string> columns;
  // Files that cannot hold a row satisfying it are skipped (rows are not filtered, see above). Comparisons on
  // partition columns are judged on partition values (every operator); the others, fields inside structs too
  // (window.start), through the files' stats.
  std::optional<Predicate> predicate;
  // Further ranges a row must lie in for its file to be read (same meaning as files_overlapping).
  std::vector<ColumnRange> ranges;
  // When set, only the live files whose AddFile::key() (path and deletion vector) is in the set are read: an
  // incremental reader's files added since the version it last read.
  std::optional<std::set<std::string>> file_keys = {};
};

class Scan {
 public:
  // Plans the scan: resolves the projection and selects the files. Throws core::InputError for an unknown column
  // (naming the columns there are) or a predicate that does not fit the table's schema.
  Scan(const Snapshot& snapshot, ScanOptions options);
  Scan(Scan&&) noexcept;
  Scan& operator=(Scan&&) noexcept;
  ~Scan();

  const Snapshot& snapshot() const;
  // The schema of the batches: the projected logical columns.
  const core::Schema& schema() const;
  // The files the scan reads, in order: the snapshot's live files less those skipped.
  const std::vector<const AddFile*>& files() const;

  // The next batch (one per row group of a data file, with the deleted rows taken out; never empty unless the
  // projection is), or nullopt when every file has been read. Throws core::InputError for an unreadable data
  // file or deletion vector, naming the file, and for a data file whose column cannot hold the table's type.
  std::optional<core::RecordBatch> next();
  // The file the batch last returned by next() came from; nullptr before the first batch.
  const AddFile* current_file() const;
  // Data files opened so far (at the end: files().size()).
  std::int64_t files_opened() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether `predicate` may hold for a file with these logical partition values, judging only the comparisons on
// partition columns (the others count as maybe). `schema` is the table's logical schema; errors in a partition
// value name `context`.
bool partition_may_match(const BoundPredicate& predicate, const core::Schema& schema, const PartitionValues& values,
                         const std::string& context);

}  // namespace driftgov::delta
