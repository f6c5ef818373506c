#pragma once
// Splits column batches into Parquet leaf columns: definition and repetition levels plus the non-null values
// in their physical representation (the record shredding of the Dremel paper, as Parquet's spec describes
// it). The schema tree mirrors the Parquet schema the writer emits: lists and maps are 3-level groups, so a
// list or map adds one definition level for being present (when optional) and one for each repeated entry.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/column.hpp"

namespace driftgov::parquet {

// How a leaf's non-null values are stored before encoding.
enum class ValueStorage : std::uint8_t {
  kNone,
  kBoolean,
  kInt32,
  kInt64,
  kFloat,
  kDouble,
  kBytes,
  kFixedBytes
};

struct LeafColumn {
  std::vector<std::string> path;  // names from the root's child down to the leaf
  std::string dotted_path;        // for messages
  core::DataType type;            // the leaf's logical type
  ValueStorage storage = ValueStorage::kNone;
  int fixed_length = 0;  // kFixedBytes
  std::int16_t max_definition = 0;
  std::int16_t max_repetition = 0;
};

// The values and levels of one leaf column for the rows buffered so far (one row group).
struct LeafBuffer {
  std::vector<std::int16_t> definition;  // empty when max_definition == 0
  std::vector<std::int16_t> repetition;  // empty when max_repetition == 0
  std::int64_t level_count = 0;          // number of levels (= values including nulls)
  std::int64_t null_count = 0;           // levels below max_definition
  std::vector<std::uint8_t> booleans;
  std::vector<std::int32_t> int32s;
  std::vector<std::int64_t> int64s;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::string bytes;                      // kBytes and kFixedBytes values, back to back
  std::vector<std::uint64_t> offsets{0};  // kBytes: value i is bytes[offsets[i], offsets[i + 1])

  std::int64_t value_count(ValueStorage storage) const;
  // Uncompressed size estimate used to close row groups.
  std::int64_t estimated_bytes() const;
  void clear();
};

// Node of the schema tree used while shredding.
struct ShredNode {
  enum class Kind : std::uint8_t { kLeaf, kStruct, kList, kMap };
  Kind kind = Kind::kLeaf;
  std::string name;
  bool optional = true;
  std::optional<std::int32_t> field_id;
  std::int16_t repeated_level = 0;           // kList/kMap: repetition level of their repeated group
  std::size_t leaf = 0;                      // kLeaf: index into the leaves
  std::size_t leaf_begin = 0, leaf_end = 0;  // leaves of this subtree
  std::vector<ShredNode> children;           // struct fields; list [element]; map [key, value]
};

class ColumnShredder {
 public:
  // Throws core::UnsupportedError for types the writer cannot express (map keys that are nested or null
  // type).
  explicit ColumnShredder(const core::Schema& schema);

  const std::vector<LeafColumn>& leaves() const { return leaves_; }
  const std::vector<ShredNode>& roots() const { return roots_; }

  // Appends rows [row_begin, row_end) of `batch` to `buffers` (one per leaf). Throws core::InputError naming
  // the column and row for a null in a required field or a value outside its type's range.
  void shred(const core::RecordBatch& batch, std::int64_t row_begin, std::int64_t row_end,
             std::vector<LeafBuffer>& buffers, std::int64_t first_row_number) const;

 private:
  ShredNode build(const core::Field& field, std::vector<std::string> path, std::int16_t definition,
                  std::int16_t repetition);

  std::vector<LeafColumn> leaves_;
  std::vector<ShredNode> roots_;
};

// Fixed byte width of a decimal stored as FIXED_LEN_BYTE_ARRAY: the fewest bytes whose signed range holds
// every value of `precision` digits.
int decimal_fixed_length(int precision);
// Physical storage of a leaf of this type.
ValueStorage storage_for(const core::DataType& type);

}  // namespace driftgov::parquet
