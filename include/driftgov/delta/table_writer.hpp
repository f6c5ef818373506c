#pragma once
// Writing rows into a Delta table: create, append, overwrite (the whole table, or the rows matching a predicate
// like Spark's replaceWhere), with Spark's schema rules: enforcement by default (a mismatch is refused with both
// schemas in the message), mergeSchema (new columns at the end, nested too; only byte/short/int widen into each
// other, void takes any type), overwriteSchema (overwrite only). Data files are written first (Parquet, one or more per
// partition), each add carries stats (numRecords, minValues, maxValues, nullCount), and one transaction commits
// them (see transaction.hpp). A crash at any point leaves the table at the old or the new version.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/predicate.hpp"
#include "driftgov/delta/schema.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/transaction.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/parquet/writer.hpp"

namespace driftgov::delta {

enum class WriteMode {
  kCreate,     // the table must not exist yet
  kAppend,     // creates the table when it does not exist, as Spark does
  kOverwrite,  // replaces every row (or the rows of `replace_where`); creates the table when absent
};

struct TableWriteOptions {
  WriteMode mode = WriteMode::kCreate;
  bool merge_schema = false;
  bool overwrite_schema = false;  // only with kOverwrite, and not with replace_where
  // Partition columns of a new table (or of an overwrite with overwrite_schema).
  std::vector<std::string> partition_by;
  // With kOverwrite: replace only the rows satisfying this predicate (Spark's replaceWhere). Files whose rows
  // all match are removed; files holding some matching rows are rewritten without them (read through
  // delta::Scan, which skips files by their stats, nested fields such as window.start too). Every written row
  // must satisfy the predicate.
  std::optional<Predicate> replace_where;
  // Idempotent write: skipped when the table already records this (app id, version) or a later version.
  std::optional<TransactionId> idempotent;
  // A read-modify-write: the caller read the table at this version (-1: it did not exist) and decided what to
  // write from it. The write then counts as having read the whole table, so a commit another writer made since
  // that version conflicts (ConcurrentModificationError, ConcurrentAppendException): whether it landed before this
  // write started or while it was under way.
  std::optional<std::int64_t> read_version;
  // Table properties of a new table (delta.checkpointInterval, ...).
  StringMap table_properties;
  std::int64_t target_file_rows = 1 << 20;
  // Where the table is read (its snapshot, rows kept by replace_where) and the data files, the commit and the
  // checkpoint are written; nullptr means io::local_storage(). The one storage of the write: write_table passes
  // it down to the transaction, the Parquet writer and the commit.
  io::Storage* storage = nullptr;
  // How data files are written (compression, row groups, ...) and committed (attempts, checkpoint interval).
  // Leave their own `storage` fields null. Callers written before `storage` existed may set both to one storage,
  // which then serves as `storage`; write_table refuses two different storages as a misuse of the API
  // (core::InternalError).
  parquet::WriterOptions parquet;
  CommitOptions commit;
};

struct TableWriteResult {
  std::int64_t version = -1;  // the version committed, or the current version when skipped
  bool skipped = false;       // an idempotent write that was already committed
  std::int64_t rows = 0;
  std::int64_t files = 0;
  int attempts = 0;
  bool checkpoint_written = false;
  // Why the checkpoint due after the commit was not written (a storage failure, say); empty otherwise. The write
  // succeeded all the same: show this as a warning (see CommitResult::checkpoint_error).
  std::string checkpoint_error;
};

// Produces the next batch to write, or nullopt at the end. Every batch has the schema given to write_table.
using BatchSupplier = std::function<std::optional<core::RecordBatch>()>;

// Writes the supplied rows to the table at `table_root` (a path in the options' storage). Throws core::InputError for a schema mismatch (showing
// the table's and the data's schema), a mode that does not fit the table's state, or rows outside replace_where;
// ConcurrentModificationError when a concurrent commit conflicts; core::IOError when the storage fails before
// the commit. Once committed it returns: a checkpoint that then fails is TableWriteResult::checkpoint_error.
TableWriteResult write_table(const std::string& table_root, const core::Schema& data_schema,
                             const BatchSupplier& next_batch, const TableWriteOptions& options);

// The table schema after writing `data` into `table` under Spark's rules (see above). Throws core::InputError
// showing both schemas when the data does not fit and `merge_schema` is false or cannot help.
core::Schema merge_schemas(const core::Schema& table, const core::Schema& data, bool merge_schema);

// Stats JSON for one data file as Delta writers record it: numRecords, and minValues/maxValues/nullCount
// keyed by the batch's names (the file's physical names under column mapping) for primitive columns, and for
// the primitive fields inside struct columns as nested objects, as Spark writes them ({"window": {"start":
// ...}}; a field under a null struct counts as null). Lists and maps, and everything inside them, carry no
// stats.
std::string file_statistics_json(const core::RecordBatch& batch);

// Escapes a partition value for a folder name as Hive and Spark do (%XX for characters unsafe in paths).
std::string escape_partition_value(std::string_view value);

// For `driftgov convert SOURCE DEST`: DEST is a Delta table when it has no file extension or already holds a
// `_delta_log` folder. Convert then calls write_table with parse_write_mode(--mode), --merge-schema and
// --overwrite-schema.
bool is_delta_destination(const std::string& destination);

// Parses the text of the `mode` option: create (or empty), append, overwrite. Throws InputError naming the option
// (core::OptionName "mode"). Every message of the writer names its options by field (merge_schema,
// overwrite_schema, replace_where, mode = overwrite), which a front end spells its own way (the CLI: its flags).
WriteMode parse_write_mode(const std::string& text);

}  // namespace driftgov::delta
