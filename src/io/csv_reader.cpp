#include "driftgov/io/csv_reader.hpp"

#include <fast_float/fast_float.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "driftgov/core/error.hpp"
#include "io/text_values.hpp"

namespace driftgov::io {
namespace {

using core::DataType;
using core::InputError;
using core::TypeId;

// Reads a file through a growable buffer and splits it into records without copying field text,
// except for quoted fields with escaped quotes, which are unescaped into a per-record arena.
class RecordScanner {
 public:
  RecordScanner(std::string path, char delimiter, char quote)
      : path_(std::move(path)), delimiter_(delimiter), quote_(quote) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      throw InputError(fmt::format("{}: cannot open: {}", path_, std::strerror(errno)));
    }
    buffer_.resize(kInitialBuffer);
  }
  ~RecordScanner() {
    if (fd_ >= 0) ::close(fd_);
  }
  RecordScanner(const RecordScanner&) = delete;
  RecordScanner& operator=(const RecordScanner&) = delete;

  // Per field of the last record: 1 when the field was quoted (a quoted field is never a null token).
  const std::vector<std::uint8_t>& quoted() const { return quoted_; }

  // Fills `fields` with the next non-blank record. Returns false at end of file.
  bool next(std::vector<std::string_view>& fields) {
    for (;;) {
      if (begin_ >= end_ && eof_) return false;
      const auto status = parse(fields);
      if (status == Status::kRecord) return true;
      if (status == Status::kBlank) continue;
      // kNeedMore: the record runs past the buffered bytes.
      if (eof_) {
        // Only an unterminated quoted field can need more at end of file.
        throw InputError(fmt::format("{} line {}: quoted field is not closed before the end of the file", path_,
                                     record_line_));
      }
      refill();
    }
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
    const auto got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (got < 0) throw InputError(fmt::format("{}: read failed: {}", path_, std::strerror(errno)));
    if (got == 0) eof_ = true;
    end_ += static_cast<std::size_t>(got);
  }

  Status parse(std::vector<std::string_view>& fields) {
    fields.clear();
    quoted_.clear();
    arena_.clear();
    // Views into the arena are fixed up after parsing, since the arena may reallocate.
    arena_fields_.clear();
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
          if (!found) return Status::kNeedMore;
          std::size_t at = static_cast<const char*>(found) - data;
          if (at + 1 >= end_ && !eof_) return Status::kNeedMore;
          if (at + 1 < end_ && data[at + 1] == quote_) {
            escaped = true;
            scan = at + 2;
            continue;
          }
          newlines += std::count(data + start, data + at, '\n');
          if (escaped) {
            const std::size_t arena_start = arena_.size();
            for (std::size_t i = start; i < at; ++i) {
              arena_.push_back(data[i]);
              if (data[i] == quote_) ++i;
            }
            arena_fields_.push_back({fields.size(), arena_start, arena_.size() - arena_start});
            fields.emplace_back();
          } else {
            fields.emplace_back(data + start, at - start);
          }
          quoted_.push_back(1);
          pos = at + 1;
          break;
        }
        if (pos >= end_) {
          if (!eof_) return Status::kNeedMore;
          return finish(fields, end_, newlines);
        }
        const char next = data[pos];
        if (next == delimiter_) {
          ++pos;
          continue;
        }
        if (next == '\n') return finish(fields, pos + 1, newlines + 1);
        if (next == '\r') {
          if (pos + 1 >= end_ && !eof_) return Status::kNeedMore;
          return finish(fields, pos + 1 < end_ && data[pos + 1] == '\n' ? pos + 2 : pos + 1, newlines + 1);
        }
        throw InputError(fmt::format("{} line {}: field {}: unexpected character '{}' after a closing quote "
                                     "(expected a delimiter or the end of the line)",
                                     path_, line_ + newlines, fields.size(), next));
      }
      // Unquoted field: scan to the delimiter or the end of the line.
      std::size_t scan = pos;
      while (scan < end_) {
        const char c = data[scan];
        if (c == delimiter_ || c == '\n' || c == '\r') break;
        ++scan;
      }
      if (scan >= end_ && !eof_) return Status::kNeedMore;
      fields.emplace_back(data + pos, scan - pos);
      quoted_.push_back(0);
      if (scan >= end_) return finish(fields, end_, newlines);
      const char c = data[scan];
      if (c == delimiter_) {
        pos = scan + 1;
        if (pos >= end_ && eof_) {
          fields.emplace_back();
          quoted_.push_back(0);
          return finish(fields, end_, newlines);
        }
        continue;
      }
      if (c == '\n') return finish(fields, scan + 1, newlines + 1);
      if (scan + 1 >= end_ && !eof_) return Status::kNeedMore;
      return finish(fields, scan + 1 < end_ && data[scan + 1] == '\n' ? scan + 2 : scan + 1, newlines + 1);
    }
  }

  Status finish(std::vector<std::string_view>& fields, std::size_t next_begin, std::int64_t newlines) {
    for (const auto& fixup : arena_fields_) {
      fields[fixup.field] = std::string_view(arena_.data() + fixup.offset, fixup.length);
    }
    begin_ = next_begin;
    record_line_ = line_;
    line_ += newlines;
    return Status::kRecord;
  }

  struct ArenaField {
    std::size_t field;
    std::size_t offset;
    std::size_t length;
  };

  std::string path_;
  char delimiter_;
  char quote_;
  int fd_ = -1;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::int64_t line_ = 1;
  std::int64_t record_line_ = 0;
  std::string arena_;
  std::vector<ArenaField> arena_fields_;
  std::vector<std::uint8_t> quoted_;  // per field of the last record: 1 when it was quoted
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
    if (integer) integer = parse_int64(trimmed).has_value();
    if (floating && !integer) floating = parse_double(trimmed).has_value();
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
        null_token_first_bytes_[static_cast<unsigned char>(token.front())] = true;
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
    for (std::size_t i = 0; i < projection_.size(); ++i) {
      batch.columns.emplace_back(projected_schema_.fields[i].type);
      batch.columns.back().reserve(options_.batch_rows);
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
    while (rows < options_.batch_rows && !finished_) {
      if (!scanner_.next(fields_)) {
        finished_ = true;
        break;
      }
      check_width(fields_, scanner_.record_line());
      append_row(batch, fields_, scanner_.quoted(), scanner_.record_line());
      ++rows;
    }
    if (rows == 0) return std::nullopt;
    batch.num_rows = rows;
    // A column may have widened from int64 to double while filling this batch.
    for (std::size_t i = 0; i < projection_.size(); ++i) batch.schema.fields[i].type = batch.columns[i].type;
    return batch;
  }

 private:
  struct PendingRow {
    std::vector<std::string> fields;
    std::vector<std::uint8_t> quoted;
    std::int64_t line;
  };

  void read_header() {
    if (!scanner_.next(fields_)) {
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
      pending_.push_back(PendingRow{{fields_.begin(), fields_.end()}, scanner_.quoted(), scanner_.record_line()});
    }
  }

  void check_width(const std::vector<std::string_view>& fields, std::int64_t line) const {
    if (fields.size() != full_schema_.fields.size()) {
      throw InputError(fmt::format("{} line {}: expected {} fields (as in the header), found {}", scanner_.path(), line,
                                   full_schema_.fields.size(), fields.size()));
    }
  }

  // A field is null when it is unquoted and equal to a null token ("" quoted is an empty string).
  bool is_null(std::string_view text, bool quoted) const {
    if (quoted) return false;
    // Most fields (numbers, ordinary categories) start with a byte no null token starts with.
    if (text.empty()) return empty_is_null_;
    if (!null_token_first_bytes_[static_cast<unsigned char>(text.front())]) return false;
    for (const auto& token : null_tokens_) {
      if (text == token) return true;
    }
    return false;
  }

  void infer_types() {
    const std::size_t width = full_schema_.fields.size();
    std::vector<TypeCandidates> candidates(width);
    while (static_cast<std::int64_t>(pending_.size()) < options_.csv.infer_rows) {
      if (!scanner_.next(fields_)) {
        finished_ = true;
        break;
      }
      check_width(fields_, scanner_.record_line());
      pending_.push_back(PendingRow{{fields_.begin(), fields_.end()}, scanner_.quoted(), scanner_.record_line()});
    }
    for (const auto& row : pending_) {
      for (std::size_t c = 0; c < width; ++c) {
        if (options_.type_overrides.count(full_schema_.fields[c].name)) continue;
        if (!is_null(row.fields[c], row.quoted[c] != 0)) candidates[c].observe(row.fields[c]);
      }
    }
    for (const auto& [name, type] : options_.type_overrides) {
      if (!full_schema_.find(name)) {
        throw InputError(fmt::format("{}: --type names column '{}', which is not in the header", scanner_.path(),
                                     name));
      }
    }
    for (std::size_t c = 0; c < width; ++c) {
      auto& field = full_schema_.fields[c];
      auto override_type = options_.type_overrides.find(field.name);
      field.type = override_type != options_.type_overrides.end() ? override_type->second : candidates[c].decide();
    }
    projection_ = resolve_projection(full_schema_, options_.columns, scanner_.path());
    for (auto index : projection_) projected_schema_.fields.push_back(full_schema_.fields[index]);
  }

  void append_row(core::RecordBatch& batch, const std::vector<std::string_view>& fields,
                  const std::vector<std::uint8_t>& quoted, std::int64_t line) {
    for (std::size_t i = 0; i < projection_.size(); ++i) {
      const auto column_index = projection_[i];
      const std::string_view text = fields[column_index];
      auto& column = batch.columns[i];
      if (is_null(text, quoted[column_index] != 0)) {
        column.append_null();
        continue;
      }
      switch (column.type.id) {
        case TypeId::kString:
          column.append_string(text);
          break;
        case TypeId::kInt64: {
          const auto trimmed = trim_spaces(text);
          if (auto value = parse_int64(trimmed)) {
            column.append_int(*value);
          } else if (auto widened = parse_double(trimmed);
                     widened && !options_.type_overrides.count(full_schema_.fields[column_index].name)) {
            widen_to_double(column);
            projected_schema_.fields[i].type = column.type;
            column.append_double(*widened);
          } else {
            throw conversion_error(line, column_index, column.type, text);
          }
          break;
        }
        case TypeId::kFloat64: {
          auto value = parse_double(trim_spaces(text));
          if (!value) throw conversion_error(line, column_index, column.type, text);
          column.append_double(*value);
          break;
        }
        case TypeId::kBoolean: {
          auto value = parse_boolean(trim_spaces(text));
          if (!value) throw conversion_error(line, column_index, column.type, text);
          column.append_int(*value ? 1 : 0);
          break;
        }
        case TypeId::kDate: {
          auto value = parse_date(trim_spaces(text));
          if (!value) throw conversion_error(line, column_index, column.type, text);
          column.append_int(*value);
          break;
        }
        case TypeId::kTimestamp: {
          bool has_zone = false;
          auto value = parse_timestamp_micros(trim_spaces(text), &has_zone);
          if (!value) throw conversion_error(line, column_index, column.type, text);
          column.append_int(*value);
          break;
        }
        case TypeId::kInt32: {
          auto value = parse_int64(trim_spaces(text));
          if (!value || *value < INT32_MIN || *value > INT32_MAX) {
            throw conversion_error(line, column_index, column.type, text);
          }
          column.append_int(*value);
          break;
        }
        default:
          throw InputError(fmt::format("{}: column '{}': type {} cannot be read from CSV", scanner_.path(),
                                       full_schema_.fields[column_index].name, column.type.to_string()));
      }
    }
  }

  static void widen_to_double(core::Column& column) {
    column.doubles.reserve(column.ints.capacity());
    for (auto value : column.ints) column.doubles.push_back(static_cast<double>(value));
    column.ints.clear();
    column.type = DataType::float64();
  }

  InputError conversion_error(std::int64_t line, std::size_t column_index, const DataType& type,
                              std::string_view text) const {
    const auto& name = full_schema_.fields[column_index].name;
    const bool overridden = options_.type_overrides.count(name) > 0;
    return InputError(fmt::format(
        "{} line {}: column '{}': expected a {} value ({}), found '{}'; set the column's type with --type {}=string "
        "or list the text as a null token",
        scanner_.path(), line, name, type.to_string(),
        overridden ? std::string("set by --type")
                   : fmt::format("inferred from the first {} rows", options_.csv.infer_rows),
        text.substr(0, 80), name));
  }

  SourceOptions options_;
  RecordScanner scanner_;
  std::vector<std::string> null_tokens_;  // few: a linear scan beats hashing a copy of every field
  std::array<bool, 256> null_token_first_bytes_{};
  bool empty_is_null_ = false;
  core::Schema full_schema_;
  core::Schema projected_schema_;
  std::vector<std::size_t> projection_;
  std::vector<std::string_view> fields_;
  std::vector<PendingRow> pending_;
  std::size_t pending_next_ = 0;
  bool finished_ = false;
};

bool has_csv_extension(const std::string& location) {
  auto extension = std::filesystem::path(location).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return extension == ".csv" || extension == ".tsv" || extension == ".txt";
}

}  // namespace

std::unique_ptr<Source> open_csv(const std::string& path, const SourceOptions& options) {
  auto adjusted = options;
  if (std::filesystem::path(path).extension() == ".tsv" && adjusted.csv.delimiter == ',') {
    adjusted.csv.delimiter = '\t';
  }
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
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
