#include "driftgov/monitor/delta_source.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "delta/json_columns.hpp"
#include "delta/row_selection.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/deletion_vector.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/parquet/reader.hpp"


namespace driftgov::monitor {
namespace {

using core::TypeId;

core::Column null_column(const core::DataType& type, std::int64_t rows) {
  auto column = delta::make_column(type);
  for (std::int64_t i = 0; i < rows; ++i) column.append_null();
  return column;
}

bool same_name_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Finds the file's field for a physical field: by field id in id mode, else by name (exact, then ignoring case,
// as Spark resolves Parquet columns).
std::optional<std::size_t> find_file_field(const std::vector<core::Field>& file_fields, const core::Field& physical,
                                           bool by_id) {
  if (by_id && physical.field_id) {
    for (std::size_t i = 0; i < file_fields.size(); ++i) {
      if (file_fields[i].field_id == physical.field_id) return i;
    }
  }
  for (std::size_t i = 0; i < file_fields.size(); ++i) {
    if (file_fields[i].name == physical.name) return i;
  }
  for (std::size_t i = 0; i < file_fields.size(); ++i) {
    if (same_name_ignoring_case(file_fields[i].name, physical.name)) return i;
  }
  return std::nullopt;
}

core::Int128 power_of_ten(int exponent) {
  core::Int128 value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

std::int64_t timestamp_factor(core::TimeUnit unit) {
  return unit == core::TimeUnit::kMilli ? 1000 : unit == core::TimeUnit::kMicro ? 1000000 : 1000000000;
}

// Turns a column read from a data file into the table's logical type: nested names from physical to logical,
// missing nested fields as nulls, and the widenings Delta allows (type widening, Parquet's narrower encodings).
core::Column adapt(core::Column column, const core::DataType& logical, const core::DataType& physical, bool by_id,
                   const std::string& context) {
  const auto refuse = [&] {
    return core::InputError(fmt::format("{}: the data file holds {} where the table declares {}", context,
                                        column.type.to_string(), logical.to_string()));
  };
  if (column.type.id == TypeId::kNull) return null_column(logical, column.length);
  switch (logical.id) {
    case TypeId::kStruct: {
      if (column.type.id != TypeId::kStruct) throw refuse();
      core::Column out(logical);
      out.length = column.length;
      out.validity = std::move(column.validity);
      for (std::size_t i = 0; i < logical.children.size(); ++i) {
        const auto found = find_file_field(column.type.children, physical.children[i], by_id);
        const std::string child_context = context + "." + logical.children[i].name;
        out.children.push_back(found ? adapt(std::move(column.children[*found]), logical.children[i].type,
                                             physical.children[i].type, by_id, child_context)
                                     : null_column(logical.children[i].type, column.length));
      }
      return out;
    }
    case TypeId::kList: {
      if (column.type.id != TypeId::kList) throw refuse();
      column.children[0] = adapt(std::move(column.children[0]), logical.children[0].type, physical.children[0].type,
                                 by_id, context + ".element");
      column.type = logical;
      return column;
    }
    case TypeId::kMap: {
      if (column.type.id != TypeId::kMap) throw refuse();
      auto& entries = column.children[0];
      for (std::size_t i = 0; i < 2; ++i) {
        entries.children[i] = adapt(std::move(entries.children[i]), logical.children[i].type,
                                    physical.children[i].type, by_id, context + (i == 0 ? ".key" : ".value"));
      }
      entries.type.children = logical.children;
      column.type = logical;
      return column;
    }
    default:
      break;
  }
  const auto& from = column.type;
  if (from == logical) return column;
  if ((logical.is_integer() && from.is_integer()) || (logical.is_floating() && from.is_floating()) ||
      ((logical.id == TypeId::kString || logical.id == TypeId::kBinary) &&
       (from.id == TypeId::kString || from.id == TypeId::kBinary))) {
    column.type = logical;  // same storage
    return column;
  }
  if (logical.is_floating() && from.is_integer()) {
    column.doubles.assign(column.ints.begin(), column.ints.end());
    column.ints.clear();
    column.type = logical;
    return column;
  }
  if (logical.id == TypeId::kDecimal && (from.id == TypeId::kDecimal || from.is_integer()) &&
      logical.scale >= from.scale) {
    const auto factor = power_of_ten(logical.scale - (from.id == TypeId::kDecimal ? from.scale : 0));
    if (from.is_integer()) column.decimals.assign(column.ints.begin(), column.ints.end());
    for (auto& value : column.decimals) value *= factor;
    column.ints.clear();
    column.type = logical;
    return column;
  }
  if (logical.id == TypeId::kTimestamp && from.id == TypeId::kTimestamp) {
    const auto to = timestamp_factor(logical.unit);
    const auto source = timestamp_factor(from.unit);
    for (auto& value : column.ints) value = to >= source ? value * (to / source) : value / (source / to);
    column.type = logical;
    return column;
  }
  if (logical.id == TypeId::kTimestamp && from.id == TypeId::kDate) {
    for (auto& value : column.ints) value *= 86400LL * timestamp_factor(logical.unit);
    column.type = logical;
    return column;
  }
  throw refuse();
}

class DeltaSource : public io::Source {
 public:
  DeltaSource(const std::string& location, const io::SourceOptions& options, std::vector<delta::ColumnRange> ranges)
      : DeltaSource(delta::parse_table_location(location), options, std::move(ranges)) {}
  DeltaSource(const delta::TableLocation& location, const io::SourceOptions& options,
              std::vector<delta::ColumnRange> ranges)
      : DeltaSource(location, delta::Snapshot::load(location), options) {
    files_ = delta::files_overlapping(snapshot_, ranges);
  }
  // Reads exactly `files` of `snapshot`.
  DeltaSource(delta::TableLocation location, delta::Snapshot snapshot, const io::SourceOptions& options,
              std::vector<const delta::AddFile*> files)
      : DeltaSource(std::move(location), std::move(snapshot), options) {
    files_ = std::move(files);
  }

 private:
  DeltaSource(delta::TableLocation location, delta::Snapshot snapshot, const io::SourceOptions& options)
      : location_(std::move(location)), snapshot_(std::move(snapshot)) {
    const auto& table = snapshot_.schema();
    physical_ = delta::physical_schema(table, snapshot_.column_mapping_mode());
    selected_ = io::resolve_projection(table.schema, options.columns,
                                       location_.text.empty() ? location_.path : location_.text);
    for (const auto index : selected_) schema_.fields.push_back(table.schema.fields[index]);
    description_ = fmt::format("{}@v={}", location_.path, snapshot_.version());
  }

 public:

  const core::Schema& schema() const override { return schema_; }
  std::string description() const override { return description_; }

  std::optional<core::RecordBatch> next() override {
    while (true) {
      if (reader_ && row_group_ < reader_->num_row_groups()) {
        auto batch = read_next_row_group();
        if (batch.num_rows > 0 || schema_.fields.empty()) return batch;
        continue;
      }
      if (file_index_ >= files_.size()) return std::nullopt;
      open_file(*files_[file_index_++]);
    }
  }

 private:
  void open_file(const delta::AddFile& file) {
    current_ = &file;
    const auto path = snapshot_.file_path(file);
    reader_ = std::make_unique<parquet::FileReader>(parquet::FileReader::open(path.string()));
    row_group_ = 0;
    file_row_ = 0;
    partition_values_ = snapshot_.logical_partition_values(file);
    deleted_ = file.deletion_vector
                   ? delta::load_deletion_vector(*file.deletion_vector, snapshot_.table_root(), path.string())
                   : delta::DeletionVector();
    // Where each selected logical column comes from in this file.
    const bool by_id = snapshot_.column_mapping_mode() == delta::ColumnMappingMode::kId;
    file_fields_.clear();
    file_columns_.clear();
    for (const auto index : selected_) {
      const auto& name = snapshot_.schema().schema.fields[index].name;
      const auto& partitions = snapshot_.metadata().partition_columns;
      if (std::find(partitions.begin(), partitions.end(), name) != partitions.end()) {
        file_fields_.push_back(std::nullopt);
        continue;
      }
      const auto found = find_file_field(reader_->schema().fields, physical_.fields[index], by_id);
      if (found) {
        file_fields_.push_back(file_columns_.size());
        file_columns_.push_back(*found);
      } else {
        file_fields_.push_back(std::nullopt);
      }
    }
  }

  core::RecordBatch read_next_row_group() {
    const auto rows = reader_->row_group_num_rows(row_group_);
    core::RecordBatch raw;
    if (!file_columns_.empty()) raw = reader_->read_row_group(row_group_, file_columns_);
    ++row_group_;
    const auto path = snapshot_.file_path(*current_).string();
    core::RecordBatch batch;
    batch.schema = schema_;
    batch.num_rows = rows;
    const bool by_id = snapshot_.column_mapping_mode() == delta::ColumnMappingMode::kId;
    for (std::size_t i = 0; i < selected_.size(); ++i) {
      const auto& field = snapshot_.schema().schema.fields[selected_[i]];
      if (file_fields_[i]) {
        batch.columns.push_back(adapt(std::move(raw.columns[*file_fields_[i]]), field.type,
                                      physical_.fields[selected_[i]].type, by_id,
                                      fmt::format("{}: column '{}'", path, field.name)));
      } else if (auto value = partition_values_.find(field.name); value != partition_values_.end()) {
        batch.columns.push_back(delta::partition_value_column(field, value->second, rows, path));
      } else {
        batch.columns.push_back(null_column(field.type, rows));  // a column added after the file was written
      }
    }
    const std::int64_t first_row = file_row_;
    file_row_ += rows;
    if (deleted_.cardinality() == 0) return batch;
    std::vector<std::int64_t> kept;
    kept.reserve(static_cast<std::size_t>(rows));
    for (std::int64_t row = 0; row < rows; ++row) {
      if (!deleted_.contains(static_cast<std::uint64_t>(first_row + row))) kept.push_back(row);
    }
    if (static_cast<std::int64_t>(kept.size()) == rows) return batch;
    return delta::take_rows(batch, kept);
  }

  delta::TableLocation location_;
  delta::Snapshot snapshot_;
  core::Schema physical_;
  std::vector<std::size_t> selected_;
  core::Schema schema_;
  std::vector<const delta::AddFile*> files_;
  std::string description_;
  std::size_t file_index_ = 0;
  const delta::AddFile* current_ = nullptr;
  std::unique_ptr<parquet::FileReader> reader_;
  int row_group_ = 0;
  std::int64_t file_row_ = 0;
  delta::PartitionValues partition_values_;
  delta::DeletionVector deleted_;
  std::vector<std::optional<std::size_t>> file_fields_;  // per selected column: index into file_columns_
  std::vector<std::size_t> file_columns_;                // file field indices read
};

}  // namespace

std::unique_ptr<io::Source> open_delta_source(const std::string& location, const io::SourceOptions& options,
                                              std::vector<delta::ColumnRange> ranges) {
  return std::make_unique<DeltaSource>(location, options, std::move(ranges));
}

std::vector<core::RecordBatch> read_delta_file(const delta::Snapshot& snapshot, const delta::AddFile& file) {
  delta::TableLocation location;
  location.path = snapshot.table_root().string();
  DeltaSource source(location, snapshot, io::SourceOptions{}, {&file});
  std::vector<core::RecordBatch> batches;
  while (auto batch = source.next()) batches.push_back(std::move(*batch));
  return batches;
}

void register_delta_format(io::SourceRegistry& registry) {
  registry.add(io::SourceFormat{
      "delta", [](const std::string& location) { return delta::is_delta_table(location); },
      [](const std::string& location, const io::SourceOptions& options) { return open_delta_source(location, options); }});
}

}  // namespace driftgov::monitor
