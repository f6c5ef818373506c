#include "driftgov/io/csv_reader.hpp"

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <span>
#include <unordered_set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"
#include "io/text_values.hpp"

namespace driftgov::io {
namespace {

using core::DataType;
using core::InputError;
using core::TypeId;

// Bit i set when block[i] is one of the four bytes that end or quote a field: one 16-byte block at a time, so
// an unquoted record is split without looking at its bytes one by one.
class StopBytes {
 public:
  static constexpr std::size_t kBlock = 16;

  StopBytes(char delimiter, char quote) : delimiter_(delimiter), quote_(quote) {}

  std::uint32_t mask(const char* block) const {
#if defined(__SSE2__)
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
    const __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(delimiter_)), _mm_cmpeq_epi8(bytes, _mm_set1_epi8(quote_))),
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\r'))));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(hits));
#else
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < kBlock; ++i) {
      const char c = block[i];
      bits |= static_cast<std::uint32_t>(c == delimiter_ || c == quote_ || c == '\n' || c == '\r') << i;
    }
    return bits;
#endif
  }

 private:
  char delimiter_;
  char quote_;
};

// Reads a file through a growable buffer and splits it into records without copying field text, except for
// quoted fields with escaped quotes, which are unescaped into an arena. The views it hands out stay valid until
// release(): the caller can collect many records and convert them column by column.
class RecordScanner {
 public:
  enum class Next { kRecord, kEnd, kMustRelease };

  RecordScanner(std::string path, char delimiter, char quote)
      : path_(std::move(path)), delimiter_(delimiter), quote_(quote), stop_bytes_(delimiter, quote) {
    file_ = local_storage().open_read(path_);
    buffer_.resize(kInitialBuffer);
  }
  RecordScanner(const RecordScanner&) = delete;
  RecordScanner& operator=(const RecordScanner&) = delete;

  // Appends the next non-blank record's fields to `fields` and, per field, 1 to `quoted` when the field was
  // quoted (a quoted field is never a null token). kEnd at end of file. kMustRelease when reading on would move
  // the buffer under views handed out since the last release(): the caller finishes with them, calls
  // release() and asks again.
  Next next(std::vector<std::string_view>& fields, std::vector<std::uint8_t>& quoted) {
    for (;;) {
      if (begin_ >= end_ && eof_) return Next::kEnd;
      const auto status = parse(fields, quoted);
      if (status == Status::kRecord) {
        holding_ = true;
        return Next::kRecord;
      }
      if (status == Status::kBlank) continue;
      // kNeedMore: the record runs past the buffered bytes.
      if (holding_) return Next::kMustRelease;
      if (eof_) {
        // Only an unterminated quoted field can need more at end of file.
        throw InputError(fmt::format("{} line {}: quoted field is not closed before the end of the file", path_,
                                     record_line_));
      }
      refill();
    }
  }

  // Invalidates every view handed out so far.
  void release() {
    holding_ = false;
    arena_.clear();
  }

  // Line number (1-based) where the last returned record starts.
  std::int64_t record_line() const { return record_line_; }
  const std::string& path() const { return path_; }

 private:
  enum class Status { kRecord, kBlank, kNeedMore };
  static constexpr std::size_t kInitialBuffer = 1 << 22;

  void refill() {
    // Keep the unfinished record, move it to the front, grow if it fills the buffer.
    const std::size_t remaining = end_ - begin_;
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, remaining);
      begin_ = 0;
      end_ = remaining;
    }
    if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
    const auto got = std::min(static_cast<std::int64_t>(buffer_.size() - end_), file_->size() - file_offset_);
    file_->read_at(file_offset_, got, buffer_.data() + end_);
    file_offset_ += got;
    if (got == 0) eof_ = true;
    end_ += static_cast<std::size_t>(got);
  }

  // Splits a record without quotes that ends at least a block before the buffered bytes do, 16 bytes at a time.
  // Returns false, having appended nothing, for anything else (a quote, a blank line, a record near the end of
  // the buffer): parse() then handles it byte by byte.
  // Hot: runs for every field of an unquoted record. flatten keeps the field appends inlined here, whatever the
  // inliner decides for the rest of this file (they were once outlined, costing 6% of a CSV compare).
  [[gnu::flatten]] bool parse_unquoted(std::vector<std::string_view>& fields, std::vector<std::uint8_t>& quoted) {
    const std::size_t first_field = fields.size();
    const char* data = buffer_.data();
    std::size_t field_start = begin_;
    for (std::size_t block = begin_; block + StopBytes::kBlock <= end_; block += StopBytes::kBlock) {
      for (std::uint32_t bits = stop_bytes_.mask(data + block); bits != 0; bits &= bits - 1) {
        const std::size_t at = block + static_cast<std::size_t>(std::countr_zero(bits));
        const char c = data[at];
        if (c == delimiter_) {
          fields.emplace_back(data + field_start, at - field_start);
          field_start = at + 1;
          continue;
        }
        if (c == quote_ || at == begin_ || at + 1 >= end_) {
          fields.resize(first_field);
          return false;
        }
        // The end of the line: '\n', '\r\n' or a lone '\r'.
        fields.emplace_back(data + field_start, at - field_start);
        quoted.resize(quoted.size() + (fields.size() - first_field), 0);
        finish(c == '\r' && data[at + 1] == '\n' ? at + 2 : at + 1, 1);
        return true;
      }
    }
    fields.resize(first_field);
    return false;
  }

  Status parse(std::vector<std::string_view>& fields, std::vector<std::uint8_t>& quoted) {
    if (parse_unquoted(fields, quoted)) return Status::kRecord;
    const std::size_t first_field = fields.size();
    const std::size_t first_quoted = quoted.size();
    const auto need_more = [&] {
      fields.resize(first_field);
      quoted.resize(first_quoted);
      return Status::kNeedMore;
    };
    const char* data = buffer_.data();
    std::size_t pos = begin_;
    std::int64_t newlines = 0;
    if (pos >= end_) return Status::kNeedMore;
    // Blank line.
    if (data[pos] == '\n' || (data[pos] == '\r' && pos + 1 < end_ && data[pos + 1] == '\n')) {
      begin_ = pos + (data[pos] == '\n' ? 1 : 2);
      ++line_;
      return Status::kBlank;
    }
    for (;;) {
      if (pos < end_ && data[pos] == quote_) {
        // Quoted field.
        std::size_t start = pos + 1;
        std::size_t scan = start;
        bool escaped = false;
        for (;;) {
          const void* found = std::memchr(data + scan, quote_, end_ - scan);
          if (!found) return need_more();
          std::size_t at = static_cast<const char*>(found) - data;
          if (at + 1 >= end_ && !eof_) return need_more();
          if (at + 1 < end_ && data[at + 1] == quote_) {
            escaped = true;
            scan = at + 2;
            continue;
          }
          newlines += std::count(data + start, data + at, '\n');
          if (escaped) {
            // A deque never moves its strings, so views into earlier ones stay valid.
            auto& unescaped = arena_.emplace_back();
            for (std::size_t i = start; i < at; ++i) {
              unescaped.push_back(data[i]);
              if (data[i] == quote_) ++i;
            }
            fields.emplace_back(unescaped);
          } else {
            fields.emplace_back(data + start, at - start);
          }
          quoted.push_back(1);
          pos = at + 1;
          break;
        }
        if (pos >= end_) {
          if (!eof_) return need_more();
          return finish(end_, newlines);
        }
        const char next = data[pos];
        if (next == delimiter_) {
          ++pos;
          continue;
        }
        if (next == '\n') return finish(pos + 1, newlines + 1);
        if (next == '\r') {
          if (pos + 1 >= end_ && !eof_) return need_more();
          return finish(pos + 1 < end_ && data[pos + 1] == '\n' ? pos + 2 : pos + 1, newlines + 1);
        }
        throw InputError(fmt::format("{} line {}: field {}: unexpected character '{}' after a closing quote "
                                     "(expected a delimiter or the end of the line)",
                                     path_, line_ + newlines, fields.size() - first_field, next));
      }
      // Unquoted field: scan to the delimiter or the end of the line.
      std::size_t scan = pos;
      while (scan < end_) {
        const char c = data[scan];
        if (c == delimiter_ || c == '\n' || c == '\r') break;
        ++scan;
      }
      if (scan >= end_ && !eof_) return need_more();
      fields.emplace_back(data + pos, scan - pos);
      quoted.push_back(0);
      if (scan >= end_) return finish(end_, newlines);
      const char c = data[scan];
      if (c == delimiter_) {
        pos = scan + 1;
        if (pos >= end_ && eof_) {
          fields.emplace_back();
          quoted.push_back(0);
          return finish(end_, newlines);
        }
        continue;
      }
      if (c == '\n') return finish(scan + 1, newlines + 1);
      if (scan + 1 >= end_ && !eof_) return need_more();
      return finish(scan + 1 < end_ && data[scan + 1] == '\n' ? scan + 2 : scan + 1, newlines + 1);
    }
  }

  Status finish(std::size_t next_begin, std::int64_t newlines) {
    begin_ = next_begin;
    record_line_ = line_;
    line_ += newlines;
    return Status::kRecord;
  }

  std::string path_;
  char delimiter_;
  char quote_;
  StopBytes stop_bytes_;
  std::unique_ptr<RandomAccessFile> file_;
  std::int64_t file_offset_ = 0;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool holding_ = false;  // views handed out since the last release()
  std::int64_t line_ = 1;
  std::int64_t record_line_ = 0;
  std::deque<std::string> arena_;  // unescaped quoted fields
};

// What the sampled values of one column could be.
struct TypeCandidates {
  bool any_value = false;
  bool boolean = true;
  bool integer = true;
  bool floating = true;
  bool date = true;
  bool timestamp = true;
  bool timestamp_has_zone = false;

  void observe(std::string_view text) {
    any_value = true;
    const auto trimmed = trim_spaces(text);
    if (boolean) boolean = parse_boolean(trimmed).has_value();
    std::int64_t integer_value = 0;
    double double_value = 0;
    if (integer) integer = parse_int64(trimmed, integer_value);
    if (floating && !integer) floating = parse_double(trimmed, double_value);
    if (date) date = parse_date(trimmed).has_value();
    if (timestamp) {
      bool has_zone = false;
      timestamp = parse_timestamp_micros(trimmed, &has_zone).has_value();
      timestamp_has_zone = timestamp_has_zone || has_zone;
    }
  }

  DataType decide() const {
    if (!any_value) return DataType::string();
    if (boolean) return DataType::boolean();
    if (integer) return DataType::int64();
    if (floating) return DataType::float64();
    if (date) return DataType::date();
    if (timestamp) return DataType::timestamp(core::TimeUnit::kMicro, timestamp_has_zone);
    return DataType::string();
  }
};

class CsvSource final : public Source {
 public:
  CsvSource(const std::string& path, const SourceOptions& options)
      : options_(options), scanner_(path, options.csv.delimiter, options.csv.quote) {
    null_tokens_ = options_.csv.null_tokens;
    for (const auto& token : null_tokens_) {
      if (token.empty()) {
        empty_is_null_ = true;
      } else {
        null_token_shapes_[static_cast<unsigned char>(token.front())] |= length_bit(token.size());
      }
    }
    read_header();
    infer_types();
  }

  const core::Schema& schema() const override { return projected_schema_; }
  std::string description() const override { return scanner_.path(); }

  std::optional<core::RecordBatch> next() override {
    core::RecordBatch batch;
    batch.schema = projected_schema_;
    batch.columns.reserve(projection_.size());
    string_bytes_hint_.resize(projection_.size());
    for (std::size_t i = 0; i < projection_.size(); ++i) {
      batch.columns.emplace_back(projected_schema_.fields[i].type);
      batch.columns.back().reserve(options_.batch_rows);
      // Text columns: as many bytes as the last batch's, plus some slack, so the buffer rarely regrows.
      batch.columns.back().bytes.reserve(string_bytes_hint_[i] + string_bytes_hint_[i] / 8);
    }
    std::int64_t rows = 0;
    // Rows buffered during type inference come first.
    while (pending_next_ < pending_.size() && rows < options_.batch_rows) {
      const auto& row = pending_[pending_next_];
      std::vector<std::string_view> views(row.fields.begin(), row.fields.end());
      append_row(batch, views, row.quoted, row.line);
      ++pending_next_;
      ++rows;
    }
    if (pending_next_ == pending_.size() && !pending_.empty()) {
      pending_.clear();
      pending_.shrink_to_fit();
      pending_next_ = 0;
    }
    // Then records straight from the file, collected in chunks and converted column by column.
    const std::size_t width = full_schema_.fields.size();
    while (rows < options_.batch_rows && !finished_) {
      const std::size_t before = chunk_fields_.size();
      const auto status = scanner_.next(chunk_fields_, chunk_quoted_);
      if (status == RecordScanner::Next::kMustRelease) {
        convert_chunk(batch);
        continue;
      }
      if (status == RecordScanner::Next::kEnd) {
        finished_ = true;
        break;
      }
      const std::size_t found = chunk_fields_.size() - before;
      if (found != width) {
        // Records before this one may hold an error that comes first.
        chunk_fields_.resize(before);
        chunk_quoted_.resize(before);
        convert_chunk(batch);
        throw width_error(scanner_.record_line(), found);
      }
      chunk_lines_.push_back(scanner_.record_line());
      ++rows;
      if (chunk_lines_.size() == kChunkRecords) convert_chunk(batch);
    }
    convert_chunk(batch);
    if (rows == 0) return std::nullopt;
    batch.num_rows = rows;
    // A column may have widened from int64 to double while filling this batch.
    for (std::size_t i = 0; i < projection_.size(); ++i) {
      batch.schema.fields[i].type = batch.columns[i].type;
      string_bytes_hint_[i] = batch.columns[i].bytes.size();
    }
    return batch;
  }

 private:
  struct PendingRow {
    std::vector<std::string> fields;
    std::vector<std::uint8_t> quoted;
    std::int64_t line;
  };

  // Reads one record on its own into fields_ and quoted_ (header and inference rows, copied before the next).
  bool read_single_record() {
    scanner_.release();
    fields_.clear();
    quoted_.clear();
    return scanner_.next(fields_, quoted_) == RecordScanner::Next::kRecord;
  }

  void read_header() {
    if (!read_single_record()) {
      throw InputError(fmt::format("{}: the file is empty (expected a header row)", scanner_.path()));
    }
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      std::string name = options_.csv.header ? std::string(fields_[i]) : fmt::format("column_{}", i + 1);
      if (i == 0 && name.size() >= 3 && name.compare(0, 3, "\xEF\xBB\xBF") == 0) name.erase(0, 3);  // UTF-8 BOM
      if (options_.csv.header && name.empty()) name = fmt::format("column_{}", i + 1);
      if (!seen.insert(name).second) {
        throw InputError(fmt::format("{} line {}: duplicate column name '{}' in the header", scanner_.path(),
                                     scanner_.record_line(), name));
      }
      full_schema_.fields.push_back(core::Field{name, DataType::string(), true, std::nullopt});
    }
    if (!options_.csv.header) {
      pending_.push_back(PendingRow{{fields_.begin(), fields_.end()}, quoted_, scanner_.record_line()});
    }
  }

  InputError width_error(std::int64_t line, std::size_t found) const {
    return InputError(fmt::format("{} line {}: expected {} fields (as in the header), found {}", scanner_.path(),
                                  line, full_schema_.fields.size(), found));
  }

  // A field is null when it is unquoted and equal to a null token ("" quoted is an empty string). Runs once per
  // field: the shape test stays inline and the token comparisons, rarely reached, are a call.
  [[gnu::always_inline]] bool is_null(std::string_view text, bool quoted) const {
    if (quoted) return false;
    // Most fields (numbers, ordinary categories) differ from every null token in first byte or length.
    if (text.empty()) return empty_is_null_;
    if ((null_token_shapes_[static_cast<unsigned char>(text.front())] & length_bit(text.size())) == 0) return false;
    return is_null_token(text);
  }

  [[gnu::noinline]] bool is_null_token(std::string_view text) const {
    for (const auto& token : null_tokens_) {
      if (text == token) return true;
    }
    return false;
  }

  void infer_types() {
    const std::size_t width = full_schema_.fields.size();
    std::vector<TypeCandidates> candidates(width);
    while (static_cast<std::int64_t>(pending_.size()) < options_.csv.infer_rows) {
      if (!read_single_record()) {
        finished_ = true;
        break;
      }
      if (fields_.size() != full_schema_.fields.size()) throw width_error(scanner_.record_line(), fields_.size());
      pending_.push_back(PendingRow{{fields_.begin(), fields_.end()}, quoted_, scanner_.record_line()});
    }
    for (const auto& row : pending_) {
      for (std::size_t c = 0; c < width; ++c) {
        if (options_.type_overrides.count(full_schema_.fields[c].name)) continue;
        if (!is_null(row.fields[c], row.quoted[c] != 0)) candidates[c].observe(row.fields[c]);
      }
    }
    for (const auto& [name, type] : options_.type_overrides) {
      if (!full_schema_.find(name)) {
        throw core::option_error(scanner_.path() + ": ", core::OptionName{"type_overrides"},
                                 fmt::format(" names column '{}', which is not in the header", name));
      }
    }
    for (std::size_t c = 0; c < width; ++c) {
      auto& field = full_schema_.fields[c];
      auto override_type = options_.type_overrides.find(field.name);
      field.type = override_type != options_.type_overrides.end() ? override_type->second : candidates[c].decide();
    }
    projection_ = resolve_projection(full_schema_, options_.columns, scanner_.path());
    for (auto index : projection_) projected_schema_.fields.push_back(full_schema_.fields[index]);
    scanner_.release();
  }

  void append_row(core::RecordBatch& batch, std::span<const std::string_view> fields,
                  std::span<const std::uint8_t> quoted, std::int64_t line) {
    for (std::size_t i = 0; i < projection_.size(); ++i) {
      const auto column_index = projection_[i];
      append_field(batch.columns[i], i, fields[column_index], quoted[column_index] != 0, line);
    }
  }

  void append_field(core::Column& column, std::size_t i, std::string_view text, bool quoted, std::int64_t line) {
    switch (column.type.id) {
      case TypeId::kString: return append_value<TypeId::kString>(column, i, text, quoted, line);
      case TypeId::kInt64: return append_value<TypeId::kInt64>(column, i, text, quoted, line);
      case TypeId::kFloat64: return append_value<TypeId::kFloat64>(column, i, text, quoted, line);
      case TypeId::kBoolean: return append_value<TypeId::kBoolean>(column, i, text, quoted, line);
      case TypeId::kDate: return append_value<TypeId::kDate>(column, i, text, quoted, line);
      case TypeId::kTimestamp: return append_value<TypeId::kTimestamp>(column, i, text, quoted, line);
      case TypeId::kInt32: return append_value<TypeId::kInt32>(column, i, text, quoted, line);
      case TypeId::kInt16: return append_value<TypeId::kInt16>(column, i, text, quoted, line);
      case TypeId::kInt8: return append_value<TypeId::kInt8>(column, i, text, quoted, line);
      case TypeId::kFloat32: return append_value<TypeId::kFloat32>(column, i, text, quoted, line);
      case TypeId::kDecimal: return append_value<TypeId::kDecimal>(column, i, text, quoted, line);
      default:
        throw InputError(fmt::format("{}: column '{}': type {} cannot be read from CSV", scanner_.path(),
                                     full_schema_.fields[projection_[i]].name, column.type.to_string()));
    }
  }

  // Appends one field of projected column i, whose type is kType (the switch of append_field, resolved once per
  // column of a chunk instead of once per field).
  template <TypeId kType>
  void append_value(core::Column& column, std::size_t i, std::string_view text, bool quoted, std::int64_t line) {
    const auto column_index = projection_[i];
    if (is_null(text, quoted)) {
      column.append_null();
      return;
    }
    if constexpr (kType == TypeId::kString) {
      append_valid_string(column, text);
    } else if constexpr (kType == TypeId::kInt64) {
      const auto trimmed = trim_spaces(text);
      std::int64_t value = 0;
      double widened = 0;
      if (parse_int64(trimmed, value)) {
        append_valid(column, column.ints, value);
      } else if (parse_double(trimmed, widened) &&
                 !options_.type_overrides.count(full_schema_.fields[column_index].name)) {
        widen_to_double(column);
        projected_schema_.fields[i].type = column.type;
        column.append_double(widened);
      } else {
        throw conversion_error(line, column_index, column.type, text);
      }
    } else if constexpr (kType == TypeId::kFloat64) {
      double value = 0;
      if (!parse_double(trim_spaces(text), value)) throw conversion_error(line, column_index, column.type, text);
      append_valid(column, column.doubles, value);
    } else if constexpr (kType == TypeId::kBoolean) {
      auto value = parse_boolean(trim_spaces(text));
      if (!value) throw conversion_error(line, column_index, column.type, text);
      column.append_int(*value ? 1 : 0);
    } else if constexpr (kType == TypeId::kDate) {
      auto value = parse_date(trim_spaces(text));
      if (!value) throw conversion_error(line, column_index, column.type, text);
      column.append_int(*value);
    } else if constexpr (kType == TypeId::kTimestamp) {
      bool has_zone = false;
      auto value = parse_timestamp_micros(trim_spaces(text), &has_zone);
      if (!value) throw conversion_error(line, column_index, column.type, text);
      column.append_int(*value);
    } else if constexpr (kType == TypeId::kInt32 || kType == TypeId::kInt16 || kType == TypeId::kInt8) {
      constexpr int kBits = kType == TypeId::kInt32 ? 32 : kType == TypeId::kInt16 ? 16 : 8;
      constexpr std::int64_t kMax = (std::int64_t{1} << (kBits - 1)) - 1;
      std::int64_t value = 0;
      if (!parse_int64(trim_spaces(text), value)) throw conversion_error(line, column_index, column.type, text);
      if (value < -kMax - 1 || value > kMax) {
        throw range_error(line, column_index, column.type, text, fmt::format("{} to {}", -kMax - 1, kMax));
      }
      column.append_int(value);
    } else if constexpr (kType == TypeId::kFloat32) {
      double value = 0;
      if (!parse_double(trim_spaces(text), value)) throw conversion_error(line, column_index, column.type, text);
      const auto rounded = static_cast<float>(value);
      // A finite value beyond the float range would become an infinity: refused rather than changed.
      if (std::isinf(rounded) && std::isfinite(value)) {
        throw range_error(line, column_index, column.type, text, "magnitude at most 3.4028235e38");
      }
      column.append_double(static_cast<double>(rounded));
    } else if constexpr (kType == TypeId::kDecimal) {
      core::Int128 unscaled = 0;
      switch (core::parse_decimal(trim_spaces(text), column.type.precision, column.type.scale, unscaled)) {
        case core::DecimalParse::kOk: break;
        case core::DecimalParse::kNotANumber: throw conversion_error(line, column_index, column.type, text);
        case core::DecimalParse::kOverflow:
          throw range_error(line, column_index, column.type, text,
                            fmt::format("at most {} digits before the point, rounded half up to {} after it",
                                        column.type.precision - column.type.scale, column.type.scale));
      }
      column.append_decimal(unscaled);
    }
  }

  // Converts the collected records column by column, then lets the scanner reuse its buffer.
  void convert_chunk(core::RecordBatch& batch) {
    const std::size_t records = chunk_lines_.size();
    if (records > 0) {
      chunk_types_.clear();
      for (const auto& column : batch.columns) chunk_types_.push_back(column.type);
      try {
        for (std::size_t i = 0; i < projection_.size(); ++i) convert_column(batch.columns[i], i, records);
      } catch (const InputError&) {
        // Report the error a row-by-row reader meets first: replay the chunk row by row from the types the
        // columns had before it.
        core::RecordBatch replay;
        for (const auto& type : chunk_types_) replay.columns.emplace_back(type);
        const std::size_t width = full_schema_.fields.size();
        for (std::size_t record = 0; record < records; ++record) {
          append_row(replay, std::span(chunk_fields_).subspan(record * width, width),
                     std::span(chunk_quoted_).subspan(record * width, width), chunk_lines_[record]);
        }
        throw;
      }
    }
    chunk_fields_.clear();
    chunk_quoted_.clear();
    chunk_lines_.clear();
    scanner_.release();
  }

  void convert_column(core::Column& column, std::size_t i, std::size_t records) {
    const std::size_t width = full_schema_.fields.size();
    const auto column_index = projection_[i];
    auto convert = [&]<TypeId kType>(std::size_t from) {
      for (std::size_t record = from; record < records; ++record) {
        const std::size_t at = record * width + column_index;
        append_value<kType>(column, i, chunk_fields_[at], chunk_quoted_[at] != 0, chunk_lines_[record]);
        // An int64 column widened to double by this value: the rest of the chunk is doubles.
        if (kType == TypeId::kInt64 && column.type.id != TypeId::kInt64) return record + 1;
      }
      return records;
    };
    switch (column.type.id) {
      case TypeId::kString:
        convert.template operator()<TypeId::kString>(0);
        break;
      case TypeId::kFloat64:
        convert.template operator()<TypeId::kFloat64>(0);
        break;
      case TypeId::kInt64: {
        const std::size_t widened_at = convert.template operator()<TypeId::kInt64>(0);
        if (widened_at < records) convert.template operator()<TypeId::kFloat64>(widened_at);
        break;
      }
      default:
        for (std::size_t record = 0; record < records; ++record) {
          const std::size_t at = record * width + column_index;
          append_field(column, i, chunk_fields_[at], chunk_quoted_[at] != 0, chunk_lines_[record]);
        }
        break;
    }
  }

  // Column::append_int/append_double/append_string, inlined for the per-field loop: the value, then the
  // validity byte (kept only once the column has had a null) and the length.
  template <typename Value>
  static void append_valid(core::Column& column, std::vector<Value>& values, Value value) {
    values.push_back(value);
    if (!column.validity.empty()) column.validity.push_back(1);
    ++column.length;
  }

  static void append_valid_string(core::Column& column, std::string_view text) {
    column.bytes.append(text);
    append_valid(column, column.offsets, static_cast<std::int64_t>(column.bytes.size()));
  }

  static void widen_to_double(core::Column& column) {
    column.doubles.reserve(column.ints.capacity());
    for (auto value : column.ints) column.doubles.push_back(static_cast<double>(value));
    column.ints.clear();
    column.type = DataType::float64();
  }

  // Error paths stay out of line, so the per-field loops that call them keep their inlining.
  [[gnu::cold, gnu::noinline]] InputError conversion_error(std::int64_t line, std::size_t column_index, const DataType& type,
                              std::string_view text) const {
    const auto& name = full_schema_.fields[column_index].name;
    const bool overridden = options_.type_overrides.count(name) > 0;
    const auto type_name = type.to_string();
    const bool vowel = !type_name.empty() && std::string_view("aeiou").find(type_name.front()) != std::string_view::npos;
    const auto found = fmt::format("{} line {}: column '{}': expected {} {} value (", scanner_.path(), line, name,
                                   vowel ? "an" : "a", type_name);
    const auto rest = fmt::format("), found '{}'; set the column's type with ", text.substr(0, 80));
    const core::OptionName string_type{"type_overrides", name, "string"};
    const auto advice = " or list the text as a null token";
    if (overridden) {
      return core::option_error(found, "set by ", core::OptionName{"type_overrides"}, rest, string_type, advice);
    }
    return core::option_error(found, fmt::format("inferred from the first {} rows", options_.csv.infer_rows), rest,
                              string_type, advice);
  }

  [[gnu::cold, gnu::noinline]] InputError range_error(std::int64_t line, std::size_t column_index, const DataType& type, std::string_view text,
                         const std::string& range) const {
    const auto& name = full_schema_.fields[column_index].name;
    return core::option_error(fmt::format("{} line {}: column '{}': '{}' is out of range for {} ({}); choose a wider "
                                          "type with ",
                                          scanner_.path(), line, name, text.substr(0, 80), type.to_string(), range),
                              core::OptionName{"type_overrides", name, "TYPE"});
  }

  SourceOptions options_;
  RecordScanner scanner_;
  std::vector<std::string> null_tokens_;  // few: a linear scan beats hashing a copy of every field
  // Per first byte, one bit per length (lengths from 63 on share the top bit) of the null tokens starting with it.
  std::array<std::uint64_t, 256> null_token_shapes_{};
  static std::uint64_t length_bit(std::size_t length) { return std::uint64_t{1} << std::min<std::size_t>(length, 63); }
  bool empty_is_null_ = false;
  core::Schema full_schema_;
  core::Schema projected_schema_;
  std::vector<std::size_t> projection_;
  std::vector<std::string_view> fields_;  // one record (header, inference)
  std::vector<std::uint8_t> quoted_;
  // Records collected from the scanner, converted column by column once kChunkRecords are in (or the scanner
  // must move its buffer): fields and quoted flags record after record, and each record's line.
  // Small enough that a chunk's field views and text stay in L2 while it is read column by column.
  static constexpr std::size_t kChunkRecords = 512;
  std::vector<std::string_view> chunk_fields_;
  std::vector<std::uint8_t> chunk_quoted_;
  std::vector<std::int64_t> chunk_lines_;
  std::vector<DataType> chunk_types_;
  std::vector<PendingRow> pending_;
  std::size_t pending_next_ = 0;
  std::vector<std::size_t> string_bytes_hint_;  // per projected column: text bytes in the last batch
  bool finished_ = false;
};

bool has_csv_extension(const std::string& location) {
  const auto extension = lowercase_extension(location);
  return extension == ".csv" || extension == ".tsv" || extension == ".txt";
}

}  // namespace

std::unique_ptr<Source> open_csv(const std::string& path, const SourceOptions& options) {
  options.validate();
  auto adjusted = options;
  if (lowercase_extension(path) == ".tsv" && adjusted.csv.delimiter == ',') {
    adjusted.csv.delimiter = '\t';
  }
  if (local_storage().is_folder(path)) {
    throw InputError(fmt::format("{}: is a directory, expected a CSV file", path));
  }
  return std::make_unique<CsvSource>(path, adjusted);
}

void register_csv_format(SourceRegistry& registry) {
  registry.add(SourceFormat{
      "csv",
      [](const std::string& location) { return has_csv_extension(location); },
      [](const std::string& location, const SourceOptions& options) { return open_csv(location, options); }});
}

}  // namespace driftgov::io
