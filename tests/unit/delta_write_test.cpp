// Protocol upgrades by write_table (PROTOCOL.md, "Table Features"): a legacy protocol moving to table
// features lists the features its versions implied; writer-only table features never drag the reader version
// up. replaceWhere on a nested field (window.start), as the monitoring pipeline's incremental refresh writes
// it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/delta/transaction.hpp"
#include "window_table.hpp"

namespace driftgov::delta {
namespace {

namespace fs = std::filesystem;
using Features = std::optional<std::vector<std::string>>;

class Folder {
 public:
  Folder() {
    static int counter = 0;
    root_ = fs::temp_directory_path() / fmt::format("driftgov-write-test-{}-{}", static_cast<long>(::getpid()),
                                                    counter++);
    fs::remove_all(root_);
  }
  ~Folder() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

// A table with one long column `x`, the given protocol and configuration, and no files.
void create(const fs::path& root, const Protocol& protocol, const StringMap& configuration) {
  auto transaction = Transaction::start(root);
  Metadata metadata;
  metadata.id = new_uuid();
  const std::string mapping =
      configuration.contains("delta.columnMapping.mode")
          ? R"({"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-x"})"
          : "{}";
  metadata.schema_string =
      fmt::format(R"({{"type":"struct","fields":[{{"name":"x","type":"long","nullable":true,"metadata":{}}}]}})",
                  mapping);
  metadata.configuration = configuration;
  transaction.update_metadata(metadata);
  transaction.update_protocol(protocol);
  transaction.set_operation("CREATE TABLE", {});
  transaction.commit();
}

// Appends one row holding `x` and a new column of `type` (mergeSchema).
void append_with(const fs::path& root, const std::string& name, const core::DataType& type) {
  core::Schema schema;
  schema.fields = {core::Field{"x", core::DataType::int64(), true, std::nullopt},
                   core::Field{name, type, true, std::nullopt}};
  bool done = false;
  const BatchSupplier supplier = [&]() -> std::optional<core::RecordBatch> {
    if (done) return std::nullopt;
    done = true;
    core::RecordBatch batch;
    batch.schema = schema;
    batch.columns = {core::Column(schema.fields[0].type), core::Column(type)};
    batch.columns[0].append_int(1);
    batch.columns[1].append_int(2);
    batch.num_rows = 1;
    return batch;
  };
  TableWriteOptions options;
  options.mode = WriteMode::kAppend;
  options.merge_schema = true;
  write_table(root, schema, supplier, options);
}

const core::DataType kNtz = core::DataType::timestamp(core::TimeUnit::kMicro, false);

TEST(DeltaWrite, WriterOnlyFeaturesKeepTheReaderVersion) {
  Folder folder;
  create(folder.root(), Protocol{1, 7, std::nullopt, std::vector<std::string>{"appendOnly", "domainMetadata"}}, {});
  append_with(folder.root(), "y", core::DataType::int64());
  auto protocol = Snapshot::load(folder.root()).protocol();
  EXPECT_EQ(protocol.min_reader_version, 1);
  EXPECT_EQ(protocol.reader_features, Features{});
  append_with(folder.root(), "at", kNtz);
  protocol = Snapshot::load(folder.root()).protocol();
  EXPECT_EQ(protocol.min_reader_version, 3);
  EXPECT_EQ(protocol.min_writer_version, 7);
  EXPECT_EQ(protocol.reader_features, Features({"timestampNtz"}));
  EXPECT_EQ(protocol.writer_features, Features({"appendOnly", "domainMetadata", "timestampNtz"}));
}

TEST(DeltaWrite, LegacyColumnMappingTableMovesToFeaturesWithWhatItsVersionsImplied) {
  Folder folder;
  create(folder.root(), Protocol{2, 5, std::nullopt, std::nullopt},
         {{"delta.columnMapping.mode", "name"}, {"delta.columnMapping.maxColumnId", "1"}});
  append_with(folder.root(), "y", core::DataType::int64());
  EXPECT_EQ(Snapshot::load(folder.root()).protocol(), (Protocol{2, 5, std::nullopt, std::nullopt}));
  append_with(folder.root(), "at", kNtz);
  const auto snapshot = Snapshot::load(folder.root());
  EXPECT_EQ(snapshot.protocol().reader_features, Features({"columnMapping", "timestampNtz"}));
  EXPECT_EQ(snapshot.protocol().writer_features,
            Features({"appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns",
                      "columnMapping", "timestampNtz"}));
  // The new columns got the next ids after maxColumnId.
  EXPECT_EQ(snapshot.schema().metadata[1].column_id(), 2);
  EXPECT_EQ(snapshot.schema().metadata[2].column_id(), 3);
  EXPECT_EQ(snapshot.metadata().configuration.at("delta.columnMapping.maxColumnId"), "3");
}

// value -> window start (days after 2026-01-01, -1 for a null window) of every row of the table.
std::map<std::int64_t, std::int64_t> window_day_by_value(const Snapshot& snapshot) {
  std::map<std::int64_t, std::int64_t> rows;
  Scan scan(snapshot, ScanOptions{{"value", "window"}, std::nullopt, {}});
  while (auto batch = scan.next()) {
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      const auto index = static_cast<std::size_t>(row);
      const auto& windows = batch->columns[1];
      const std::int64_t day =
          windows.is_valid(row)
              ? (windows.children[0].ints[index] - testing::kJan1Micros) / testing::kDayMicros
              : -1;
      EXPECT_TRUE(rows.emplace(batch->columns[0].ints[index], day).second) << "value twice";
    }
  }
  return rows;
}

class DeltaNestedReplaceWhere : public ::testing::TestWithParam<bool> {};

TEST_P(DeltaNestedReplaceWhere, RewritesTheWindowsTheRefreshTouched) {
  Folder folder;
  TableWriteOptions options;
  options.target_file_rows = 4;
  if (GetParam()) options.table_properties = {{"delta.columnMapping.mode", "name"}};
  // Files {0,0,1,1}, {2,2,3,3}, {4,null,5,5}, {6,6,6,6}, values 0..15.
  testing::write_windows(folder.root(),
                         {testing::window_rows({0, 0, 1, 1, 2, 2, 3, 3, 4, std::nullopt, 5, 5}, 0),
                          testing::window_rows({6, 6, 6, 6}, 12)},
                         options);
  const auto before = Snapshot::load(folder.root());
  ASSERT_EQ(before.files().size(), 4u);
  std::set<std::string> paths_before;
  for (const auto& file : before.files()) paths_before.insert(file.path);

  // The refresh recomputed days 1, 2 and 6: two files partly match, one wholly, one not at all.
  options.mode = WriteMode::kOverwrite;
  options.table_properties.clear();
  options.replace_where = parse_predicate(
      "window.start IN (TIMESTAMP '2026-01-02 00:00:00', TIMESTAMP '2026-01-03 00:00:00', "
      "TIMESTAMP '2026-01-07 00:00:00')",
      "test");
  testing::write_windows(folder.root(), {testing::window_rows({1, 2, 6}, 100)}, options);
  const auto after = Snapshot::load(folder.root());
  EXPECT_EQ(after.version(), before.version() + 1);
  // Expected from first principles: every old row outside days 1, 2, 6 (the null window too) and the new
  // rows.
  const std::map<std::int64_t, std::int64_t> expected = {
      {0, 0}, {1, 0}, {6, 3}, {7, 3}, {8, 4}, {9, -1}, {10, 5}, {11, 5}, {100, 1}, {101, 2}, {102, 6}};
  EXPECT_EQ(window_day_by_value(after), expected);
  // The file without a matching row stays; the others are gone (removed, or rewritten without their matches).
  std::set<std::string> kept;
  for (const auto& file : after.files()) {
    if (paths_before.contains(file.path)) kept.insert(file.path);
  }
  ASSERT_EQ(kept.size(), 1u);
  for (const auto& file : before.files()) {
    if (kept.contains(file.path)) {
      EXPECT_NE(file.stats->find("2026-01-05T"), std::string::npos)
          << *file.stats;  // the file {4, null, 5, 5}
    }
  }

  // A row outside the predicate is refused, naming it, and nothing is committed.
  try {
    testing::write_windows(folder.root(), {testing::window_rows({1, 3}, 200)}, options);
    FAIL() << "a row outside replaceWhere was written";
  } catch (const core::InputError& error) {
    EXPECT_NE(
        std::string(error.what()).find("Data written out does not match replaceWhere 'window.start IN ("),
        std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("row 2 of the data"), std::string::npos) << error.what();
  }
  EXPECT_EQ(Snapshot::load(folder.root()).version(), after.version());
  // So is a null window: window.start IN (...) is not true for it.
  EXPECT_THROW(testing::write_windows(folder.root(), {testing::window_rows({std::nullopt}, 300)}, options),
               core::InputError);
}

INSTANTIATE_TEST_SUITE_P(ColumnMapping, DeltaNestedReplaceWhere, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "NameMode" : "NoMapping"; });

}  // namespace
}  // namespace driftgov::delta
