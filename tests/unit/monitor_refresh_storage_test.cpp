// A monitor refresh reads and writes every table through RefreshOptions::storage (docs/architecture.md,
// "Storage"): here the monitored table and every output exist only in an in-memory storage.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/refresh.hpp"

namespace driftgov::monitor {
namespace {

core::RecordBatch orders(std::int64_t count) {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"amount", core::DataType::int64(), true, std::nullopt},
                         core::Field{"channel", core::DataType::string(), true, std::nullopt}};
  core::Column amounts(core::DataType::int64());
  core::Column channels(core::DataType::string());
  for (std::int64_t i = 0; i < count; ++i) {
    amounts.append_int(10 * i);
    channels.append_string(i % 2 == 0 ? "web" : "store");
  }
  batch.columns = {std::move(amounts), std::move(channels)};
  batch.num_rows = count;
  return batch;
}

// The Delta table /lake/orders of `storage`, holding `batch`.
void write_orders(io::Storage& storage, const core::RecordBatch& batch) {
  delta::TableWriteOptions write;
  write.storage = &storage;
  bool given = false;
  delta::write_table("/lake/orders", batch.schema, [&]() -> std::optional<core::RecordBatch> {
    if (std::exchange(given, true)) return std::nullopt;
    return batch;
  }, write);
}

TEST(MonitorRefreshStorage, EveryTableGoesThroughTheRefreshStorage) {
  const auto storage = io::make_memory_storage();
  write_orders(*storage, orders(6));

  const auto config = load_config_text(R"(project: shop
targets:
  dev: {mode: development, lakehouse: /lake, default: true}
monitors:
  orders:
    table: orders
)", "/lake/driftgov.yaml");
  const auto& monitor = config.monitor("orders");
  ASSERT_EQ(monitor.table, "/lake/orders");
  RefreshOptions options;
  options.storage = storage.get();

  const auto first = refresh_monitor(config, monitor, options);
  EXPECT_EQ(first.state, "SUCCESS");
  EXPECT_EQ(first.version_to, 0);
  EXPECT_EQ(first.rows_read, 6);
  const auto profile = delta::Snapshot::load(profile_metrics_table(monitor), {}, *storage);
  EXPECT_GE(profile.files().size(), 1u);
  const auto records = read_refreshes(monitor, *storage);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].state, "SUCCESS");
  EXPECT_EQ(records[0].rows_read, 6);
  // The state and the refreshes are read back from the storage: the table has not changed since.
  EXPECT_EQ(refresh_monitor(config, monitor, options).state, "UP_TO_DATE");
  EXPECT_EQ(read_refreshes(monitor, *storage).size(), 1u);
  // Nothing on the local disk.
  EXPECT_TRUE(read_refreshes(monitor).empty());
  EXPECT_FALSE(io::local_storage().is_folder("/lake"));
}

// The rows of a few batches, as a task of driftgov.spark.run_monitor hands its share of the table to partial_state.
class BatchSource final : public io::Source {
 public:
  explicit BatchSource(std::vector<core::RecordBatch> batches) : batches_(std::move(batches)) {}
  const core::Schema& schema() const override { return batches_.front().schema; }
  std::optional<core::RecordBatch> next() override {
    if (next_ == batches_.size()) return std::nullopt;
    return batches_[next_++];
  }
  std::string description() const override { return "batches"; }

 private:
  std::vector<core::RecordBatch> batches_;
  std::size_t next_ = 0;
};

// Orders `first` to `first + count` of a table whose order i is at 2024-01-01 UTC + 9 i hours (several days).
core::RecordBatch timed_orders(std::int64_t first, std::int64_t count) {
  auto batch = orders(first + count);
  core::Column stamps(core::DataType::timestamp());
  for (std::int64_t i = 0; i < first + count; ++i) stamps.append_int(1'704'067'200'000'000 + i * 9 * 3'600'000'000);
  batch.schema.fields.push_back(core::Field{"ts", core::DataType::timestamp(), true, std::nullopt});
  batch.columns.push_back(std::move(stamps));
  std::vector<std::int64_t> rows;
  for (std::int64_t i = first; i < first + count; ++i) rows.push_back(i);
  return core::take_rows(batch, rows);
}

TEST(MonitorRefreshStorage, ARefreshFromPartialStatesIsAFullRefreshTheNextRefreshContinuesFrom) {
  const auto storage = io::make_memory_storage();
  write_orders(*storage, timed_orders(0, 10));
  const auto config = load_config_text(R"(project: shop
targets:
  dev: {mode: development, lakehouse: /lake, default: true}
monitors:
  orders:
    table: orders
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
)", "/lake/driftgov.yaml");
  const auto& monitor = config.monitor("orders");
  const auto scan = refresh_table_scan(config, monitor, *storage);
  EXPECT_EQ(scan.version, 0);
  EXPECT_EQ(scan.columns, (std::vector<std::string>{"amount", "channel", "ts"}));

  // Two tasks, the second with two batches.
  BatchSource first({timed_orders(0, 4)});
  BatchSource second({timed_orders(4, 3), timed_orders(7, 3)});
  TableState state;
  state.version = scan.version;
  for (auto* source : {&first, &second}) {
    auto partial = partial_state(config, monitor, scan.version, *source);
    state.rows_read += partial.rows_read;
    state.rows.push_back(std::move(partial.rows));
  }
  EXPECT_EQ(state.rows_read, 10);
  RefreshOptions options;
  options.storage = storage.get();
  const auto summary = refresh_monitor_from_state(config, monitor, state, options);
  EXPECT_EQ(summary.state, "SUCCESS");
  EXPECT_TRUE(summary.full);
  EXPECT_EQ(summary.version_to, 0);
  EXPECT_EQ(summary.rows_read, 10);
  EXPECT_EQ(summary.windows_touched, 4);  // 10 rows 9 hours apart: 2024-01-01 to 2024-01-04
  // The day both tasks hold rows of (orders 3 to 5 on 2024-01-02) has them all: the whole table's row counts of the
  // days add up to the table's rows.
  {
    const auto profile = delta::Snapshot::load(profile_metrics_table(monitor), {}, *storage);
    delta::ScanOptions columns;
    columns.columns = {"log_type", "column_name", "count"};
    delta::Scan rows(profile, columns);
    std::int64_t counted = 0, days = 0;
    while (auto batch = rows.next()) {
      for (std::int64_t row = 0; row < batch->num_rows; ++row) {
        if (batch->columns[0].string_at(row) != "INPUT" || batch->columns[1].string_at(row) != ":table") continue;
        counted += batch->columns[2].ints[static_cast<std::size_t>(row)];
        ++days;
      }
    }
    EXPECT_EQ(days, 4);
    EXPECT_EQ(counted, 10);
  }
  // The state's txn holds version 0: the CLI's next refresh has nothing to do.
  EXPECT_EQ(refresh_monitor(config, monitor, options).state, "UP_TO_DATE");
  const auto records = read_refreshes(monitor, *storage);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].full);
  EXPECT_EQ(records[0].rows_read, 10);

  // Partial state rows missing a column of the state table are refused, naming it.
  state.rows[0].schema.fields[8].name = "renamed";
  EXPECT_THROW(
      {
        try {
          refresh_monitor_from_state(config, monitor, state, options);
        } catch (const core::InputError& error) {
          EXPECT_NE(std::string(error.what()).find("partial state: no column 'quality'"),
                    std::string::npos)
              << error.what();
          throw;
        }
      },
      core::InputError);
}

}  // namespace
}  // namespace driftgov::monitor
