// Fuzzes the replaceWhere predicate language: parsing, the text form (which must parse back to itself),
// binding to a schema of every literal type and of struct fields (w.start, w.`in`.v), and evaluation with SQL
// null semantics (a field under a null struct is null). Arbitrary text must give a predicate or a
// core::InputError / core::UnsupportedError, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <initializer_list>
#include <iterator>
#include <string_view>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/predicate.hpp"

namespace {

using driftgov::core::Column;
using driftgov::core::DataType;
using driftgov::core::Field;

// w: struct<start: timestamp, n: long, in: struct<v: string>>; row 0 valid, row 1 a null struct whose fields
// hold values, row 2 null throughout.
void append_window(Column& w, int row) {
  if (row == 2) {
    w.append_null();
    return;
  }
  auto& inner = w.children[2];
  w.children[0].append_int(row == 0 ? 1704067200000000 : -1);
  w.children[1].append_int(row == 0 ? 7 : std::numeric_limits<std::int64_t>::min());
  inner.children[0].append_string(row == 0 ? "EU" : "");
  inner.validity.push_back(1);
  ++inner.length;
  w.validity.push_back(row == 0 ? 1 : 0);
  ++w.length;
}

Column window_column(const DataType& type) {
  Column w(type);
  Column inner(type.children[2].type);
  inner.children.emplace_back(DataType::string());
  w.children = {Column(DataType::timestamp()), Column(DataType::int64()), std::move(inner)};
  return w;
}

// Rows 0-2: ordinary values, extremes (NaN, minimum integers, dates before 1970), nulls. `rows` picks which.
driftgov::core::RecordBatch make_batch(std::initializer_list<int> rows) {
  driftgov::core::RecordBatch batch;
  const DataType types[] = {DataType::int64(),     DataType::int32(),  DataType::float64(),
                            DataType::string(),    DataType::boolean(), DataType::date(),
                            DataType::timestamp(), DataType::decimal(10, 2)};
  const char* names[] = {"a", "b", "x", "s", "f", "d", "t", "m"};
  for (std::size_t i = 0; i < std::size(types); ++i) {
    batch.schema.fields.push_back(Field{names[i], types[i], true, std::nullopt});
    batch.columns.emplace_back(types[i]);
  }
  DataType inner(driftgov::core::TypeId::kStruct);
  inner.children = {Field{"v", DataType::string(), true, std::nullopt}};
  DataType window(driftgov::core::TypeId::kStruct);
  window.children = {Field{"start", DataType::timestamp(), true, std::nullopt},
                     Field{"n", DataType::int64(), true, std::nullopt},
                     Field{"in", inner, true, std::nullopt}};
  batch.schema.fields.push_back(Field{"w", window, true, std::nullopt});
  batch.columns.push_back(window_column(window));
  for (const int row : rows) {
    auto& c = batch.columns;
    append_window(c.back(), row);
    if (row == 2) {
      for (std::size_t i = 0; i + 1 < c.size(); ++i) c[i].append_null();
      continue;
    }
    const bool extreme = row == 1;
    c[0].append_int(extreme ? std::numeric_limits<std::int64_t>::min() : 7);
    c[1].append_int(extreme ? std::numeric_limits<std::int32_t>::max() : -3);
    c[2].append_double(extreme ? std::numeric_limits<double>::quiet_NaN() : 0.25);
    c[3].append_string(extreme ? "" : "EU");
    c[4].append_int(extreme ? 0 : 1);
    c[5].append_int(extreme ? -1 : 19723);
    c[6].append_int(extreme ? -1 : 1704067200000000);
    c[7].append_decimal(extreme ? -1 : 12345);
  }
  batch.num_rows = static_cast<std::int64_t>(rows.size());
  return batch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto batch = make_batch({0, 1, 2});
  static const driftgov::core::RecordBatch single_rows[] = {make_batch({0}), make_batch({1}), make_batch({2})};
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto predicate = driftgov::delta::parse_replace_where(input, "fuzz");
    const auto text = driftgov::delta::predicate_text(predicate);
    if (driftgov::delta::predicate_text(driftgov::delta::parse_predicate(text, "again")) != text) __builtin_trap();
    const driftgov::delta::BoundPredicate bound(predicate, batch.schema, "fuzz");
    const auto matched = bound.matches(batch);
    if (matched.size() != 3) __builtin_trap();
    (void)bound.ranges();
    // A row that matches must never be ruled out by may_match on its own values (that would skip a file holding it).
    for (int row = 0; row < 3; ++row) {
      const auto& single = single_rows[row];
      if (bound.matches(single).at(0) != matched[static_cast<std::size_t>(row)]) __builtin_trap();
      const bool may = bound.may_match([&](const std::string& name) -> const Column* {
        for (std::size_t i = 0; i < single.schema.fields.size(); ++i) {
          if (single.schema.fields[i].name == name) return &single.columns[i];
        }
        return nullptr;
      });
      if (matched[static_cast<std::size_t>(row)] && !may) __builtin_trap();
    }
  } catch (const driftgov::core::InputError&) {
  } catch (const driftgov::core::UnsupportedError&) {
  }
  return 0;
}
