// CSV writer: value texts against hand-computed calendar and decimal results, and RFC 4180 quoting.
#include "driftgov/io/csv_writer.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>

#include "driftgov/core/error.hpp"

namespace driftgov::io {
namespace {

using core::Column;
using core::DataType;

Column column_of(DataType type, std::int64_t value) {
  Column column(std::move(type));
  column.append_int(value);
  return column;
}

TEST(CsvWriterText, DatesAndTimestampsAreIso8601) {
  EXPECT_EQ(value_text(column_of(DataType::date(), 0), 0), "1970-01-01");
  EXPECT_EQ(value_text(column_of(DataType::date(), -1), 0), "1969-12-31");
  EXPECT_EQ(value_text(column_of(DataType::date(), 19782), 0), "2024-02-29");  // 54 years, 13 of them leap
  EXPECT_EQ(value_text(column_of(DataType::timestamp(core::TimeUnit::kMicro, true), -1), 0),
            "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(value_text(column_of(DataType::timestamp(core::TimeUnit::kMilli, false), 1500), 0),
            "1970-01-01T00:00:01.500");
  EXPECT_EQ(
      value_text(column_of(DataType::timestamp(core::TimeUnit::kNano, true), 86400LL * 1000000000 + 1), 0),
      "1970-01-02T00:00:00.000000001Z");
  EXPECT_EQ(value_text(column_of(DataType::timestamp(core::TimeUnit::kMicro, true), 3600LL * 1000000), 0),
            "1970-01-01T01:00:00Z");
}

TEST(CsvWriterText, NumbersAreExact) {
  Column decimals(DataType::decimal(10, 3));
  decimals.append_decimal(-5);
  decimals.append_decimal(12345);
  decimals.append_decimal(0);
  EXPECT_EQ(value_text(decimals, 0), "-0.005");
  EXPECT_EQ(value_text(decimals, 1), "12.345");
  EXPECT_EQ(value_text(decimals, 2), "0.000");
  Column doubles(DataType::float64());
  for (double value : {1.0, -0.0, 0.1, std::numeric_limits<double>::quiet_NaN(),
                       -std::numeric_limits<double>::infinity(), 1e300}) {
    doubles.append_double(value);
  }
  EXPECT_EQ(value_text(doubles, 0), "1.0");
  EXPECT_EQ(value_text(doubles, 1), "-0.0");
  EXPECT_EQ(value_text(doubles, 2), "0.1");
  EXPECT_EQ(value_text(doubles, 3), "NaN");
  EXPECT_EQ(value_text(doubles, 4), "-Infinity");
  EXPECT_EQ(value_text(doubles, 5), "1e+300");
  Column floats(DataType::float32());
  floats.append_double(static_cast<double>(0.1f));
  EXPECT_EQ(value_text(floats, 0), "0.1");
  Column binary(DataType::binary());
  binary.append_string(std::string("\x00\xff", 2));
  EXPECT_EQ(value_text(binary, 0), "00ff");
}

TEST(CsvWriterText, NestedValuesAreJson) {
  DataType list_type{core::TypeId::kList};
  list_type.children.push_back(core::Field{"element", DataType::int64(), true, std::nullopt});
  Column list(list_type);
  list.children.emplace_back(DataType::int64());
  list.children[0].append_int(1);
  list.children[0].append_null();
  list.offsets.push_back(2);
  list.length = 1;
  EXPECT_EQ(value_text(list, 0), "[1,null]");
}

TEST(CsvWriter, QuotesOnlyWhatNeedsQuoting) {
  core::Schema schema;
  schema.fields = {core::Field{"text", DataType::string(), true, std::nullopt},
                   core::Field{"n", DataType::int64(), true, std::nullopt}};
  core::RecordBatch batch;
  batch.schema = schema;
  Column text(DataType::string());
  Column numbers(DataType::int64());
  for (const char* value : {"plain", "", "a,b", "say \"hi\"", " padded", "two\nlines"}) {
    text.append_string(value);
    numbers.append_int(1);
  }
  text.append_null();
  numbers.append_null();
  batch.columns = {text, numbers};
  batch.num_rows = text.length;
  std::ostringstream out;
  CsvWriter writer(out, schema);
  writer.write(batch);
  writer.finish();
  EXPECT_EQ(out.str(),
            "text,n\nplain,1\n\"\",1\n\"a,b\",1\n\"say \"\"hi\"\"\",1\n\" padded\",1\n\"two\nlines\",1\n,\n");
}

TEST(CsvWriter, SingleColumnNullsAreNotBlankLines) {
  core::Schema schema;
  schema.fields = {core::Field{"n", DataType::int64(), true, std::nullopt}};
  core::RecordBatch batch;
  batch.schema = schema;
  Column numbers(DataType::int64());
  numbers.append_null();
  numbers.append_int(2);
  batch.columns = {numbers};
  batch.num_rows = 2;
  std::ostringstream out;
  CsvWriter writer(out, schema);
  writer.write(batch);
  writer.finish();
  EXPECT_EQ(out.str(), "n\nNULL\n2\n");
  batch.schema.fields[0].name = "m";
  EXPECT_THROW(writer.write(batch), core::InputError);
}

}  // namespace
}  // namespace driftgov::io
