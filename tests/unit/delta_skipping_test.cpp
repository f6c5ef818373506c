// Data skipping over a table written here: a file is skipped only when its stats or partition value prove no row
// matches, checked against the rows each file really holds; and delta::Scan, which reads what skipping keeps.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/data_skipping.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/parquet/reader.hpp"
#include "window_table.hpp"

namespace driftgov::delta {
namespace {

namespace fs = std::filesystem;

// A fresh folder for a table, unique to this process.
fs::path table_folder(const char* name) {
  const fs::path root = fs::temp_directory_path() / fmt::format("driftgov-{}-{}", name, static_cast<long>(::getpid()));
  fs::remove_all(root);
  return root;
}

core::Schema id_and_part_schema() {
  core::Schema schema;
  schema.fields = {core::Field{"id", core::DataType::int64(), true, std::nullopt},
                   core::Field{"part", core::DataType::string(), true, std::nullopt}};
  return schema;
}

// The ids each live file really holds, read straight from its Parquet file.
std::map<const AddFile*, std::vector<std::int64_t>> ids_by_file(const Snapshot& snapshot) {
  std::map<const AddFile*, std::vector<std::int64_t>> ids;
  for (const auto& file : snapshot.files()) {
    auto reader = parquet::FileReader::open(snapshot.file_path(file));
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      const auto batch = reader.read_row_group(group);
      ids[&file].insert(ids[&file].end(), batch.columns[0].ints.begin(), batch.columns[0].ints.end());
    }
  }
  return ids;
}

// Ids 0-999 in files of 50 rows, partitioned by part: "low" below 500, "high" from 500, null for ids 7, 257, 507, 757.
Snapshot write_id_table(const fs::path& root) {
  const core::Schema schema = id_and_part_schema();
  std::int64_t next = 0;
  const BatchSupplier supplier = [&]() -> std::optional<core::RecordBatch> {
    if (next >= 1000) return std::nullopt;
    core::RecordBatch batch;
    batch.schema = schema;
    batch.columns = {core::Column(core::DataType::int64()), core::Column(core::DataType::string())};
    for (int i = 0; i < 100; ++i, ++next) {
      batch.columns[0].append_int(next);
      if (next % 250 == 7) {
        batch.columns[1].append_null();
      } else {
        batch.columns[1].append_string(next < 500 ? "low" : "high");
      }
    }
    batch.num_rows = 100;
    return batch;
  };
  TableWriteOptions options;
  options.partition_by = {"part"};
  options.target_file_rows = 50;
  write_table(root, schema, supplier, options);
  return Snapshot::load(root);
}

TEST(DeltaDataSkipping, SkipsOnlyFilesThatCannotMatch) {
  const fs::path root = table_folder("skip-test");
  const auto snapshot = write_id_table(root);
  auto ids_in = ids_by_file(snapshot);
  // Filled member by member: GCC 12 under ASan warns (falsely) about brace-initialised variant temporaries.
  std::vector<ColumnRange> by_id(1);
  by_id[0].column = "id";
  by_id[0].lower = std::int64_t{310};
  by_id[0].upper = std::int64_t{320};
  const auto kept = files_overlapping(snapshot, by_id);
  EXPECT_LT(kept.size(), snapshot.files().size());
  for (const auto& file : snapshot.files()) {
    const bool is_kept = std::find(kept.begin(), kept.end(), &file) != kept.end();
    const auto& ids = ids_in[&file];
    const bool has_match = std::any_of(ids.begin(), ids.end(), [](std::int64_t id) { return id >= 310 && id <= 320; });
    if (has_match) {
      EXPECT_TRUE(is_kept) << file.path;  // never skip a matching file
    }
  }
  const std::vector<ColumnRange> by_partition = {{"part", BoundValue{std::string("high")}, BoundValue{std::string("high")}}};
  for (const auto* file : files_overlapping(snapshot, by_partition)) {
    EXPECT_EQ(file->partition_values.at("part"), std::optional<std::string>("high"));
  }
  EXPECT_THROW(files_overlapping(snapshot, {{"id", BoundValue{std::string("x")}, std::nullopt}}), core::InputError);
  EXPECT_THROW(files_overlapping(snapshot, {{"nope", std::nullopt, std::nullopt}}), core::InputError);
  fs::remove_all(root);
}

// delta::Scan over the same kind of table: the files a predicate lets through, opened one by one as batches are
// asked for, every row of a file read coming back (the predicate filters files, not rows), and the projection.
// Deletion vectors, column mapping and comparisons with other readers are in tests/python/test_delta_scan.py.
TEST(DeltaScan, ReadsTheFilesThePredicateAllowsAndEveryRowOfThem) {
  const fs::path root = table_folder("scan-test");
  const auto snapshot = write_id_table(root);
  auto ids_in = ids_by_file(snapshot);

  const auto predicate = parse_predicate("id >= 420 AND id <= 560 AND part != 'low'", "test");
  Scan scan(snapshot, ScanOptions{{"part", "id"}, predicate, {}});
  ASSERT_EQ(scan.schema().fields.size(), 2u);
  EXPECT_EQ(scan.schema().fields[0].name, "part");
  EXPECT_EQ(scan.schema().fields[1].name, "id");
  // Only the "high" files holding an id in [420, 560]; the null partition (holding 507) cannot satisfy != 'low'.
  std::vector<const AddFile*> expected;
  for (const auto& file : snapshot.files()) {
    const auto& ids = ids_in[&file];
    if (file.partition_values.at("part") == std::optional<std::string>("high") &&
        std::any_of(ids.begin(), ids.end(), [](std::int64_t id) { return id >= 420 && id <= 560; })) {
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

// The window starts (days after 2026-01-01; nullopt for a null window) each live file holds, read through a
// Scan without a predicate (logical names, column mapping undone).
std::map<const AddFile*, std::vector<std::optional<std::int64_t>>> window_days_by_file(
    const Snapshot& snapshot) {
  std::map<const AddFile*, std::vector<std::optional<std::int64_t>>> days;
  Scan scan(snapshot, ScanOptions{{"window"}, std::nullopt, {}});
  while (auto batch = scan.next()) {
    const auto& windows = batch->columns[0];
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      const auto index = static_cast<std::size_t>(row);
      auto& held = days[scan.current_file()];
      if (!windows.is_valid(row)) {
        held.push_back(std::nullopt);
      } else {
        held.push_back((windows.children[0].ints[index] - testing::kJan1Micros) / testing::kDayMicros);
      }
    }
  }
  return days;
}

// Files of four rows: days {0,0,1,1}, {2,2,3,3}, {null x4}, {4,null,5,5}, {6,6,7,7}; under column mapping
// (name mode) too, where the stats are keyed by physical names at every level.
class DeltaNestedSkipping : public ::testing::TestWithParam<bool> {};

TEST_P(DeltaNestedSkipping, SkipsByTheNestedStatsOfAStructField) {
  const bool mapped = GetParam();
  const fs::path root = table_folder(mapped ? "nested-skip-mapped" : "nested-skip");
  TableWriteOptions options;
  options.target_file_rows = 4;
  if (mapped) options.table_properties = {{"delta.columnMapping.mode", "name"}};
  testing::write_windows(root,
                         {testing::window_rows({0, 0, 1, 1, 2, 2, 3, 3}, 0),
                          testing::window_rows({std::nullopt, std::nullopt, std::nullopt, std::nullopt}, 8),
                          testing::window_rows({4, std::nullopt, 5, 5, 6, 6, 7, 7}, 12)},
                         options);
  const auto snapshot = Snapshot::load(root);
  ASSERT_EQ(snapshot.files().size(), 5u);
  auto days_in = window_days_by_file(snapshot);

  // The stats are nested objects under the physical names of window and start.
  const auto& window_metadata = snapshot.schema().metadata[0];
  const std::string window_name = mapped ? *window_metadata.physical_name() : "window";
  const std::string start_name = mapped ? *window_metadata.children.at(0).physical_name() : "start";
  const std::string end_name = mapped ? *window_metadata.children.at(1).physical_name() : "end";
  if (mapped) {
    EXPECT_NE(window_name, "window");
  }
  for (const auto& file : snapshot.files()) {
    const auto stats = nlohmann::json::parse(file.stats.value());
    const auto& days = days_in[&file];
    const auto nulls = std::count(days.begin(), days.end(), std::nullopt);
    EXPECT_EQ(stats["nullCount"][window_name][start_name], nulls) << *file.stats;
    EXPECT_EQ(stats["nullCount"][window_name][end_name], nulls) << *file.stats;
    if (nulls == static_cast<std::ptrdiff_t>(days.size())) {
      EXPECT_FALSE(stats["minValues"].contains(window_name)) << *file.stats;
      continue;
    }
    std::int64_t low = 1000, high = -1;
    for (const auto& day : days) {
      if (day) low = std::min(low, *day), high = std::max(high, *day);
    }
    const auto text = [](std::int64_t day) { return fmt::format("2026-01-{:02d}T00:00:00.000Z", day + 1); };
    EXPECT_EQ(stats["minValues"][window_name][start_name], text(low)) << *file.stats;
    EXPECT_EQ(stats["maxValues"][window_name][start_name], text(high)) << *file.stats;
    EXPECT_EQ(stats["maxValues"][window_name][end_name], text(high + 1)) << *file.stats;
  }

  // Every range of days, judged against the days each file really holds.
  for (std::int64_t from = -1; from <= 8; ++from) {
    for (std::int64_t to = from; to <= 8; ++to) {
      ColumnRange range;
      range.column = "window";
      range.fields = {"start"};
      range.lower = BoundValue{testing::kJan1Micros + from * testing::kDayMicros};
      range.upper = BoundValue{testing::kJan1Micros + to * testing::kDayMicros};
      std::vector<const AddFile*> expected;
      for (const auto& file : snapshot.files()) {
        const auto& days = days_in[&file];
        if (std::any_of(days.begin(), days.end(),
                        [&](const auto& day) { return day && *day >= from && *day <= to; }))
          expected.push_back(&file);
      }
      EXPECT_EQ(files_overlapping(snapshot, {range}), expected) << from << ".." << to;
    }
  }

  // A Scan with the replaceWhere text of an incremental refresh reads only the files of those windows.
  Scan scan(snapshot, ScanOptions{{},
                                  parse_predicate("window.start IN (TIMESTAMP '2026-01-03 00:00:00', "
                                                  "TIMESTAMP '2026-01-04 00:00:00')",
                                                  "test"),
                                  {}});
  ASSERT_EQ(scan.files().size(), 1u);
  EXPECT_EQ(days_in[scan.files()[0]], (std::vector<std::optional<std::int64_t>>{2, 2, 3, 3}));

  ColumnRange wrong;
  wrong.column = "window";
  wrong.fields = {"start"};
  wrong.lower = BoundValue{std::string("x")};
  EXPECT_THROW(files_overlapping(snapshot, {wrong}), core::InputError);
  wrong.fields = {"begin"};
  wrong.lower.reset();
  EXPECT_THROW(files_overlapping(snapshot, {wrong}), core::InputError);
  wrong.column = "value";
  wrong.fields = {"start"};
  EXPECT_THROW(files_overlapping(snapshot, {wrong}), core::InputError);
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(ColumnMapping, DeltaNestedSkipping, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "NameMode" : "NoMapping"; });

}  // namespace
}  // namespace driftgov::delta
