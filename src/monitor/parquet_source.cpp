#include "driftgov/monitor/parquet_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/reader.hpp"

namespace driftgov::monitor {
namespace {

namespace fs = std::filesystem;

bool has_parquet_extension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".parquet" || extension == ".parq";
}

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.empty() || name[0] == '_' || name[0] == '.';
}

// The data files of a folder, in name order.
std::vector<std::string> folder_files(const std::string& location) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(location, error)) {
    if (entry.is_regular_file(error) && has_parquet_extension(entry.path()) && !is_hidden(entry.path())) {
      files.push_back(entry.path().string());
    }
  }
  if (error) throw core::InputError(fmt::format("{}: cannot list the folder: {}", location, error.message()));
  std::sort(files.begin(), files.end());
  return files;
}

// Parquet files start with "PAR1" (or "PARE" when the footer is encrypted) whatever their name.
bool has_parquet_magic(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char magic[4] = {};
  const bool matches = std::fread(magic, 1, 4, file) == 4 &&
                       (std::string_view(magic, 4) == "PAR1" || std::string_view(magic, 4) == "PARE");
  std::fclose(file);
  return matches;
}

bool probe(const std::string& location) {
  std::error_code error;
  if (fs::is_regular_file(location, error)) return has_parquet_extension(location) || has_parquet_magic(location);
  if (!fs::is_directory(location, error) || fs::exists(fs::path(location) / "_delta_log", error)) return false;
  for (const auto& entry : fs::directory_iterator(location, error)) {
    if (entry.is_regular_file(error) && has_parquet_extension(entry.path()) && !is_hidden(entry.path())) return true;
  }
  return false;
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
  std::error_code error;
  std::vector<std::string> files;
  if (fs::is_directory(location, error)) {
    files = folder_files(location);
  } else {
    files.push_back(location);
  }
  return std::make_unique<ParquetSource>(location, std::move(files), options);
}

void register_parquet_format(io::SourceRegistry& registry) {
  registry.add(io::SourceFormat{"parquet", probe, open_parquet});
}

}  // namespace driftgov::monitor
