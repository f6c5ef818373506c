// delta::Scan over a table written here: the files a predicate lets through, opened one by one as batches are
// asked for, every row of a file read coming back (the predicate filters files, not rows), and the projection.
// Deletion vectors, column mapping and comparisons with other readers are in tests/python/test_delta_scan.py.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/parquet/reader.hpp"

namespace driftgov::delta {
namespace {

namespace fs = std::filesystem;

TEST(DeltaScan, ReadsTheFilesThePredicateAllowsAndEveryRowOfThem) {
  const fs::path root = fs::temp_directory_path() / fmt::format("driftgov-scan-test-{}", static_cast<long>(::getpid()));
  fs::remove_all(root);
  core::Schema schema;
  schema.fields = {core::Field{"id", core::DataType::int64(), true, std::nullopt},
                   core::Field{"part", core::DataType::string(), true, std::nullopt}};
  bool written = false;
  const BatchSupplier supplier = [&]() -> std::optional<core::RecordBatch> {
    if (written) return std::nullopt;
    written = true;
    core::RecordBatch batch;
    batch.schema = schema;
    batch.columns = {core::Column(core::DataType::int64()), core::Column(core::DataType::string())};
    for (std::int64_t id = 0; id < 400; ++id) {
      batch.columns[0].append_int(id);
      batch.columns[1].append_string(id < 200 ? "low" : "high");
    }
    batch.num_rows = 400;
    return batch;
  };
  TableWriteOptions options;
  options.partition_by = {"part"};
  options.target_file_rows = 50;
  write_table(root, schema, supplier, options);
  const auto snapshot = Snapshot::load(root);
  ASSERT_EQ(snapshot.files().size(), 8u);

  // The ids each file really holds, read straight from its Parquet file.
  std::map<const AddFile*, std::vector<std::int64_t>> ids_in;
  for (const auto& file : snapshot.files()) {
    auto reader = parquet::FileReader::open(snapshot.file_path(file).string());
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      const auto batch = reader.read_row_group(group);
      ids_in[&file].insert(ids_in[&file].end(), batch.columns[0].ints.begin(), batch.columns[0].ints.end());
    }
  }

  Scan scan(snapshot, ScanOptions{{"part", "id"}, parse_predicate("id >= 120 AND id <= 260 AND part != 'low'", "test"), {}});
  ASSERT_EQ(scan.schema().fields.size(), 2u);
  EXPECT_EQ(scan.schema().fields[0].name, "part");
  EXPECT_EQ(scan.schema().fields[1].name, "id");
  // Only the "high" files holding an id in [200, 260]: ids 200-249 and 250-299.
  std::vector<const AddFile*> expected;
  for (const auto& file : snapshot.files()) {
    const auto& ids = ids_in[&file];
    if (std::any_of(ids.begin(), ids.end(), [](std::int64_t id) { return id >= 200 && id <= 260; })) {
      expected.push_back(&file);
    }
  }
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(scan.files(), expected);
  EXPECT_EQ(scan.files_opened(), 0);
  EXPECT_EQ(scan.current_file(), nullptr);

  std::map<const AddFile*, std::vector<std::int64_t>> read;
  while (auto batch = scan.next()) {
    ASSERT_NE(scan.current_file(), nullptr);
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      EXPECT_EQ(batch->columns[0].string_at(row), "high");
      read[scan.current_file()].push_back(batch->columns[1].ints[static_cast<std::size_t>(row)]);
    }
  }
  EXPECT_EQ(scan.files_opened(), 2);
  for (const auto* file : expected) EXPECT_EQ(read[file], ids_in[file]) << file->path;  // rows are not filtered

  EXPECT_THROW(Scan(snapshot, ScanOptions{{"nope"}, std::nullopt, {}}), core::InputError);
  EXPECT_THROW(Scan(snapshot, ScanOptions{{}, parse_predicate("id = 'x'", "test"), {}}), core::InputError);
  fs::remove_all(root);
}

}  // namespace
}  // namespace driftgov::delta
