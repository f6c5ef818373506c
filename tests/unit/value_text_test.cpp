// Value texts against hand-computed calendar, decimal and base64 results (docs/value-text.md); the same rules
// against Python's datetime, decimal and base64 are checked in tests/python/test_value_text.py.
#include "driftgov/core/value_text.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace driftgov::core {
namespace {


Column column_of(DataType type, std::int64_t value) {
  Column column(std::move(type));
  column.append_int(value);
  return column;
}

TEST(ValueText, DatesAndTimestampsAreIso8601) {
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

TEST(ValueText, NumbersAreExact) {
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
  EXPECT_EQ(value_text(binary, 0), "AP8=");
}

TEST(ValueText, NestedValuesAreJson) {
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

TEST(ValueText, DatesOutsideFourDigitYearsCarryASign) {
  // 0000-01-01 is 719528 days before 1970 (1970 years, 478 of them leap); 10000 years are 25 cycles of 146097 days.
  EXPECT_EQ(date_text(25 * 146097 - 719528 - 1), "9999-12-31");
  EXPECT_EQ(date_text(25 * 146097 - 719528), "+10000-01-01");
  EXPECT_EQ(date_text(-719528), "0000-01-01");
  EXPECT_EQ(date_text(-719529), "-0001-12-31");
  EXPECT_EQ(date_text(-719528 - 146097 * 100), "-40000-01-01");
  EXPECT_EQ(date_text(std::numeric_limits<std::int32_t>::max()), "+5881580-07-11");  // Java's LocalDate agrees
}

TEST(ValueText, TimestampLayoutsForDeltaLogs) {
  EXPECT_EQ(timestamp_text(-1, core::TimeUnit::kMilli, true, TimestampLayout{.always_fraction = true}),
            "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(timestamp_text(0, core::TimeUnit::kMilli, false, TimestampLayout{.always_fraction = true}),
            "1970-01-01T00:00:00.000");
  EXPECT_EQ(timestamp_text(1'500'000, core::TimeUnit::kMicro, false, TimestampLayout{.separator = ' '}),
            "1970-01-01 00:00:01.500000");
  EXPECT_EQ(timestamp_text(std::numeric_limits<std::int64_t>::min(), core::TimeUnit::kNano, true),
            "1677-09-21T00:12:43.145224192Z");
}

TEST(ValueText, Base64PadsToWholeGroups) {  // RFC 4648, section 10
  EXPECT_EQ(binary_text(""), "");
  EXPECT_EQ(binary_text("f"), "Zg==");
  EXPECT_EQ(binary_text("fo"), "Zm8=");
  EXPECT_EQ(binary_text("foo"), "Zm9v");
  EXPECT_EQ(binary_text("foobar"), "Zm9vYmFy");
}

TEST(ValueText, JsonKeepsEveryDigitOfIntegers) {
  Column integers(DataType::int64());
  integers.append_int(std::numeric_limits<std::int64_t>::min());
  Column unsigned_integers(DataType::decimal(20, 0));  // how Parquet's UINT_64 reads
  unsigned_integers.append_decimal(static_cast<core::Int128>(std::numeric_limits<std::uint64_t>::max()));
  Column decimals(DataType::decimal(38, 2));
  decimals.append_decimal(-150);
  Column doubles(DataType::float64());
  doubles.append_double(std::numeric_limits<double>::quiet_NaN());
  doubles.append_double(2.0);
  std::string out;
  append_json(out, integers, 0);
  out += ' ';
  append_json(out, unsigned_integers, 0);
  out += ' ';
  append_json(out, decimals, 0);
  out += ' ';
  append_json(out, doubles, 0);
  out += ' ';
  append_json(out, doubles, 1);
  EXPECT_EQ(out, "-9223372036854775808 18446744073709551615 \"-1.50\" \"NaN\" 2.0");
}

TEST(ValueText, ShortestFractionDropsWholeGroupsOfZeros) {
  const TimestampLayout shortest{.shortest_fraction = true};
  EXPECT_EQ(timestamp_text(250'000, TimeUnit::kMicro, true, shortest), "1970-01-01T00:00:00.250Z");
  EXPECT_EQ(timestamp_text(250'000, TimeUnit::kMicro, true), "1970-01-01T00:00:00.250000Z");
  EXPECT_EQ(timestamp_text(1, TimeUnit::kNano, false, shortest), "1970-01-01T00:00:00.000000001");
  EXPECT_EQ(timestamp_text(-1'000, TimeUnit::kNano, false, shortest), "1969-12-31T23:59:59.999999");
  EXPECT_EQ(timestamp_text(86'400'000, TimeUnit::kMilli, true, shortest), "1970-01-02T00:00:00Z");
}

}  // namespace
}  // namespace driftgov::core
