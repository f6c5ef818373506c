// Reading row groups into a reused batch: every group must read as the values that were written, whatever the
// batch held before (nulls, longer strings, another column's type), so that no buffer kept for its capacity leaks
// old contents.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "driftgov/parquet/reader.hpp"
#include "driftgov/parquet/writer.hpp"

namespace driftgov::parquet {
namespace {

constexpr std::int64_t kRowsPerGroup = 1000;

// Group 0 has nulls and long strings; group 1 has neither, so stale validity or bytes would show.
core::RecordBatch written_rows() {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"amount", core::DataType::int64(), true, std::nullopt},
                         core::Field{"label", core::DataType::string(), true, std::nullopt},
                         core::Field{"score", core::DataType::float64(), true, std::nullopt}};
  core::Column amounts(core::DataType::int64());
  core::Column labels(core::DataType::string());
  core::Column scores(core::DataType::float64());
  for (std::int64_t row = 0; row < 2 * kRowsPerGroup; ++row) {
    const bool first_group = row < kRowsPerGroup;
    if (first_group && row % 3 == 0) {
      amounts.append_null();
      labels.append_null();
      scores.append_null();
      continue;
    }
    amounts.append_int(row * 7919 - 5'000'000);
    labels.append_string(first_group ? "a long label of the first group " + std::to_string(row % 13)
                                     : std::to_string(row % 5));
    scores.append_double(static_cast<double>(row) / 8.0);
  }
  batch.columns = {amounts, labels, scores};
  batch.num_rows = 2 * kRowsPerGroup;
  return batch;
}

void expect_rows(const core::Column& expected, std::int64_t first, const core::Column& actual, const char* what) {
  ASSERT_EQ(actual.length, kRowsPerGroup) << what;
  for (std::int64_t row = 0; row < kRowsPerGroup; ++row) {
    const std::int64_t source = first + row;
    ASSERT_EQ(actual.is_valid(row), expected.is_valid(source)) << what << " row " << row;
    if (!expected.is_valid(source)) continue;
    switch (expected.type.id) {
      case core::TypeId::kString:
        ASSERT_EQ(actual.string_at(row), expected.string_at(source)) << what << " row " << row;
        break;
      case core::TypeId::kFloat64:
        ASSERT_EQ(actual.doubles[static_cast<std::size_t>(row)], expected.doubles[static_cast<std::size_t>(source)])
            << what << " row " << row;
        break;
      default:
        ASSERT_EQ(actual.ints[static_cast<std::size_t>(row)], expected.ints[static_cast<std::size_t>(source)])
            << what << " row " << row;
        break;
    }
  }
  if (first >= kRowsPerGroup) {
    EXPECT_TRUE(actual.validity.empty()) << what << ": a group without nulls has no validity";
  }
}

TEST(ParquetReaderReuse, GroupsReadIntoOneBatchEqualWhatWasWritten) {
  const auto path = std::filesystem::temp_directory_path() / "driftgov-reader-reuse.parquet";
  const core::RecordBatch rows = written_rows();
  WriterOptions options;
  options.row_group_rows = kRowsPerGroup;
  options.data_page_bytes = 1024;  // several pages per chunk
  write_parquet_file(path.string(), rows, options);

  auto reader = FileReader::open(path.string());
  ASSERT_EQ(reader.num_row_groups(), 2);
  core::RecordBatch reused;
  for (int group = 0; group < 2; ++group) {
    reader.read_row_group(group, {}, reused);
    ASSERT_EQ(reused.columns.size(), 3u);
    EXPECT_EQ(reused.num_rows, kRowsPerGroup);
    for (std::size_t column = 0; column < 3; ++column) {
      expect_rows(rows.columns[column], group * kRowsPerGroup, reused.columns[column],
                  rows.schema.fields[column].name.c_str());
    }
  }
  // Another projection into the same batch: the label column now sits where the int64 column was.
  reader.read_row_group(0, {1, 0}, reused);
  ASSERT_EQ(reused.columns.size(), 2u);
  EXPECT_EQ(reused.schema.fields[0].name, "label");
  expect_rows(rows.columns[1], 0, reused.columns[0], "label, projected first");
  expect_rows(rows.columns[0], 0, reused.columns[1], "amount, projected second");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace driftgov::parquet
