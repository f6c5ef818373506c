#pragma once
// Row predicates for partial overwrites (Spark's replaceWhere): a conjunction of comparisons on columns and
// on primitive fields inside struct columns,
//   predicate  := comparison (AND comparison)*
//   comparison := column (= | == | != | <> | < | <= | > | >=) literal | column IS [NOT] NULL
//               | column [NOT] IN (literal, ...)
//   literal    := number | 'text' ('' inside is a quote) | DATE 'yyyy-mm-dd' | TIMESTAMP 'yyyy-mm-dd
//   hh:mm:ss[.f]'
//               | TRUE | FALSE | NULL
//   column     := part ('.' part)*        (no spaces around the dots)
//   part       := name | `any text` (`` inside is a backtick)
// A dotted column is a path: the first part names a top-level column (its exact name), each further part a
// field of the struct before it, as Spark resolves `window.start`. A top-level column whose name holds a dot
// is named with backticks (`a.b`); unquoted, a.b is the field b of the column a. Keywords are
// case-insensitive (after a dot they are field names). Evaluation follows SQL: a comparison with null is
// unknown, never true, and only rows for which every comparison is true match. Literals take the column's
// type when bound to a schema.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/data_skipping.hpp"

namespace driftgov::delta {

enum class ComparisonOperator {
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kIsNull,
  kIsNotNull,
  kIn,
  kNotIn
};

enum class LiteralKind { kNull, kNumber, kText, kDate, kTimestamp, kBoolean };

struct Literal {
  LiteralKind kind = LiteralKind::kNull;
  std::string text;  // as written, without quotes
};

struct Comparison {
  std::string column;  // the top-level column
  ComparisonOperator op = ComparisonOperator::kEqual;
  std::vector<Literal> values;  // one, none (IS [NOT] NULL) or the IN list
  // Struct fields below `column`, outermost first; empty for the column itself.
  std::vector<std::string> fields = {};
};

struct Predicate {
  std::vector<Comparison> conjuncts;
};

// Parses the grammar above. Throws core::InputError "<context>: position N: expected <what>, found <what>"
// (N counts characters from 1).
Predicate parse_predicate(std::string_view text, std::string_view context);

// A --replace-where text: `COLUMN=VALUE` with no spaces around '=' and no quote is the partition form (VALUE
// taken literally, `null` selecting nulls), unless VALUE holds a space and the whole text parses as a predicate
// ("a=1 AND b=2"); anything else is parsed as a predicate.
Predicate parse_replace_where(std::string_view text, std::string_view context);

// One comparison as SQL text (for commitInfo and messages).
std::string comparison_text(const Comparison& comparison);
// The column path as the grammar writes it: window.start, `a.b`, `odd name`.`x`.
std::string column_path_text(const std::string& column, const std::vector<std::string>& fields);
std::string predicate_text(const Predicate& predicate);

// A predicate bound to a schema: literals converted to each compared column's (or field's) type. Throws
// InputError for an unknown column or field, a path through a column that is not a struct, or a literal the
// type cannot hold; UnsupportedError for a comparison on a struct, list or map itself.
class BoundPredicate {
 public:
  BoundPredicate(const Predicate& predicate, const core::Schema& schema, const std::string& context);

  // Top-level columns (logical names) the predicate reads: for window.start, window.
  std::vector<std::string> columns() const;
  // Ranges for data skipping (nested fields as paths): files outside them hold no matching row.
  std::vector<ColumnRange> ranges() const;
  // Whether row `row` of `batch` (which holds every top-level column the predicate reads, nested fields found
  // by their logical names) satisfies every comparison. A field under a null struct is null.
  std::vector<bool> matches(const core::RecordBatch& batch) const;
  // Whether comparisons on the given top-level columns alone may be true: false only when one of them is not
  // true for `values` (logical column name -> one-row column); comparisons on other columns and on nested
  // fields count as maybe. Partition values, the use of this, are top-level only.
  bool may_match(const std::function<const core::Column*(const std::string&)>& value_of) const;

 private:
  struct Bound {
    Comparison comparison;
    core::Field field;  // the compared column, or the nested field (path in comparison.fields)
    std::vector<std::optional<BoundValue>> values;  // nullopt for a null literal
  };
  std::optional<bool> evaluate(const Bound& bound, const std::optional<BoundValue>& value) const;
  std::vector<Bound> bound_;
};

}  // namespace driftgov::delta
