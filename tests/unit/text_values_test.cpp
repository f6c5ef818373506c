// Numbers parsed from text against std::strtod / std::strtoll: plain decimals of every length around the fast
// path's limits (18 digits, 2^53, a point at either end), signs, exponents, and text that is no number at all.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/core/number_text.hpp"
#include "io/text_values.hpp"

namespace driftgov::io {
namespace {

void expect_parsed_as_strtod(const std::string& text) {
  double parsed = 12345.0;
  ASSERT_TRUE(parse_double(text, parsed)) << text;
  const double expected = std::strtod(text.c_str(), nullptr);
  // Bit patterns, so that -0.0 and 0.0 count as different.
  EXPECT_EQ(std::bit_cast<std::uint64_t>(parsed), std::bit_cast<std::uint64_t>(expected)) << text;
}

TEST(ParseDouble, PlainDecimalsMatchStrtod) {
  for (const char* text :
       {"0", "-0", "0.0", "-0.0", "5", "+5", "41", "0.0572", "50469.39", "-1801.03", "00012.500", "0.1", "0.3",
        "123456789012345678", "12345678901234567.8", "1234567890123456789", "0.000000000000000001",
        "9007199254740992", "9007199254740993", "9007199254740993.0", "900719925474099.3", "1.7976931348623157",
        "5.", "-5.", "+5.", "1e5", "-2.5E-3", "1234567890123456789012345", "0.1234567890123456789",
        // Four to eight bytes, read as one word: the point at every place, leading and trailing zeros.
        "1.23", "12.3", "0.00", "9.999", "99.99", "999.9", "1.2345", "12.345", "123.45", "1234.5", "1.234567",
        "1234567.8", "0.000001", "00000.01", "9999999.9", "-0.0572", "-50469.39", "1e-5", "12.5e3"}) {
    expect_parsed_as_strtod(text);
  }
  std::mt19937_64 rng(17);
  for (int i = 0; i < 200000; ++i) {
    const int whole_digits = 1 + static_cast<int>(rng() % 20);
    const int fraction_digits = static_cast<int>(rng() % 21);
    std::string text = rng() % 2 ? "-" : "";
    for (int d = 0; d < whole_digits; ++d) text += static_cast<char>('0' + rng() % 10);
    if (fraction_digits > 0) {
      text += '.';
      for (int d = 0; d < fraction_digits; ++d) text += static_cast<char>('0' + rng() % 10);
    }
    expect_parsed_as_strtod(text);
  }
}

TEST(ParseDouble, SpecialValues) {
  double value = 0.0;
  ASSERT_TRUE(parse_double("NaN", value));
  EXPECT_TRUE(std::isnan(value));
  ASSERT_TRUE(parse_double("-inf", value));
  EXPECT_EQ(value, -INFINITY);
  ASSERT_TRUE(parse_double("Infinity", value));
  EXPECT_EQ(value, INFINITY);
}

TEST(ParseDouble, RefusesWhatIsNoNumber) {
  for (const char* text : {"", "-", "+", ".", "-.", "1.2.3", "1..2", "12a", "a12", "1-2", "--1", "1,5", "1 2", "0x10",
                           "1.5e", "e5", "12345678901234567890123.4.5", "\xff", "1.2.", "1.2.3", "12.3.4", "1.2a", "12.a4",
                           "1.-2", "1.2-3", "12 .5", "1/2.5", "1.2:", "12.5\x80", "\x80\x80.1", "--1.5", ".25.",
                           "1..2345"}) {
    double value = 0.0;
    EXPECT_FALSE(parse_double(text, value)) << text;
  }
}

TEST(ParseInt64, MatchesStrtoll) {
  for (const char* text : {"0", "-0", "7", "-7", "+7", "41", "641", "123456789012345678", "-123456789012345678",
                           "1234567890123456789", "-1234567890123456789", "9223372036854775807",
                           "-9223372036854775808", "000000000000000000042"}) {
    std::int64_t parsed = 12345;
    ASSERT_TRUE(parse_int64(text, parsed)) << text;
    EXPECT_EQ(parsed, std::strtoll(text, nullptr, 10)) << text;
  }
  std::mt19937_64 rng(19);
  for (int i = 0; i < 100000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 18);
    std::string text = rng() % 2 ? "-" : "";
    for (int d = 0; d < digits; ++d) text += static_cast<char>('0' + rng() % 10);
    std::int64_t parsed = 0;
    ASSERT_TRUE(parse_int64(text, parsed)) << text;
    EXPECT_EQ(parsed, std::strtoll(text.c_str(), nullptr, 10)) << text;
  }
}

TEST(ParseInt64, RefusesWhatIsNoInteger) {
  for (const char* text : {"", "-", "+", "--1", "1-", "1a", "a1", "1.5", "1e3", " 1", "9223372036854775808",
                           "-9223372036854775809", "12345678901234567890", "\x80"}) {
    std::int64_t value = 0;
    EXPECT_FALSE(parse_int64(text, value)) << text;
  }
}

}  // namespace
}  // namespace driftgov::io

TEST(DecimalText, RoundsHalfUpToTheScaleAndChecksThePrecision) {
  using driftgov::core::DecimalParse;
  using driftgov::core::Int128;
  const auto parse = [](std::string_view text, int precision, int scale) -> std::optional<std::int64_t> {
    Int128 unscaled = 0;
    if (driftgov::core::parse_decimal(text, precision, scale, unscaled) != DecimalParse::kOk) return std::nullopt;
    return static_cast<std::int64_t>(unscaled);
  };
  EXPECT_EQ(parse("1.005", 10, 2), 101);    // half up, away from zero
  EXPECT_EQ(parse("-0.125", 10, 2), -13);
  EXPECT_EQ(parse("1.004999", 10, 2), 100);
  EXPECT_EQ(parse("-2.5E1", 10, 2), -2500);
  EXPECT_EQ(parse("1e-3", 10, 2), 0);
  EXPECT_EQ(parse("+0.000", 4, 2), 0);
  EXPECT_EQ(parse("12", 4, 2), 1200);
  EXPECT_EQ(parse("99.994", 4, 2), 9999);
  EXPECT_EQ(parse("99.995", 4, 2), std::nullopt);  // rounds to 100.00: five digits
  EXPECT_EQ(parse("100", 4, 2), std::nullopt);
  EXPECT_EQ(parse("5e-1", 1, 0), 1);
  Int128 unscaled = 0;
  EXPECT_EQ(driftgov::core::parse_decimal("99999999999999999999999999999999999999", 38, 0, unscaled),
            DecimalParse::kOk);
  EXPECT_EQ(driftgov::core::parse_decimal("1e38", 38, 0, unscaled), DecimalParse::kOverflow);
  EXPECT_EQ(driftgov::core::parse_decimal("1e999999999999", 38, 0, unscaled), DecimalParse::kOverflow);
  EXPECT_EQ(driftgov::core::parse_decimal("1e-999999999999", 38, 2, unscaled), DecimalParse::kOk);
  EXPECT_EQ(unscaled, 0);
  for (const char* bad : {"", "-", ".", "1.2.3", "1e", "1e+", "abc", "1 2", "NaN", "Infinity"}) {
    EXPECT_EQ(driftgov::core::parse_decimal(bad, 10, 2, unscaled), DecimalParse::kNotANumber) << bad;
  }
}

// core::parse_finite_number: the one reader of numbers given as option and configuration text.
TEST(ParseFiniteNumber, ReadsWholeFiniteNumbers) {
  EXPECT_EQ(driftgov::core::parse_finite_number("0.25", "--threshold"), 0.25);
  EXPECT_EQ(driftgov::core::parse_finite_number("-3e2", "x"), -300.0);
  EXPECT_EQ(driftgov::core::parse_finite_number("7", "x"), 7.0);
}

TEST(ParseFiniteNumber, RefusesAnythingElseNamingTheOption) {
  for (const std::string text : {"", "abc", "1.5x", "nan", "inf", "-infinity", "1e999", " "}) {
    try {
      driftgov::core::parse_finite_number(text, "gate.threshold");
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const driftgov::core::InputError& error) {
      EXPECT_EQ(std::string(error.what()), "gate.threshold: expected a number, got '" + text + "'");
    }
  }
}
