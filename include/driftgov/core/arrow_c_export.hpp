#pragma once
// Exporting record batches through the Arrow C Data Interface and C Stream Interface (the ABI structs of
// arrow_c_import.hpp), so that any Arrow consumer (pyarrow, polars, DuckDB) reads what driftgov's readers
// read without driftgov linking an Arrow library.
//
// Types: each driftgov type becomes the Arrow type a Parquet reader such as pyarrow gives the same column:
// boolean; int8..int64; float32, float64; decimal(p,s) as decimal128; date as date32; timestamps in their
// unit, with the time zone "UTC" when UTC-adjusted and none for timestamp_ntz; string and binary with 32-bit
// offsets; struct; list with 32-bit offsets; map (entries "key" and "value"); null. A batch whose string,
// binary or list data needs more than 32-bit offsets (over 2 GiB in one batch) is refused with
// UnsupportedError naming the column.
//
// Ownership: an exported array owns the batch's buffers (moved in; booleans, validity and the narrower
// integer and float widths are converted into buffers of their own) and frees them in its release callback,
// which releases its children too, as the specification requires. The consumer may release arrays in any
// order, on any thread.

#include <vector>

#include "driftgov/core/arrow_c_import.hpp"
#include "driftgov/core/column.hpp"

namespace driftgov::core {

// Writes the schema of a record batch (a struct "+s" whose children are the fields) into `out`.
void export_arrow_schema(const Schema& schema, ArrowSchema* out);

// Moves `batch` into `out`, a struct array with one child per column. Throws UnsupportedError (see above);
// `out` is untouched then.
void export_arrow_batch(RecordBatch batch, ArrowArray* out);

// A stream over batches already read (they are moved in); every batch must have `schema`. Every batch is
// exported here, so a batch the export refuses throws before `out` is written, as export_arrow_batch does.
void export_arrow_stream(Schema schema, std::vector<RecordBatch> batches, ArrowArrayStream* out);

}  // namespace driftgov::core
