#include "driftgov/monitor/parquet_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/parquet/reader.hpp"

namespace driftgov::monitor {
namespace {

bool has_parquet_extension(std::string_view path) {
  const auto extension = io::lowercase_extension(path);
  return extension == ".parquet" || extension == ".parq";
}

bool is_hidden(std::string_view path) {
  const auto name = path.substr(path.rfind('/') + 1);
  return name.empty() || name[0] == '_' || name[0] == '.';
}

// The folder's prefix for io::Storage::list: the location with one trailing '/'.
std::string folder_prefix(std::string location) {
  while (location.size() > 1 && location.back() == '/') location.pop_back();
  return location + "/";
}

// The data files of a folder, in name order.
std::vector<std::string> folder_files(const std::string& location) {
  std::vector<std::string> files;
  for (const auto& file : io::local_storage().list(folder_prefix(location))) {
    if (has_parquet_extension(file.path) && !is_hidden(file.path)) files.push_back(file.path);
  }
  return files;
}

// Parquet files start with "PAR1" (or "PARE" when the footer is encrypted) whatever their name.
bool has_parquet_magic(const std::string& path) {
  try {
    const auto file = io::local_storage().open_read(path);
    if (file->size() < 4) return false;
    char magic[4] = {};
    file->read_at(0, 4, magic);
    return std::string_view(magic, 4) == "PAR1" || std::string_view(magic, 4) == "PARE";
  } catch (const core::InputError&) {
    return false;
  }
}

bool probe(const std::string& location) {
  auto& storage = io::local_storage();
  if (storage.stat(location)) return has_parquet_extension(location) || has_parquet_magic(location);
  // A folder of Parquet files, unless it is a Delta table.
  if (!storage.list(folder_prefix(location) + "_delta_log/").empty()) return false;
  return !folder_files(location).empty();
}

class ParquetSource final : public io::Source {
 public:
  ParquetSource(std::string location, std::vector<std::string> files, const io::SourceOptions& options)
      : location_(std::move(location)), files_(std::move(files)), columns_(options.columns) {
    if (files_.empty()) throw core::InputError(fmt::format("{}: the folder holds no .parquet files", location_));
    open_file(0);
    schema_ = projected_schema(*reader_);
  }

  const core::Schema& schema() const override { return schema_; }
  std::string description() const override { return location_; }

  std::optional<core::RecordBatch> next() override {
    for (;;) {
      if (reader_ && next_group_ < reader_->num_row_groups()) {
        const int group = next_group_++;
        if (reader_->row_group_num_rows(group) == 0) continue;
        // A new batch each time rather than read_row_group into a kept one: next() hands the batch over by value
        // and callers keep some (table writes, cat's buffered output), so no buffer comes back to be reused.
        return reader_->read_row_group(group, projection_);
      }
      if (file_index_ + 1 >= files_.size()) return std::nullopt;
      open_file(file_index_ + 1);
      const core::Schema schema = projected_schema(*reader_);
      if (schema != schema_) {
        throw core::InputError(fmt::format("{}: schema differs from {}:\n{}\nwhere the first file has:\n{}",
                                           files_[file_index_], files_.front(), schema.to_string(),
                                           schema_.to_string()));
      }
    }
  }

 private:
  void open_file(std::size_t index) {
    file_index_ = index;
    reader_.emplace(parquet::FileReader::open(files_[index]));
    projection_ = io::resolve_projection(reader_->schema(), columns_, files_[index]);
    next_group_ = 0;
  }

  core::Schema projected_schema(const parquet::FileReader& reader) const {
    core::Schema schema;
    for (const auto index : projection_) schema.fields.push_back(reader.schema().fields[index]);
    return schema;
  }

  std::string location_;
  std::vector<std::string> files_;
  std::vector<std::string> columns_;
  std::optional<parquet::FileReader> reader_;
  std::vector<std::size_t> projection_;
  std::size_t file_index_ = 0;
  int next_group_ = 0;
  core::Schema schema_;
};

}  // namespace

std::unique_ptr<io::Source> open_parquet(const std::string& location, const io::SourceOptions& options) {
  std::vector<std::string> files;
  if (io::local_storage().stat(location)) {
    files.push_back(location);
  } else {
    files = folder_files(location);
  }
  return std::make_unique<ParquetSource>(location, std::move(files), options);
}

void register_parquet_format(io::SourceRegistry& registry) {
  registry.add(io::SourceFormat{"parquet", probe, open_parquet});
}

}  // namespace driftgov::monitor
