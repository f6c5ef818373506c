#pragma once
// Deletion vectors (PROTOCOL.md, "Deletion Vectors", "Deletion Vector Format"): the row indexes of a data file
// that are no longer part of the table. Bitmaps are decoded with CRoaring; Z85 is the JSON-friendly text form.
// A DeletionVector is an immutable value once loaded.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/delta/actions.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {

class DeletionVector {
 public:
  DeletionVector() = default;
  explicit DeletionVector(std::vector<std::uint64_t> sorted_rows) : rows_(std::move(sorted_rows)) {}

  // Deleted row indexes, ascending and unique.
  const std::vector<std::uint64_t>& rows() const { return rows_; }
  std::uint64_t cardinality() const { return rows_.size(); }
  bool contains(std::uint64_t row) const;

 private:
  std::vector<std::uint64_t> rows_;
};

// Z85 (ZeroMQ RFC 32). decode requires a length that is a multiple of 5; encode pads with zero bytes to a multiple
// of 4 (the caller records the true size). Errors name `context`.
std::string z85_decode(std::string_view text, std::string_view context);
std::string z85_encode(std::string_view bytes);

// Decodes the RoaringBitmapArray form: magic 1681511377 (little endian) then a portable 64-bit Roaring bitmap.
DeletionVector decode_bitmap_array(std::string_view bytes, std::string_view context);
// The RoaringBitmapArray bytes for a set of rows (used by writers and tests).
std::string encode_bitmap_array(const std::vector<std::uint64_t>& sorted_rows);

// The file a 'u' or 'p' descriptor points to (a path in the table's storage). Throws InputError for an inline
// descriptor or a malformed UUID.
std::string deletion_vector_file(const DeletionVectorDescriptor& descriptor, const std::string& table_root);

// Loads the rows a descriptor names: inline bytes, or a file with version byte, big-endian size, bitmap and a
// CRC-32 checked against the data, read from `storage`. Verifies the cardinality. Errors name `context` (e.g. the
// data file).
DeletionVector load_deletion_vector(const DeletionVectorDescriptor& descriptor, const std::string& table_root,
                                    std::string_view context, io::Storage& storage = io::local_storage());

}  // namespace driftgov::delta
