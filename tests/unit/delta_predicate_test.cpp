// The replaceWhere predicate language: parsing (errors name the position and what was expected), the
// partition form, and SQL null semantics when rows are evaluated.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/predicate.hpp"

namespace driftgov::delta {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_predicate(text, "--replace-where");
  } catch (const core::InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(DeltaPredicate, ParsesConjunctionsOfEveryComparison) {
  const auto predicate = parse_predicate(
      "a = 1 AND b != 'x' and c <> -2.5e3 AND d < DATE '2024-01-02' AND e <= TIMESTAMP '2024-01-02 03:04:05' "
      "AND "
      "f > 3 AND g >= 4 AND h IS NULL AND i is not null AND j IN (1, 2, NULL) AND k NOT IN ('it''s') AND "
      "`odd name` "
      "== TRUE",
      "test");
  ASSERT_EQ(predicate.conjuncts.size(), 12u);
  EXPECT_EQ(predicate.conjuncts[1].op, ComparisonOperator::kNotEqual);
  EXPECT_EQ(predicate.conjuncts[2].values.at(0).text, "-2.5e3");
  EXPECT_EQ(predicate.conjuncts[3].values.at(0).kind, LiteralKind::kDate);
  EXPECT_EQ(predicate.conjuncts[4].values.at(0).kind, LiteralKind::kTimestamp);
  EXPECT_EQ(predicate.conjuncts[7].op, ComparisonOperator::kIsNull);
  EXPECT_EQ(predicate.conjuncts[8].op, ComparisonOperator::kIsNotNull);
  EXPECT_EQ(predicate.conjuncts[9].values.size(), 3u);
  EXPECT_EQ(predicate.conjuncts[9].values[2].kind, LiteralKind::kNull);
  EXPECT_EQ(predicate.conjuncts[10].op, ComparisonOperator::kNotIn);
  EXPECT_EQ(predicate.conjuncts[10].values.at(0).text, "it's");
  EXPECT_EQ(predicate.conjuncts[11].column, "odd name");
  EXPECT_EQ(
      predicate_text(predicate),
      "a = 1 AND b != 'x' AND c != -2.5e3 AND d < DATE '2024-01-02' AND e <= TIMESTAMP '2024-01-02 03:04:05' "
      "AND f > 3 AND g >= 4 AND h IS NULL AND i IS NOT NULL AND j IN (1, 2, NULL) AND k NOT IN ('it''s') AND "
      "`odd name` = TRUE");
  // The text form parses back to itself.
  EXPECT_EQ(predicate_text(parse_predicate(predicate_text(predicate), "test")), predicate_text(predicate));
}

TEST(DeltaPredicate, ErrorsNameThePositionAndWhatWasExpected) {
  EXPECT_NE(error_of("").find("position 1: expected a column name, found the end of the predicate"),
            std::string::npos);
  EXPECT_NE(
      error_of("a = 1 OR b = 2").find("position 7: expected AND or the end of the predicate, found 'OR'"),
      std::string::npos);
  EXPECT_NE(error_of("a = ").find("position 5: expected a value"), std::string::npos);
  EXPECT_NE(error_of("a ~ 1").find("position 3: expected a comparison"), std::string::npos);
  EXPECT_NE(error_of("a = 'open").find("position 5: expected a string closed by '"), std::string::npos);
  EXPECT_NE(error_of("a IN (1, 2").find("position 11: expected , or ) in the IN list"), std::string::npos);
  EXPECT_NE(error_of("a IS 1").find("position 6: expected NULL or NOT NULL, found '1'"), std::string::npos);
  EXPECT_NE(error_of("a = DATE 2024").find("position 10: expected a quoted DATE after DATE"),
            std::string::npos);
  EXPECT_NE(error_of("a = 12abc").find("position 5: expected a number"), std::string::npos);
  EXPECT_NE(error_of("a NOT = 1").find("position 7: expected IN after NOT"), std::string::npos);
  EXPECT_NE(error_of("AND = 1").find("position 1: expected a column name, found 'AND'"), std::string::npos);
  EXPECT_NE(error_of("a = 1 AND").find("position 10: expected a column name"), std::string::npos);
}

TEST(DeltaPredicate, PartitionFormTakesTheValueLiterally) {
  auto predicate = parse_replace_where("part=ü=1#?&+", "test");
  ASSERT_EQ(predicate.conjuncts.size(), 1u);
  EXPECT_EQ(predicate.conjuncts[0].op, ComparisonOperator::kEqual);
  EXPECT_EQ(predicate.conjuncts[0].values.at(0).text, "ü=1#?&+");
  predicate = parse_replace_where("part=null", "test");
  EXPECT_EQ(predicate.conjuncts.at(0).op, ComparisonOperator::kIsNull);
  predicate = parse_replace_where("part = 'a' AND x >= 2", "test");
  EXPECT_EQ(predicate.conjuncts.size(), 2u);
  // A partition value may hold spaces; text with spaces that parses as a predicate is one.
  predicate = parse_replace_where("part=x y", "test");
  ASSERT_EQ(predicate.conjuncts.size(), 1u);
  EXPECT_EQ(predicate.conjuncts[0].values.at(0).text, "x y");
  predicate = parse_replace_where("a=1 AND b=2", "test");
  ASSERT_EQ(predicate.conjuncts.size(), 2u);
  EXPECT_EQ(predicate.conjuncts[1].column, "b");
  EXPECT_EQ(predicate.conjuncts[1].values.at(0).kind, LiteralKind::kNumber);
  predicate = parse_replace_where("x>=2", "test");
  EXPECT_EQ(predicate.conjuncts.at(0).op, ComparisonOperator::kGreaterEqual);
}

core::RecordBatch sample() {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"n", core::DataType::int64(), true, std::nullopt},
                         core::Field{"s", core::DataType::string(), true, std::nullopt},
                         core::Field{"d", core::DataType::date(), true, std::nullopt},
                         core::Field{"x", core::DataType::float64(), true, std::nullopt}};
  batch.columns = {core::Column(core::DataType::int64()), core::Column(core::DataType::string()),
                   core::Column(core::DataType::date()), core::Column(core::DataType::float64())};
  // n: 1, 2, null; s: "a", null, "b"; d: 2024-01-01 (19723), 2024-01-03, null; x: 0.5, NaN, null
  batch.columns[0].append_int(1);
  batch.columns[0].append_int(2);
  batch.columns[0].append_null();
  batch.columns[1].append_string("a");
  batch.columns[1].append_null();
  batch.columns[1].append_string("b");
  batch.columns[2].append_int(19723);
  batch.columns[2].append_int(19725);
  batch.columns[2].append_null();
  batch.columns[3].append_double(0.5);
  batch.columns[3].append_double(std::numeric_limits<double>::quiet_NaN());
  batch.columns[3].append_null();
  batch.num_rows = 3;
  return batch;
}

std::vector<bool> evaluate(std::string_view text) {
  const auto batch = sample();
  return BoundPredicate(parse_predicate(text, "test"), batch.schema, "test").matches(batch);
}

TEST(DeltaPredicate, RowsFollowSqlNullSemantics) {
  using Rows = std::vector<bool>;
  EXPECT_EQ(evaluate("n = 1"), (Rows{true, false, false}));
  EXPECT_EQ(evaluate("n != 1"), (Rows{false, true, false}));  // null != 1 is unknown
  EXPECT_EQ(evaluate("n >= 1 AND n < 2"), (Rows{true, false, false}));
  EXPECT_EQ(evaluate("n IS NULL"), (Rows{false, false, true}));
  EXPECT_EQ(evaluate("s IS NOT NULL"), (Rows{true, false, true}));
  EXPECT_EQ(evaluate("n = NULL"), (Rows{false, false, false}));
  EXPECT_EQ(evaluate("n IN (2, NULL)"), (Rows{false, true, false}));
  EXPECT_EQ(evaluate("n NOT IN (2, NULL)"), (Rows{false, false, false}));
  EXPECT_EQ(evaluate("n NOT IN (2)"), (Rows{true, false, false}));
  EXPECT_EQ(evaluate("s > 'a'"), (Rows{false, false, true}));
  EXPECT_EQ(evaluate("d > DATE '2024-01-02'"), (Rows{false, true, false}));
  EXPECT_EQ(evaluate("d <= '2024-01-01'"), (Rows{true, false, false}));
  EXPECT_EQ(evaluate("x != 0.5"), (Rows{false, true, false}));  // NaN differs from every number
  EXPECT_EQ(evaluate("x <= 1"), (Rows{true, false, false}));
}

TEST(DeltaPredicate, BindingRefusesUnknownColumnsAndBadLiterals) {
  const auto batch = sample();
  EXPECT_THROW(BoundPredicate(parse_predicate("nope = 1", "t"), batch.schema, "t"), core::InputError);
  EXPECT_THROW(BoundPredicate(parse_predicate("n = 'abc'", "t"), batch.schema, "t"), core::InputError);
  EXPECT_THROW(BoundPredicate(parse_predicate("d = DATE '2024-13-45'", "t"), batch.schema, "t"),
               core::InputError);
}

TEST(DeltaPredicate, RangesForDataSkipping) {
  const auto batch = sample();
  const auto ranges = BoundPredicate(parse_predicate("n IN (5, 3) AND s < 'm' AND n IS NULL AND x > 1", "t"),
                                     batch.schema, "t")
                          .ranges();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].column, "n");
  EXPECT_EQ(std::get<std::int64_t>(*ranges[0].lower), 3);
  EXPECT_EQ(std::get<std::int64_t>(*ranges[0].upper), 5);
  EXPECT_EQ(ranges[1].column, "s");
  EXPECT_FALSE(ranges[1].lower.has_value());
  EXPECT_EQ(std::get<std::string>(*ranges[1].upper), "m");
}

TEST(DeltaPredicate, DecimalsBooleansAndTimestampsTakeTheColumnsType) {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"price", core::DataType::decimal(10, 2), true, std::nullopt},
                         core::Field{"flag", core::DataType::boolean(), true, std::nullopt},
                         core::Field{"at", core::DataType::timestamp(), true, std::nullopt}};
  batch.columns = {core::Column(core::DataType::decimal(10, 2)), core::Column(core::DataType::boolean()),
                   core::Column(core::DataType::timestamp())};
  batch.columns[0].append_decimal(150);  // 1.50
  batch.columns[0].append_decimal(-25);  // -0.25
  batch.columns[1].append_int(1);
  batch.columns[1].append_int(0);
  batch.columns[2].append_int(1704067200000000);  // 2024-01-01 00:00:00 UTC
  batch.columns[2].append_int(1704067200000001);
  batch.num_rows = 2;
  const auto rows = [&](std::string_view text) {
    return BoundPredicate(parse_predicate(text, "t"), batch.schema, "t").matches(batch);
  };
  using Rows = std::vector<bool>;
  EXPECT_EQ(rows("price = 1.5"), (Rows{true, false}));
  EXPECT_EQ(rows("price < 0"), (Rows{false, true}));
  EXPECT_EQ(rows("flag = TRUE"), (Rows{true, false}));
  EXPECT_EQ(rows("at > TIMESTAMP '2024-01-01 00:00:00'"), (Rows{false, true}));
  EXPECT_EQ(rows("at <= '2024-01-01T00:00:00.000001Z'"), (Rows{true, true}));
}

// window: struct<start: timestamp, end: timestamp, tag: struct<`x.y`: string>>, plus a top-level column named
// "window.start" (a long) that only backticks reach.
//   row 0: window {2026-01-05, 2026-01-06, {x.y "a"}}, `window.start` 1
//   row 1: window null, but its children hold values (a null struct hides them), `window.start` 2
//   row 2: window {2026-01-06, null, null}, `window.start` null
core::RecordBatch windows() {
  constexpr std::int64_t kDay = 86400000000;
  constexpr std::int64_t kJan5 = 1767571200000000;  // 2026-01-05 00:00:00 UTC, in microseconds
  const core::DataType timestamp = core::DataType::timestamp();
  core::DataType tag(core::TypeId::kStruct);
  tag.children = {core::Field{"x.y", core::DataType::string(), true, std::nullopt}};
  core::DataType window(core::TypeId::kStruct);
  window.children = {core::Field{"start", timestamp, true, std::nullopt},
                     core::Field{"end", timestamp, true, std::nullopt},
                     core::Field{"tag", tag, true, std::nullopt}};
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"window", window, true, std::nullopt},
                         core::Field{"window.start", core::DataType::int64(), true, std::nullopt}};
  core::Column structs(window);
  structs.children = {core::Column(timestamp), core::Column(timestamp), core::Column(tag)};
  structs.children[2].children = {core::Column(core::DataType::string())};
  structs.length = 3;
  structs.validity = {1, 0, 1};
  auto& start = structs.children[0];
  auto& end = structs.children[1];
  auto& tags = structs.children[2];
  start.append_int(kJan5);
  start.append_int(kJan5);
  start.append_int(kJan5 + kDay);
  end.append_int(kJan5 + kDay);
  end.append_int(kJan5 + kDay);
  end.append_null();
  tags.length = 3;
  tags.validity = {1, 1, 0};
  tags.children[0].append_string("a");
  tags.children[0].append_string("a");
  tags.children[0].append_null();
  core::Column flat(core::DataType::int64());
  flat.append_int(1);
  flat.append_int(2);
  flat.append_null();
  batch.columns = {std::move(structs), std::move(flat)};
  batch.num_rows = 3;
  return batch;
}

TEST(DeltaPredicate, ParsesDottedPathsThroughStructs) {
  const auto predicate = parse_predicate(
      "window.start IN (TIMESTAMP '2026-01-05 00:00:00') AND `a.b` = 1 AND a.`b.c`.d IS NULL "
      "AND x.and = 2 AND `odd name`.`x` > 0",
      "test");
  ASSERT_EQ(predicate.conjuncts.size(), 5u);
  EXPECT_EQ(predicate.conjuncts[0].column, "window");
  EXPECT_EQ(predicate.conjuncts[0].fields, (std::vector<std::string>{"start"}));
  EXPECT_EQ(predicate.conjuncts[1].column, "a.b");
  EXPECT_TRUE(predicate.conjuncts[1].fields.empty());
  EXPECT_EQ(predicate.conjuncts[2].column, "a");
  EXPECT_EQ(predicate.conjuncts[2].fields, (std::vector<std::string>{"b.c", "d"}));
  EXPECT_EQ(predicate.conjuncts[3].fields,
            (std::vector<std::string>{"and"}));  // a keyword is a field after a dot
  EXPECT_EQ(predicate.conjuncts[4].column, "odd name");
  EXPECT_EQ(
      predicate_text(predicate),
      "window.start IN (TIMESTAMP '2026-01-05 00:00:00') AND `a.b` = 1 AND a.`b.c`.d IS NULL AND x.and = 2 "
      "AND `odd name`.x > 0");
  EXPECT_EQ(predicate_text(parse_predicate(predicate_text(predicate), "test")), predicate_text(predicate));
  // A top-level column named like a keyword reads back only quoted.
  EXPECT_EQ(predicate_text(parse_predicate("`and` = 1", "test")), "`and` = 1");
  EXPECT_NE(error_of("window. start = 1").find("position 8: expected a field name right after '.'"),
            std::string::npos)
      << error_of("window. start = 1");
  EXPECT_NE(error_of("window.= 1").find("position 8: expected a field name after '.'"), std::string::npos)
      << error_of("window.= 1");
  EXPECT_NE(error_of("window.`start = 1").find("expected a field name closed by `"), std::string::npos);
}

TEST(DeltaPredicate, NestedFieldsAreNullUnderANullStruct) {
  const auto batch = windows();
  const auto rows = [&](std::string_view text) {
    return BoundPredicate(parse_predicate(text, "t"), batch.schema, "t").matches(batch);
  };
  using Rows = std::vector<bool>;
  EXPECT_EQ(rows("window.start = TIMESTAMP '2026-01-05 00:00:00'"), (Rows{true, false, false}));
  EXPECT_EQ(rows("window.start IN (TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-01-06 00:00:00')"),
            (Rows{true, false, true}));
  EXPECT_EQ(rows("window.start IS NULL"), (Rows{false, true, false}));
  EXPECT_EQ(rows("window.end IS NULL"), (Rows{false, true, true}));
  EXPECT_EQ(rows("window.start != TIMESTAMP '2026-01-06 00:00:00'"), (Rows{true, false, false}));
  EXPECT_EQ(rows("window.tag.`x.y` = 'a'"), (Rows{true, false, false}));
  EXPECT_EQ(rows("window.tag.`x.y` IS NULL"), (Rows{false, true, true}));
  // Backticks name the top-level column whose name holds the dot.
  EXPECT_EQ(rows("`window.start` = 2"), (Rows{false, true, false}));
  EXPECT_EQ(rows("`window.start` >= 1 AND window.start > TIMESTAMP '2026-01-05 00:00:00'"),
            (Rows{false, false, false}));
}

TEST(DeltaPredicate, NestedBindingNamesThePathAndReadsTheTopLevelColumn) {
  const auto batch = windows();
  const auto bound = BoundPredicate(
      parse_predicate("window.start >= TIMESTAMP '2026-01-05 12:00:00' AND `window.start` < 5", "t"),
      batch.schema, "t");
  EXPECT_EQ(bound.columns(), (std::vector<std::string>{"window", "window.start"}));
  const auto ranges = bound.ranges();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].column, "window");
  EXPECT_EQ(ranges[0].fields, (std::vector<std::string>{"start"}));
  EXPECT_EQ(std::get<std::int64_t>(*ranges[0].lower), 1767571200000000 + 43200000000);
  EXPECT_FALSE(ranges[0].upper.has_value());
  EXPECT_EQ(ranges[1].column, "window.start");
  EXPECT_TRUE(ranges[1].fields.empty());
  // Partition values are top-level: a nested comparison is a maybe, the top-level one is judged.
  core::Column two(core::DataType::int64());
  two.append_int(7);
  EXPECT_FALSE(
      bound.may_match([&](const std::string& name) { return name == "window.start" ? &two : nullptr; }));
  EXPECT_TRUE(bound.may_match([&](const std::string& name) { return name == "window" ? &two : nullptr; }));

  const auto message = [&](std::string_view text) {
    try {
      BoundPredicate(parse_predicate(text, "t"), batch.schema, "t: --replace-where");
    } catch (const std::exception& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("window.begin = 1"),
            "t: --replace-where: the struct 'window' has no field 'begin' (fields: start, end, tag)");
  EXPECT_EQ(message("window.start.x = 1"),
            "t: --replace-where: 'window.start' is not a struct (it is timestamp[us, UTC]), so it has no "
            "field 'x'");
  EXPECT_EQ(message("win.start = 1"),
            "t: --replace-where: no column 'win.start' (columns: window, `window.start`)");
  EXPECT_EQ(message("window.tag.x.y = 'a'"),
            "t: --replace-where: the struct 'window.tag' has no field 'x' (fields: `x.y`)");
  EXPECT_THROW(BoundPredicate(parse_predicate("window.tag = 'a'", "t"), batch.schema, "t"),
               core::UnsupportedError);
  EXPECT_THROW(BoundPredicate(parse_predicate("window.start = 'soon'", "t"), batch.schema, "t"),
               core::InputError);
}

TEST(DeltaPredicate, DottedTextNamingATopLevelColumnPointsToTheBackticks) {
  core::Schema schema;
  schema.fields = {core::Field{"a.b", core::DataType::int64(), true, std::nullopt}};
  try {
    BoundPredicate(parse_predicate("a.b = 1", "t"), schema, "t");
    FAIL() << "a.b resolved without a column a";
  } catch (const core::InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              "t: no column 'a.b' (columns: `a.b`); the top-level column 'a.b' is written `a.b`");
  }
}

}  // namespace
}  // namespace driftgov::delta
