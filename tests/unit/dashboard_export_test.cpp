// The dashboard document's chart plug-in (docs/export.md, "Charts"): a renderer receives the document and its
// SVG texts come back as data URIs under "charts"; without one there is no "charts" member. The tables come
// from a real refresh of a small monitor written here. The document's values are checked against the tables
// in tests/python/test_export.py.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

#include "driftgov/core/error.hpp"
#include "driftgov/dashboard/export.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/monitor/refresh.hpp"

namespace driftgov::dashboard {
namespace {

namespace fs = std::filesystem;

class Lakehouse {
 public:
  Lakehouse() {
    root_ =
        fs::temp_directory_path() / fmt::format("driftgov-dashboard-test-{}", static_cast<long>(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~Lakehouse() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }

  // A log of 48 rows over two days: ts and a numeric feature x that moves up on the second day.
  void write_log() const {
    core::Schema schema;
    schema.fields = {core::Field{"ts", core::DataType::timestamp(), true, std::nullopt},
                     core::Field{"x", core::DataType::float64(), true, std::nullopt}};
    bool done = false;
    const delta::BatchSupplier supplier = [&]() -> std::optional<core::RecordBatch> {
      if (std::exchange(done, true)) return std::nullopt;
      core::RecordBatch batch;
      batch.schema = schema;
      batch.columns = {core::Column(schema.fields[0].type), core::Column(schema.fields[1].type)};
      const std::int64_t day0 = 1714953600LL * 1000000;  // 2024-05-06T00:00:00Z
      for (int hour = 0; hour < 48; ++hour) {
        batch.columns[0].append_int(day0 + hour * 3600LL * 1000000);
        batch.columns[1].append_double(hour < 24 ? hour : hour * 10.0);
      }
      batch.num_rows = 48;
      return batch;
    };
    delta::write_table(root_ / "log", schema, supplier, {});
  }

  monitor::Config config() const {
    const auto text = fmt::format(
        "project: p\ntargets: {{dev: {{mode: development, lakehouse: {}, default: true}}}}\n"
        "monitors:\n  m:\n    table: {}\n    profile_type: time_series\n    timestamp_col: ts\n"
        "    granularities: [\"1 day\"]\n",
        (root_ / "lake").string(), (root_ / "log").string());
    return monitor::load_config_text(text, (root_ / "driftgov.yaml").string());
  }

 private:
  fs::path root_;
};

TEST(DashboardDocument, ChartRendererGetsTheDocumentAndItsSvgBecomesADataUri) {
  Lakehouse lake;
  lake.write_log();
  const auto config = lake.config();
  const auto& monitor = config.monitor("m");
  DocumentOptions options;
  options.now_us = 1714953600LL * 1000000;
  try {
    (void)dashboard_document(config, monitor, options);
    ADD_FAILURE() << "no error before the first refresh";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("monitor 'm' has no refresh yet"), std::string::npos)
        << error.what();
  }

  monitor::refresh_monitor(config, monitor);
  const auto plain = dashboard_document(config, monitor, options);
  EXPECT_FALSE(plain.contains("charts"));
  EXPECT_EQ(plain["generated_at"], "2024-05-06T00:00:00Z");

  int calls = 0;
  options.charts = [&](const nlohmann::json& document) {
    ++calls;
    // The renderer sees the whole document: the CONSECUTIVE trend of x over the two days.
    EXPECT_EQ(document["monitor"], "m");
    bool found = false;
    for (const auto& series : document["trends"]) {
      if (series["column"] == "x" && series["drift_type"] == "CONSECUTIVE")
        found = series["points"].size() == 1;
    }
    EXPECT_TRUE(found);
    return std::vector<std::pair<std::string, std::string>>{{"psi_heatmap", "<svg/>"}, {"empty", ""}};
  };
  const auto document = dashboard_document(config, monitor, options);
  EXPECT_EQ(calls, 1);
  // "<svg/>" is the bytes 3C 73 76 67 2F 3E: base64 (RFC 4648) "PHN2" "Zy8+".
  EXPECT_EQ(document["charts"]["psi_heatmap"], "data:image/svg+xml;base64,PHN2Zy8+");
  EXPECT_EQ(document["charts"]["empty"], "data:image/svg+xml;base64,");
  EXPECT_EQ(document["charts"].size(), 2u);
}

}  // namespace
}  // namespace driftgov::dashboard
