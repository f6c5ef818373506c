#pragma once
// Decodes the data pages of a primitive column without repetition (top-level, or inside structs that are not
// repeated) straight into a core::Column, without the level vectors and value scatter of the general assembly:
// each row has one definition level and is valid when it reaches the maximum (for a maximum of 1 the level is the
// validity byte itself), PLAIN values are copied to their rows as they are read, dictionary indices are unpacked
// a page at a time and gathered. The result equals what the general path builds: a null row holds a zero (or an
// empty string) and validity is empty when no row is null. The per-row levels can be handed out so that the
// structs above the leaf take their validity from them.
// Handles BOOLEAN and INT32/INT64 read as integers, FLOAT/DOUBLE and BYTE_ARRAY read as they are, in every
// encoding (PLAIN and dictionary directly, booleans and the others through a dense decode). Errors are
// core::InputError without file context; the page reader adds it. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "decoding.hpp"
#include "driftgov/core/column.hpp"

namespace driftgov::parquet {

// Buffers a reader keeps between pages and column chunks so that they are allocated (and paged in) once.
struct FlatDecodeScratch {
  std::vector<std::uint32_t> indices;
  PhysicalValues dense;
  std::vector<std::uint8_t> levels;
};

class FlatColumnDecoder {
 public:
  // Whether columns of this physical type, read without conversion, take this path.
  static bool handles(Type physical);

  // `out` must be an empty column of the leaf's type (its buffers may keep capacity from earlier use). `rows` is
  // the chunk's expected row count, used to reserve room: callers bound it. `max_definition` is the leaf's
  // maximum definition level (at most 255). When `row_levels` is given, every row's definition level is appended
  // to it.
  FlatColumnDecoder(Type physical, int max_definition, std::size_t rows, FlatDecodeScratch& scratch,
                    core::Column& out, std::vector<std::uint8_t>* row_levels = nullptr);

  // One data page of `count` rows. `definition` is ignored for a required column. `dictionary` is needed for the
  // dictionary encodings.
  void data_page(std::size_t count, Encoding encoding, const LevelBytes& definition, std::string_view values,
                 const PhysicalValues* dictionary);
  // Sets the length and drops validity when no row was null.
  void finish();

 private:
  template <class Wire, class Stored>
  void fixed_width_page(Encoding encoding, std::string_view values, std::size_t count, std::size_t present,
                        const std::uint8_t* valid, const PhysicalValues* dictionary, std::vector<Stored>& target);
  void boolean_page(Encoding encoding, std::string_view values, std::size_t count, std::size_t present,
                    const std::uint8_t* valid, const PhysicalValues* dictionary);
  void byte_array_page(Encoding encoding, std::string_view values, std::size_t count, std::size_t present,
                       const std::uint8_t* valid, const PhysicalValues* dictionary);

  // Makes room for `page_bytes` more string bytes, reserving for the whole chunk at once when it must grow.
  void reserve_bytes(std::size_t page_bytes, std::size_t page_rows);

  Type physical_;
  int max_definition_;
  bool nullable_;
  std::vector<std::uint8_t>* row_levels_;
  std::size_t expected_rows_;
  std::size_t rows_ = 0;
  std::size_t present_ = 0;
  FlatDecodeScratch& scratch_;
  core::Column& out_;
};

}  // namespace driftgov::parquet
