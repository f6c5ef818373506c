// CSV writer: RFC 4180 quoting and nulls (value texts are tested in value_text_test.cpp).
#include "driftgov/io/csv_writer.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "driftgov/core/error.hpp"

namespace driftgov::io {
namespace {

using core::Column;
using core::DataType;

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
