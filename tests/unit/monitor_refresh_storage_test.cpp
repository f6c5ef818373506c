// A monitor refresh reads and writes every table through RefreshOptions::storage (docs/architecture.md,
// "Storage"): here the monitored table and every output exist only in an in-memory storage.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>

#include "driftgov/core/column.hpp"
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

TEST(MonitorRefreshStorage, EveryTableGoesThroughTheRefreshStorage) {
  const auto storage = io::make_memory_storage();
  delta::TableWriteOptions write;
  write.storage = storage.get();
  bool given = false;
  delta::write_table("/lake/orders", orders(0).schema, [&]() -> std::optional<core::RecordBatch> {
    if (std::exchange(given, true)) return std::nullopt;
    return orders(6);
  }, write);

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

}  // namespace
}  // namespace driftgov::monitor
