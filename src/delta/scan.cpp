#include "driftgov/delta/scan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "delta/json_columns.hpp"
#include "delta/row_selection.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/deletion_vector.hpp"
#include "driftgov/io/source.hpp"
#include "driftgov/parquet/reader.hpp"

namespace driftgov::delta {
namespace {

using core::TypeId;

core::Column null_column(const core::DataType& type, std::int64_t rows) {
  auto column = make_column(type);
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

}  // namespace

struct Scan::State {
  const Snapshot* snapshot = nullptr;
  core::Schema physical;               // the table's physical schema (column mapping)
  std::vector<std::size_t> selected;   // projected columns: indices into the table's schema
  core::Schema schema;                 // the projected logical schema
  std::vector<const AddFile*> files;
  bool by_id = false;                  // column mapping id mode: file columns found by field id
  std::size_t file_index = 0;
  std::int64_t files_opened = 0;
  const AddFile* current = nullptr;
  std::string current_path;
  std::unique_ptr<parquet::FileReader> reader;
  int row_group = 0;
  std::int64_t file_row = 0;
  PartitionValues partition_values;
  DeletionVector deleted;
  std::vector<std::optional<std::size_t>> file_fields;  // per selected column: index into file_columns
  std::vector<std::size_t> file_columns;                // file field indices read

  void open_file(const AddFile& file);
  core::RecordBatch read_next_row_group();
};

Scan::Scan(const Snapshot& snapshot, ScanOptions options) : state_(std::make_unique<State>()) {
  auto& state = *state_;
  state.snapshot = &snapshot;
  const auto& table = snapshot.schema();
  const auto& table_name = snapshot.table_root();
  state.physical = physical_schema(table, snapshot.column_mapping_mode());
  state.by_id = snapshot.column_mapping_mode() == ColumnMappingMode::kId;
  state.selected = io::resolve_projection(table.schema, options.columns, table_name);
  for (const auto index : state.selected) state.schema.fields.push_back(table.schema.fields[index]);

  std::optional<BoundPredicate> predicate;
  if (options.predicate) {
    predicate.emplace(*options.predicate, table.schema, table_name + ": scan predicate");
    for (auto& range : predicate->ranges()) options.ranges.push_back(std::move(range));
  }
  for (const auto* file : files_overlapping(snapshot, options.ranges)) {
    if (options.file_keys && !options.file_keys->contains(file->key())) continue;
    if (predicate &&
        !partition_may_match(*predicate, table.schema, snapshot.logical_partition_values(*file), file->path)) {
      continue;
    }
    state.files.push_back(file);
  }
}

Scan::Scan(Scan&&) noexcept = default;
Scan& Scan::operator=(Scan&&) noexcept = default;
Scan::~Scan() = default;

const Snapshot& Scan::snapshot() const { return *state_->snapshot; }
const core::Schema& Scan::schema() const { return state_->schema; }
const std::vector<const AddFile*>& Scan::files() const { return state_->files; }
const AddFile* Scan::current_file() const { return state_->current; }
std::int64_t Scan::files_opened() const { return state_->files_opened; }

std::optional<core::RecordBatch> Scan::next() {
  auto& state = *state_;
  while (true) {
    if (state.reader && state.row_group < state.reader->num_row_groups()) {
      auto batch = state.read_next_row_group();
      if (batch.num_rows > 0 || state.schema.fields.empty()) return batch;
      continue;
    }
    if (state.file_index >= state.files.size()) return std::nullopt;
    state.open_file(*state.files[state.file_index++]);
  }
}

void Scan::State::open_file(const AddFile& file) {
  current = &file;
  current_path = snapshot->file_path(file);
  parquet::ReaderOptions options;
  options.storage = &snapshot->storage();
  reader = std::make_unique<parquet::FileReader>(parquet::FileReader::open(current_path, options));
  ++files_opened;
  row_group = 0;
  file_row = 0;
  partition_values = snapshot->logical_partition_values(file);
  deleted = file.deletion_vector ? load_deletion_vector(*file.deletion_vector, snapshot->table_root(), current_path,
                                                         snapshot->storage())
                                 : DeletionVector();
  // Where each selected logical column comes from in this file.
  file_fields.clear();
  file_columns.clear();
  const auto& partitions = snapshot->metadata().partition_columns;
  for (const auto index : selected) {
    const auto& name = snapshot->schema().schema.fields[index].name;
    if (std::find(partitions.begin(), partitions.end(), name) != partitions.end()) {
      file_fields.push_back(std::nullopt);
      continue;
    }
    const auto found = find_file_field(reader->schema().fields, physical.fields[index], by_id);
    if (found) {
      file_fields.push_back(file_columns.size());
      file_columns.push_back(*found);
    } else {
      file_fields.push_back(std::nullopt);
    }
  }
}

core::RecordBatch Scan::State::read_next_row_group() {
  const auto rows = reader->row_group_num_rows(row_group);
  core::RecordBatch raw;
  if (!file_columns.empty()) raw = reader->read_row_group(row_group, file_columns);
  ++row_group;
  core::RecordBatch batch;
  batch.schema = schema;
  batch.num_rows = rows;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto& field = snapshot->schema().schema.fields[selected[i]];
    if (file_fields[i]) {
      batch.columns.push_back(adapt(std::move(raw.columns[*file_fields[i]]), field.type,
                                    physical.fields[selected[i]].type, by_id,
                                    fmt::format("{}: column '{}'", current_path, field.name)));
    } else if (auto value = partition_values.find(field.name); value != partition_values.end()) {
      batch.columns.push_back(partition_value_column(field, value->second, rows, current_path));
    } else {
      batch.columns.push_back(null_column(field.type, rows));  // a column added after the file was written
    }
  }
  const std::int64_t first_row = file_row;
  file_row += rows;
  if (deleted.cardinality() == 0) return batch;
  std::vector<std::int64_t> kept;
  kept.reserve(static_cast<std::size_t>(rows));
  for (std::int64_t row = 0; row < rows; ++row) {
    if (!deleted.contains(static_cast<std::uint64_t>(first_row + row))) kept.push_back(row);
  }
  if (static_cast<std::int64_t>(kept.size()) == rows) return batch;
  return take_rows(batch, kept);
}

bool partition_may_match(const BoundPredicate& predicate, const core::Schema& schema, const PartitionValues& values,
                         const std::string& context) {
  std::map<std::string, core::Column> columns;
  return predicate.may_match([&](const std::string& name) -> const core::Column* {
    const auto value = values.find(name);
    if (value == values.end()) return nullptr;
    auto found = columns.find(name);
    if (found == columns.end()) {
      const auto index = schema.find(name);
      if (!index) return nullptr;
      found = columns.emplace(name, partition_value_column(schema.fields[*index], value->second, 1, context)).first;
    }
    return &found->second;
  });
}

}  // namespace driftgov::delta
