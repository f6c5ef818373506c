// CSV reader: RFC 4180 quoting, null tokens, type inference and overrides, streaming, and error messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/io/csv_reader.hpp"

namespace driftgov::io {
namespace {

class CsvReaderTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const auto path = directory_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  static core::RecordBatch read_all(const std::string& path, SourceOptions options = {}) {
    auto source = open_csv(path, options);
    core::RecordBatch all;
    all.schema = source->schema();
    for (const auto& field : all.schema.fields) all.columns.emplace_back(field.type);
    while (auto batch = source->next()) {
      for (std::size_t c = 0; c < batch->columns.size(); ++c) {
        const auto& column = batch->columns[c];
        for (std::int64_t row = 0; row < column.length; ++row) {
          auto& out = all.columns[c];
          if (!column.is_valid(row)) {
            out.append_null();
          } else if (!column.offsets.empty()) {
            out.append_string(column.string_at(row));
          } else if (!column.doubles.empty()) {
            out.append_double(column.doubles[static_cast<std::size_t>(row)]);
          } else {
            out.append_int(column.ints[static_cast<std::size_t>(row)]);
          }
        }
      }
      all.num_rows += batch->num_rows;
    }
    return all;
  }
  static std::string error_of(const std::string& path, SourceOptions options = {}) {
    try {
      read_all(path, options);
    } catch (const core::InputError& error) {
      return error.what();
    }
    return "no error";
  }

  std::filesystem::path directory_ = [] {
    auto path = std::filesystem::temp_directory_path() /
                ("driftgov-csv-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
    return path;
  }();
  void TearDown() override { std::filesystem::remove_all(directory_); }
};

TEST_F(CsvReaderTest, QuotingFollowsRfc4180) {
  const auto path = write("q.csv", "name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\nplain,\"two\nlines\"\n");
  const auto batch = read_all(path);
  ASSERT_EQ(batch.num_rows, 2);
  EXPECT_EQ(batch.columns[0].string_at(0), "Smith, J");
  EXPECT_EQ(batch.columns[1].string_at(0), "said \"hi\"");
  EXPECT_EQ(batch.columns[1].string_at(1), "two\nlines");
}

TEST_F(CsvReaderTest, NullTokensAndQuotedEmptyString) {
  const auto path = write("n.csv", "s\nNA\n\"\"\nnull\n\nx\n");
  // The blank line is skipped; NA and null are null; "" is an empty string.
  const auto batch = read_all(path);
  ASSERT_EQ(batch.num_rows, 4);
  EXPECT_FALSE(batch.columns[0].is_valid(0));
  EXPECT_TRUE(batch.columns[0].is_valid(1));
  EXPECT_EQ(batch.columns[0].string_at(1), "");
  EXPECT_FALSE(batch.columns[0].is_valid(2));
  EXPECT_EQ(batch.columns[0].string_at(3), "x");
  SourceOptions options;
  options.csv.null_tokens = {"-"};
  EXPECT_TRUE(read_all(path, options).columns[0].is_valid(0));
}

TEST_F(CsvReaderTest, InfersEveryType) {
  const auto path = write("t.csv",
                          "b,i,d,day,ts,s\n"
                          "true,1,1.5,2024-01-31,2024-01-31T10:00:00Z,a\n"
                          "FALSE,-7,NaN,2024-02-29,2024-02-29 23:59:59.25,b\n"
                          ",,,,,\n");
  const auto batch = read_all(path);
  const auto& f = batch.schema.fields;
  EXPECT_EQ(f[0].type.id, core::TypeId::kBoolean);
  EXPECT_EQ(f[1].type.id, core::TypeId::kInt64);
  EXPECT_EQ(f[2].type.id, core::TypeId::kFloat64);
  EXPECT_EQ(f[3].type.id, core::TypeId::kDate);
  EXPECT_EQ(f[4].type.id, core::TypeId::kTimestamp);
  EXPECT_EQ(f[5].type.id, core::TypeId::kString);
  EXPECT_EQ(batch.columns[0].ints[1], 0);
  EXPECT_EQ(batch.columns[1].ints[1], -7);
  EXPECT_TRUE(std::isnan(batch.columns[2].doubles[1]));
  EXPECT_EQ(batch.columns[3].ints[0], 19753);  // days since 1970-01-01
  EXPECT_EQ(batch.columns[4].ints[0], 1706695200LL * 1000000);
  EXPECT_EQ(batch.columns[4].ints[1], (19782LL * 86400 + 23 * 3600 + 59 * 60 + 59) * 1000000 + 250000);
  for (const auto& column : batch.columns) EXPECT_FALSE(column.is_valid(2));
}

TEST_F(CsvReaderTest, IntegerColumnWidensToDoubleAfterInference) {
  std::string text = "x\n";
  for (int i = 0; i < 50; ++i) text += std::to_string(i) + "\n";
  text += "2.5\n";
  const auto path = write("w.csv", text);
  SourceOptions options;
  options.csv.infer_rows = 10;
  options.batch_rows = 16;
  // The column widens when the first non-integer arrives; batches from then on say double.
  auto source = open_csv(path, options);
  std::int64_t rows = 0;
  core::TypeId last = core::TypeId::kNull;
  while (auto batch = source->next()) {
    rows += batch->num_rows;
    last = batch->schema.fields[0].type.id;
  }
  EXPECT_EQ(last, core::TypeId::kFloat64);
  EXPECT_EQ(rows, 51);
}

TEST_F(CsvReaderTest, TypeOverrideAndConversionErrorNamesLineAndColumn) {
  const auto path = write("o.csv", "code,amount\n001,1\n002,x\n");
  SourceOptions options;
  options.type_overrides["code"] = core::DataType::string();
  options.type_overrides["amount"] = core::DataType::int64();
  const auto message = error_of(path, options);
  EXPECT_NE(message.find("o.csv line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("amount"), std::string::npos) << message;
  EXPECT_NE(message.find("'x'"), std::string::npos) << message;
  options.type_overrides["amount"] = core::DataType::string();
  EXPECT_EQ(read_all(path, options).columns[0].string_at(0), "001");
}

TEST_F(CsvReaderTest, RaggedRowAndUnclosedQuoteAreErrors) {
  EXPECT_NE(error_of(write("r.csv", "a,b\n1,2\n3\n")).find("r.csv line 3: expected 2 fields"), std::string::npos);
  const auto unclosed = error_of(write("u.csv", "a\n\"open\n"));
  EXPECT_NE(unclosed.find("u.csv"), std::string::npos) << unclosed;
  EXPECT_NE(unclosed.find("quoted field is not closed"), std::string::npos) << unclosed;
}

TEST_F(CsvReaderTest, DelimiterIsConfigurable) {
  const auto path = write("s.csv", "a;b\n1;x,y\n");
  SourceOptions options;
  options.csv.delimiter = ';';
  const auto batch = read_all(path, options);
  EXPECT_EQ(batch.columns[1].string_at(0), "x,y");
}

TEST_F(CsvReaderTest, StreamsInBatchesOfTheConfiguredSize) {
  std::string text = "x,y\n";
  for (int i = 0; i < 10000; ++i) text += std::to_string(i) + ",v" + std::to_string(i % 7) + "\n";
  const auto path = write("big.csv", text);
  SourceOptions options;
  options.batch_rows = 1000;
  options.csv.infer_rows = 100;
  auto source = open_csv(path, options);
  std::int64_t rows = 0;
  std::int64_t expected = 0;
  while (auto batch = source->next()) {
    EXPECT_LE(batch->num_rows, 1000);
    for (std::int64_t i = 0; i < batch->num_rows; ++i) EXPECT_EQ(batch->columns[0].ints[i], expected++);
    rows += batch->num_rows;
  }
  EXPECT_EQ(rows, 10000);
}

TEST_F(CsvReaderTest, ProjectionKeepsRequestedOrderAndRejectsUnknownColumns) {
  const auto path = write("p.csv", "a,b,c\n1,2,3\n");
  SourceOptions options;
  options.columns = {"c", "a"};
  const auto batch = read_all(path, options);
  ASSERT_EQ(batch.schema.fields.size(), 2u);
  EXPECT_EQ(batch.schema.fields[0].name, "c");
  EXPECT_EQ(batch.columns[0].ints[0], 3);
  options.columns = {"zz"};
  const auto message = error_of(path, options);
  EXPECT_NE(message.find("zz"), std::string::npos) << message;
}

TEST_F(CsvReaderTest, MissingAndEmptyFilesAreInputErrors) {
  EXPECT_THROW(open_csv((directory_ / "absent.csv").string(), {}), core::InputError);
  EXPECT_THROW(read_all(write("e.csv", "")), core::InputError);
}

TEST_F(CsvReaderTest, FirstErrorInFileOrderWins) {
  // Columns are converted a block of records at a time: the reported error must still be the first one a reader
  // going row by row meets. Line 5 has a bad double in c; line 7 a bad integer in b; line 9 is ragged.
  std::string text = "a,b,c\n";
  for (int line = 2; line <= 9; ++line) {
    if (line == 5) {
      text += "5,5,oops\n";
    } else if (line == 7) {
      text += "7,seven,7.5\n";
    } else if (line == 9) {
      text += "9,9\n";
    } else {
      text += std::to_string(line) + "," + std::to_string(line) + "," + std::to_string(line) + ".5\n";
    }
  }
  SourceOptions options;
  options.csv.infer_rows = 2;
  options.type_overrides["b"] = core::DataType::int64();
  const auto message = error_of(write("order.csv", text), options);
  EXPECT_NE(message.find("order.csv line 5: column 'c'"), std::string::npos) << message;
  EXPECT_NE(message.find("'oops'"), std::string::npos) << message;
  // Without line 5's error, line 7's comes before the ragged line 9.
  text.replace(text.find("oops"), 4, "5.5");
  const auto second = error_of(write("order2.csv", text), options);
  EXPECT_NE(second.find("order2.csv line 7: column 'b'"), std::string::npos) << second;
  text.replace(text.find("seven"), 5, "7");
  const auto third = error_of(write("order3.csv", text), options);
  EXPECT_NE(third.find("order3.csv line 9: expected 3 fields (as in the header), found 2"), std::string::npos)
      << third;
}

TEST_F(CsvReaderTest, LargeFileMatchesTheValuesWritten) {
  // Several megabytes, so records straddle the reader's buffer refills; every value is checked against what was
  // written (numbers against std::strtod and the integers printed), with quoting, escaped quotes, embedded
  // newlines, CRLF endings, spaces around numbers, nulls and numbers of every length.
  std::mt19937_64 rng(3);
  std::string text = "id,amount,label,count\n";
  std::vector<std::string> amounts;
  std::vector<std::string> labels;
  std::vector<std::optional<std::int64_t>> counts;
  for (int id = 0; id < 120000; ++id) {
    const auto whole = rng() % 100000000;
    const auto fraction = rng() % 1000;
    std::string amount;
    switch (rng() % 6) {
      case 0: amount = std::to_string(whole) + "." + std::to_string(fraction); break;
      case 1: amount = "-" + std::to_string(whole) + "." + std::to_string(fraction); break;
      case 2: amount = std::to_string(whole) + std::to_string(rng() % 100000000000ULL); break;
      case 3: amount = std::to_string(whole % 1000) + "e" + std::to_string(static_cast<int>(rng() % 40) - 20); break;
      case 4: amount = "  " + std::to_string(whole) + "." + std::to_string(fraction) + " "; break;
      default: amount = "0.000" + std::to_string(fraction) + std::to_string(whole); break;
    }
    std::string label;
    std::string written_label;
    switch (rng() % 4) {
      case 0: label = "plain" + std::to_string(rng() % 9); written_label = label; break;
      case 1: label = "with, comma"; written_label = "\"with, comma\""; break;
      case 2: label = "say \"hi\"\nthere"; written_label = "\"say \"\"hi\"\"\nthere\""; break;
      default: label = ""; written_label = "\"\""; break;
    }
    std::optional<std::int64_t> count;
    std::string written_count = "NA";
    if (rng() % 10 != 0) {
      count = static_cast<std::int64_t>(rng()) >> (rng() % 64);
      written_count = std::to_string(*count);
    }
    amounts.push_back(amount);
    labels.push_back(label);
    counts.push_back(count);
    text += std::to_string(id) + "," + amount + "," + written_label + "," + written_count + (id % 3 ? "\n" : "\r\n");
  }
  ASSERT_GT(text.size(), std::size_t{4} << 20);  // more than the reader's first buffer holds
  SourceOptions options;
  options.batch_rows = 7000;
  options.type_overrides["amount"] = core::DataType::float64();
  options.type_overrides["count"] = core::DataType::int64();
  const auto batch = read_all(write("large.csv", text), options);
  ASSERT_EQ(batch.num_rows, 120000);
  for (std::size_t row = 0; row < amounts.size(); ++row) {
    const auto r = static_cast<std::int64_t>(row);
    ASSERT_EQ(batch.columns[0].ints[row], r);
    ASSERT_EQ(batch.columns[1].doubles[row], std::strtod(amounts[row].c_str(), nullptr)) << amounts[row];
    ASSERT_EQ(batch.columns[2].string_at(r), labels[row]) << "row " << row;
    ASSERT_EQ(batch.columns[3].is_valid(r), counts[row].has_value()) << "row " << row;
    if (counts[row]) {
      ASSERT_EQ(batch.columns[3].ints[row], *counts[row]);
    }
  }
}

}  // namespace
}  // namespace driftgov::io
