// delta::BatchRows: column handles resolved once per batch, typed reads by row, and the errors for a missing
// column and a column of the wrong type.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/batch_rows.hpp"
#include "window_table.hpp"

namespace driftgov::delta {
namespace {

using core::DataType;
using core::Field;
using testing::kDayMicros;
using testing::kJan1Micros;

// Three rows: name "a", null, "c"; score 0.5, 1.5, NaN; count 7, null, -2; flag true, false, null; the windows
// of days 0, null, 2 (window_table.hpp); and an all-null column.
core::RecordBatch sample_batch() {
  auto batch = testing::window_rows({0, std::nullopt, 2}, 7);  // "window" and "value" (7, 8, 9)
  const auto add = [&](const char* name, core::Column column) {
    batch.schema.fields.push_back(Field{name, column.type, true, std::nullopt});
    batch.columns.push_back(std::move(column));
  };
  core::Column name(DataType::string());
  name.append_string("a");
  name.append_null();
  name.append_string("c");
  add("name", std::move(name));
  core::Column score(DataType::float64());
  for (const double v : {0.5, 1.5, std::nan("")}) score.append_double(v);
  add("score", std::move(score));
  core::Column count(DataType::int64());
  count.append_int(7);
  count.append_null();
  count.append_int(-2);
  add("count", std::move(count));
  core::Column flag(DataType::boolean());
  flag.append_int(1);
  flag.append_int(0);
  flag.append_null();
  add("flag", std::move(flag));
  core::Column nothing(DataType::null());
  for (int i = 0; i < 3; ++i) nothing.append_null();
  add("nothing", std::move(nothing));
  return batch;
}

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const core::InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(BatchRows, HandlesReadTypedValuesByRow) {
  const auto batch = sample_batch();
  const BatchRows rows(batch, "monitor_drift_metrics");
  const auto name = rows.required<RowValue::kText>("name");
  EXPECT_EQ(name.at(0), std::optional<std::string>("a"));
  EXPECT_EQ(name.at(1), std::nullopt);
  EXPECT_EQ(name.view(2), std::optional<std::string_view>("c"));
  EXPECT_EQ(name.view(1), std::nullopt);

  const auto score = rows.column<RowValue::kReal>("score");
  EXPECT_EQ(score.at(0), 0.5);
  EXPECT_EQ(score.at(1), 1.5);
  ASSERT_TRUE(score.at(2).has_value());
  EXPECT_TRUE(std::isnan(*score.at(2)));  // NaN is a value, not a null

  // Integers read as integers, and as reals converted.
  const auto count = rows.required<RowValue::kInteger>("count");
  EXPECT_EQ(count.at(0), 7);
  EXPECT_EQ(count.at(1), std::nullopt);
  EXPECT_EQ(count.at(2), -2);
  const auto count_as_real = rows.required<RowValue::kReal>("value");
  EXPECT_EQ(count_as_real.at(2), 9.0);

  const auto flag = rows.required<RowValue::kInteger>("flag");
  EXPECT_EQ(flag.at(0), 1);
  EXPECT_EQ(flag.at(1), 0);
  EXPECT_EQ(flag.at(2), std::nullopt);

  const auto window = rows.required<RowValue::kWindow>("window");
  EXPECT_EQ(window.at(0), std::pair(kJan1Micros, kJan1Micros + kDayMicros));
  EXPECT_EQ(window.at(1), std::nullopt);
  EXPECT_EQ(window.at(2), std::pair(kJan1Micros + 2 * kDayMicros, kJan1Micros + 3 * kDayMicros));
}

TEST(BatchRows, AbsentAndAllNullColumnsReadAsNull) {
  const auto batch = sample_batch();
  const BatchRows rows(batch, "monitor_drift_metrics");
  const auto absent = rows.column<RowValue::kText>("drift_reason");
  EXPECT_FALSE(absent.present());
  const auto nothing = rows.required<RowValue::kInteger>("nothing");
  EXPECT_FALSE(nothing.present());
  for (std::int64_t row = 0; row < 3; ++row) {
    EXPECT_EQ(absent.at(row), std::nullopt);
    EXPECT_EQ(nothing.at(row), std::nullopt);
  }
  EXPECT_EQ(rows.column<RowValue::kWindow>("nothing").at(0), std::nullopt);
}

TEST(BatchRows, MissingRequiredColumnNamesTableAndColumn) {
  const auto batch = sample_batch();
  const BatchRows rows(batch, "monitor_refreshes");
  EXPECT_EQ(error_of([&] { rows.required<RowValue::kText>("refresh_id"); }),
            "monitor_refreshes: no column 'refresh_id'");
  EXPECT_EQ(error_of([&] { rows.require("refresh_id"); }), "monitor_refreshes: no column 'refresh_id'");
  // Also in a batch without rows: the table's schema is wrong whatever it holds.
  core::RecordBatch empty;
  const BatchRows no_rows(empty, "monitor_state");
  EXPECT_EQ(error_of([&] { no_rows.required<RowValue::kInteger>("window_start"); }),
            "monitor_state: no column 'window_start'");
}

TEST(BatchRows, WrongTypeNamesTableColumnTypeAndExpectation) {
  const auto batch = sample_batch();
  const BatchRows rows(batch, "monitor_profile_metrics");
  const auto message = [&](const std::function<void()>& call) { return error_of(call); };
  EXPECT_EQ(message([&] { rows.required<RowValue::kInteger>("name"); }),
            "monitor_profile_metrics: column 'name' is string, expected an integer, boolean, date or timestamp");
  EXPECT_EQ(message([&] { rows.column<RowValue::kText>("count"); }),
            "monitor_profile_metrics: column 'count' is int64, expected a string");
  EXPECT_EQ(message([&] { rows.column<RowValue::kReal>("name"); }),
            "monitor_profile_metrics: column 'name' is string, expected a number");
  EXPECT_EQ(message([&] { rows.column<RowValue::kInteger>("score"); }),
            "monitor_profile_metrics: column 'score' is double, expected an integer, boolean, date or timestamp");
  const auto window_error = message([&] { rows.column<RowValue::kWindow>("count"); });
  EXPECT_EQ(window_error,
            "monitor_profile_metrics: column 'count' is int64, expected a window struct of start and end timestamps");
  const auto text_of_window = message([&] { rows.column<RowValue::kText>("window"); });
  EXPECT_NE(text_of_window.find("monitor_profile_metrics: column 'window' is struct"), std::string::npos)
      << text_of_window;
  EXPECT_NE(text_of_window.find("expected a string"), std::string::npos) << text_of_window;
}

// Nested columns (a list's struct entries) resolve the same way, named by the caller.
TEST(BatchRows, ResolvesNestedColumns) {
  const auto batch = sample_batch();
  const auto& window = batch.columns[0];
  const auto start = IntegerColumn::resolve(&window.children[0], "monitor_drift_metrics", "window.start");
  EXPECT_EQ(start.at(2), kJan1Micros + 2 * kDayMicros);
  EXPECT_EQ(error_of([&] { TextColumn::resolve(&window.children[1], "monitor_drift_metrics", "window.end"); }),
            "monitor_drift_metrics: column 'window.end' is timestamp[us, UTC], expected a string");
}

}  // namespace
}  // namespace driftgov::delta
