#include "driftgov/delta/predicate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/schema.hpp"
#include "driftgov/delta/snapshot.hpp"

namespace driftgov::delta {
namespace {

constexpr const char* kReserved[] = {"AND", "OR", "NOT", "IS", "IN", "NULL"};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool same_keyword(std::string_view word, std::string_view keyword) {
  return word.size() == keyword.size() &&
         std::equal(word.begin(), word.end(), keyword.begin(),
                    [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view context) : text_(text), context_(context) {}

  Predicate parse() {
    Predicate predicate;
    predicate.conjuncts.push_back(comparison());
    while (true) {
      skip_spaces();
      if (position_ == text_.size()) break;
      if (!keyword("AND")) fail("AND or the end of the predicate");
      predicate.conjuncts.push_back(comparison());
    }
    return predicate;
  }

 private:
  [[noreturn]] void fail(std::string_view expected) const {
    std::string found = "the end of the predicate";
    if (position_ < text_.size()) {
      std::size_t end = position_ + 1;
      if (is_name_char(text_[position_])) {
        while (end < text_.size() && is_name_char(text_[end])) ++end;
      }
      found = fmt::format("'{}'", text_.substr(position_, end - position_));
    }
    throw core::InputError(fmt::format("{}: position {}: expected {}, found {} in \"{}\"", context_,
                                       position_ + 1, expected, found, text_));
  }

  void skip_spaces() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
      ++position_;
  }

  // The next bare word, not consumed.
  std::string_view peek_word() {
    skip_spaces();
    std::size_t end = position_;
    if (end < text_.size() && is_name_start(text_[end])) {
      while (end < text_.size() && is_name_char(text_[end])) ++end;
    }
    return text_.substr(position_, end - position_);
  }

  bool keyword(std::string_view name) {
    const auto word = peek_word();
    if (!same_keyword(word, name)) return false;
    position_ += word.size();
    return true;
  }

  bool symbol(std::string_view text) {
    skip_spaces();
    if (text_.substr(position_, text.size()) != text) return false;
    position_ += text.size();
    return true;
  }

  // Text between `quote` characters, a doubled quote standing for one.
  std::string quoted(char quote, std::string_view what) {
    const std::size_t start = position_;
    ++position_;
    std::string value;
    while (true) {
      if (position_ >= text_.size()) {
        position_ = start;
        fail(fmt::format("{} closed by {}", what, quote));
      }
      if (text_[position_] == quote) {
        if (position_ + 1 < text_.size() && text_[position_ + 1] == quote) {
          value += quote;
          position_ += 2;
          continue;
        }
        ++position_;
        return value;
      }
      value += text_[position_++];
    }
  }

  // One part of a column path: a bare name or `any text`. Keywords are refused only where a column starts.
  std::string column_part(bool first) {
    if (position_ < text_.size() && text_[position_] == '`')
      return quoted('`', first ? "a column name" : "a field name");
    const auto word = peek_word();
    if (word.empty()) fail(first ? "a column name" : "a field name after '.'");
    if (first) {
      for (const auto* reserved : kReserved) {
        if (same_keyword(word, reserved)) fail("a column name");
      }
    }
    position_ += word.size();
    return std::string(word);
  }

  void column(Comparison& comparison) {
    skip_spaces();
    comparison.column = column_part(true);
    while (position_ < text_.size() && text_[position_] == '.') {
      ++position_;
      if (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
        fail("a field name right after '.'");
      comparison.fields.push_back(column_part(false));
    }
  }

  Literal literal() {
    skip_spaces();
    if (position_ < text_.size() && text_[position_] == '\'')
      return {LiteralKind::kText, quoted('\'', "a string")};
    if (position_ < text_.size() &&
        (std::isdigit(static_cast<unsigned char>(text_[position_])) || text_[position_] == '-' ||
         text_[position_] == '+' || text_[position_] == '.')) {
      const std::size_t start = position_;
      if (text_[position_] == '-' || text_[position_] == '+') ++position_;
      std::size_t digits = 0;
      while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_])))
        ++position_, ++digits;
      if (position_ < text_.size() && text_[position_] == '.') {
        ++position_;
        while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_])))
          ++position_, ++digits;
      }
      if (digits > 0 && position_ < text_.size() && (text_[position_] == 'e' || text_[position_] == 'E')) {
        ++position_;
        if (position_ < text_.size() && (text_[position_] == '-' || text_[position_] == '+')) ++position_;
        std::size_t exponent = 0;
        while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_])))
          ++position_, ++exponent;
        if (exponent == 0) fail("the digits of an exponent");
      }
      if (digits == 0 || (position_ < text_.size() && is_name_char(text_[position_]))) {
        position_ = start;
        fail("a number");
      }
      return {LiteralKind::kNumber, std::string(text_.substr(start, position_ - start))};
    }
    static const std::pair<const char*, LiteralKind> kTyped[] = {{"DATE", LiteralKind::kDate},
                                                                 {"TIMESTAMP", LiteralKind::kTimestamp}};
    for (const auto& [name, kind] : kTyped) {
      if (keyword(name)) {
        skip_spaces();
        if (position_ >= text_.size() || text_[position_] != '\'')
          fail(fmt::format("a quoted {} after {}", name, name));
        return {kind, quoted('\'', "a string")};
      }
    }
    if (keyword("NULL")) return {LiteralKind::kNull, ""};
    if (keyword("TRUE")) return {LiteralKind::kBoolean, "true"};
    if (keyword("FALSE")) return {LiteralKind::kBoolean, "false"};
    fail("a value (a number, 'text', DATE '...', TIMESTAMP '...', TRUE, FALSE or NULL)");
  }

  Comparison comparison() {
    Comparison result;
    column(result);
    if (keyword("IS")) {
      const bool negated = keyword("NOT");
      if (!keyword("NULL")) fail(negated ? "NULL" : "NULL or NOT NULL");
      result.op = negated ? ComparisonOperator::kIsNotNull : ComparisonOperator::kIsNull;
      return result;
    }
    const bool negated = keyword("NOT");
    if (keyword("IN")) {
      result.op = negated ? ComparisonOperator::kNotIn : ComparisonOperator::kIn;
      if (!symbol("(")) fail("( after IN");
      do {
        result.values.push_back(literal());
      } while (symbol(","));
      if (!symbol(")")) fail(", or ) in the IN list");
      return result;
    }
    if (negated) fail("IN after NOT");
    static const std::pair<std::string_view, ComparisonOperator> kOperators[] = {
        {"==", ComparisonOperator::kEqual},        {"!=", ComparisonOperator::kNotEqual},
        {"<>", ComparisonOperator::kNotEqual},     {"<=", ComparisonOperator::kLessEqual},
        {">=", ComparisonOperator::kGreaterEqual}, {"=", ComparisonOperator::kEqual},
        {"<", ComparisonOperator::kLess},          {">", ComparisonOperator::kGreater}};
    for (const auto& [text, op] : kOperators) {
      if (symbol(text)) {
        result.op = op;
        result.values.push_back(literal());
        return result;
      }
    }
    fail("a comparison (=, !=, <>, <, <=, >, >=, IS [NOT] NULL or [NOT] IN)");
  }

  std::string_view text_;
  std::string_view context_;
  std::size_t position_ = 0;
};

std::string literal_text(const Literal& literal) {
  const auto quote = [](std::string_view text) {
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  switch (literal.kind) {
    case LiteralKind::kNull:
      return "NULL";
    case LiteralKind::kNumber:
      return literal.text;
    case LiteralKind::kBoolean:
      return literal.text == "true" ? "TRUE" : "FALSE";
    case LiteralKind::kText:
      return quote(literal.text);
    case LiteralKind::kDate:
      return "DATE " + quote(literal.text);
    case LiteralKind::kTimestamp:
      return "TIMESTAMP " + quote(literal.text);
  }
  return literal.text;
}

// A name as one part of a column path, quoted when a bare word would not read back as it (a keyword only
// where a column starts).
std::string column_text(const std::string& name, bool first) {
  const bool plain =
      !name.empty() && is_name_start(name[0]) && std::all_of(name.begin(), name.end(), is_name_char) &&
      !(first && std::any_of(std::begin(kReserved), std::end(kReserved),
                             [&](const char* reserved) { return same_keyword(name, reserved); }));
  if (plain) return name;
  std::string out = "`";
  for (const char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

}  // namespace

Predicate parse_predicate(std::string_view text, std::string_view context) {
  return Parser(text, context).parse();
}

Predicate parse_replace_where(std::string_view text, std::string_view context) {
  const auto equals = text.find('=');
  if (equals != std::string_view::npos && equals > 0 && text.find('\'') == std::string_view::npos) {
    const auto name = text.substr(0, equals);
    const auto value = text.substr(equals + 1);
    const bool plain_name = is_name_start(name[0]) && std::all_of(name.begin(), name.end(), is_name_char);
    const bool plain_value = !value.empty() && value[0] != '=' && !std::isspace(static_cast<unsigned char>(value[0]));
    const bool has_space = std::any_of(value.begin(), value.end(),
                                       [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    const auto partition_form = [&] {
      Comparison comparison{
          std::string(name), ComparisonOperator::kEqual, {{LiteralKind::kText, std::string(value)}}};
      if (value == "null") {
        comparison.op = ComparisonOperator::kIsNull;
        comparison.values.clear();
      }
      return Predicate{{comparison}};
    };
    if (plain_name && plain_value) {
      if (!has_space) return partition_form();
      // "part=x y" is a partition value with a space; "a=1 AND b=2" is a predicate. Text that parses is the latter.
      try {
        return parse_predicate(text, context);
      } catch (const core::InputError&) {
        return partition_form();
      }
    }
  }
  return parse_predicate(text, context);
}

std::string column_path_text(const std::string& column, const std::vector<std::string>& fields) {
  std::string text = column_text(column, true);
  for (const auto& field : fields) text += "." + column_text(field, false);
  return text;
}

std::string comparison_text(const Comparison& comparison) {
  const auto column = column_path_text(comparison.column, comparison.fields);
  std::vector<std::string> values;
  for (const auto& value : comparison.values) values.push_back(literal_text(value));
  switch (comparison.op) {
    case ComparisonOperator::kEqual:
      return fmt::format("{} = {}", column, values.at(0));
    case ComparisonOperator::kNotEqual:
      return fmt::format("{} != {}", column, values.at(0));
    case ComparisonOperator::kLess:
      return fmt::format("{} < {}", column, values.at(0));
    case ComparisonOperator::kLessEqual:
      return fmt::format("{} <= {}", column, values.at(0));
    case ComparisonOperator::kGreater:
      return fmt::format("{} > {}", column, values.at(0));
    case ComparisonOperator::kGreaterEqual:
      return fmt::format("{} >= {}", column, values.at(0));
    case ComparisonOperator::kIsNull:
      return fmt::format("{} IS NULL", column);
    case ComparisonOperator::kIsNotNull:
      return fmt::format("{} IS NOT NULL", column);
    case ComparisonOperator::kIn:
      return fmt::format("{} IN ({})", column, fmt::join(values, ", "));
    case ComparisonOperator::kNotIn:
      return fmt::format("{} NOT IN ({})", column, fmt::join(values, ", "));
  }
  return column;
}

std::string predicate_text(const Predicate& predicate) {
  std::vector<std::string> parts;
  for (const auto& comparison : predicate.conjuncts) parts.push_back(comparison_text(comparison));
  return fmt::format("{}", fmt::join(parts, " AND "));
}

namespace {

// A literal in the representation of `field`'s type; nullopt for NULL.
std::optional<BoundValue> literal_value(const Literal& literal, const core::Field& field,
                                        const Comparison& comparison, const std::string& context) {
  if (literal.kind == LiteralKind::kNull) return std::nullopt;
  // An empty string would read as null through partition values, so it stays text.
  if (literal.text.empty() && field.type.id == core::TypeId::kString)
    return BoundValue(std::in_place_type<std::string>);
  // Partition value reading gives literals the column's representation (dates in days, timestamps in the
  // column's unit, decimals at its scale).
  const auto context_text =
      fmt::format("{}: the value {} in '{}'", context, literal_text(literal), comparison_text(comparison));
  auto typed = column_value(partition_value_column(field, literal.text, 1, context_text), 0);
  if (!typed) {
    throw core::UnsupportedError(fmt::format("{}: comparing column '{}' of type {}", context,
                                             column_path_text(comparison.column, comparison.fields),
                                             field.type.to_string()));
  }
  return typed;
}

}  // namespace

BoundPredicate::BoundPredicate(const Predicate& predicate, const core::Schema& schema,
                               const std::string& context) {
  for (const auto& comparison : predicate.conjuncts) {
    const auto path = resolve_field_path(schema, comparison.column, comparison.fields, context);
    const auto& field = field_at(schema, path);
    if (field.type.is_nested()) {
      throw core::UnsupportedError(fmt::format("{}: a predicate on the {} column '{}'", context,
                                               delta_type_name(field.type),
                                               column_path_text(comparison.column, comparison.fields)));
    }
    Bound bound{comparison, field, {}};
    for (const auto& literal : comparison.values) {
      bound.values.emplace_back(literal_value(literal, field, comparison, context));
    }
    bound_.push_back(std::move(bound));
  }
}

std::vector<std::string> BoundPredicate::columns() const {
  std::vector<std::string> names;
  for (const auto& bound : bound_) {
    if (std::find(names.begin(), names.end(), bound.comparison.column) == names.end())
      names.push_back(bound.comparison.column);
  }
  return names;
}

std::vector<ColumnRange> BoundPredicate::ranges() const {
  std::vector<ColumnRange> ranges;
  for (const auto& bound : bound_) {
    ColumnRange range{bound.comparison.column, std::nullopt, std::nullopt, bound.comparison.fields};
    const auto op = bound.comparison.op;
    const bool floating = bound.field.type.is_floating();
    if (op == ComparisonOperator::kIn) {
      for (const auto& value : bound.values) {
        if (!value) continue;
        if (!range.lower || compare(*value, *range.lower) < 0) range.lower = value;
        if (!range.upper || compare(*value, *range.upper) > 0) range.upper = value;
      }
      if (!range.lower) continue;  // only nulls: no row matches, but skipping needs no special case
    } else if (bound.values.size() == 1 && bound.values[0] && !floating) {
      // Floats are left out: NaN orders above every number in stats but compares false here.
      if (op == ComparisonOperator::kEqual) range.lower = range.upper = bound.values[0];
      if (op == ComparisonOperator::kLess || op == ComparisonOperator::kLessEqual)
        range.upper = bound.values[0];
      if (op == ComparisonOperator::kGreater || op == ComparisonOperator::kGreaterEqual)
        range.lower = bound.values[0];
    }
    if (range.lower || range.upper) ranges.push_back(std::move(range));
  }
  return ranges;
}

std::optional<bool> BoundPredicate::evaluate(const Bound& bound,
                                             const std::optional<BoundValue>& value) const {
  const auto op = bound.comparison.op;
  if (op == ComparisonOperator::kIsNull) return !value;
  if (op == ComparisonOperator::kIsNotNull) return value.has_value();
  if (!value) return std::nullopt;
  if (op == ComparisonOperator::kIn || op == ComparisonOperator::kNotIn) {
    bool unknown = false;
    for (const auto& candidate : bound.values) {
      if (!candidate) {
        unknown = true;
      } else if (compare(*value, *candidate) == 0 &&
                 !(std::holds_alternative<double>(*value) &&
                   std::get<double>(*value) != std::get<double>(*value))) {
        return op == ComparisonOperator::kIn;
      }
    }
    if (unknown) return std::nullopt;
    return op == ComparisonOperator::kNotIn;
  }
  if (!bound.values.at(0)) return std::nullopt;
  const auto& literal = *bound.values[0];
  if (std::holds_alternative<double>(*value)) {
    // Doubles compare with their own operators so that NaN is unequal to everything, as in SQL on IEEE
    // values.
    const double left = std::get<double>(*value);
    const double right = std::get<double>(literal);
    switch (op) {
      case ComparisonOperator::kEqual:
        return left == right;
      case ComparisonOperator::kNotEqual:
        return left != right;
      case ComparisonOperator::kLess:
        return left < right;
      case ComparisonOperator::kLessEqual:
        return left <= right;
      case ComparisonOperator::kGreater:
        return left > right;
      case ComparisonOperator::kGreaterEqual:
        return left >= right;
      default:
        return std::nullopt;
    }
  }
  const int order = compare(*value, literal);
  switch (op) {
    case ComparisonOperator::kEqual:
      return order == 0;
    case ComparisonOperator::kNotEqual:
      return order != 0;
    case ComparisonOperator::kLess:
      return order < 0;
    case ComparisonOperator::kLessEqual:
      return order <= 0;
    case ComparisonOperator::kGreater:
      return order > 0;
    case ComparisonOperator::kGreaterEqual:
      return order >= 0;
    default:
      return std::nullopt;
  }
}

std::vector<bool> BoundPredicate::matches(const core::RecordBatch& batch) const {
  std::vector<bool> result(static_cast<std::size_t>(batch.num_rows), true);
  for (const auto& bound : bound_) {
    const auto index = batch.schema.find(bound.comparison.column);
    DRIFTGOV_CHECK(index.has_value(), "the batch lacks the predicate column {}", bound.comparison.column);
    // The structs on the way to the field: a row where one of them is null has a null field.
    std::vector<const core::Column*> structs;
    const core::Column* column = &batch.columns[*index];
    for (const auto& name : bound.comparison.fields) {
      const auto& children = column->type.children;
      const auto found = std::find_if(children.begin(), children.end(),
                                      [&](const core::Field& child) { return child.name == name; });
      DRIFTGOV_CHECK(column->type.id == core::TypeId::kStruct && found != children.end(),
                     "the batch column {} lacks the predicate field {}", bound.comparison.column, name);
      structs.push_back(column);
      column = &column->children[static_cast<std::size_t>(found - children.begin())];
    }
    for (std::int64_t row = 0; row < batch.num_rows; ++row) {
      const auto index_of_row = static_cast<std::size_t>(row);
      if (!result[index_of_row]) continue;
      const bool under_null = std::any_of(structs.begin(), structs.end(),
                                          [&](const core::Column* parent) { return !parent->is_valid(row); });
      const auto value = under_null ? std::nullopt : column_value(*column, row);
      if (evaluate(bound, value) != std::optional<bool>(true)) result[index_of_row] = false;
    }
  }
  return result;
}

bool BoundPredicate::may_match(const std::function<const core::Column*(const std::string&)>& value_of) const {
  for (const auto& bound : bound_) {
    if (!bound.comparison.fields.empty()) continue;
    const auto* column = value_of(bound.field.name);
    if (column && evaluate(bound, column_value(*column, 0)) != std::optional<bool>(true)) return false;
  }
  return true;
}

}  // namespace driftgov::delta
