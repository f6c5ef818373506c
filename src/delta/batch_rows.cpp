#include "driftgov/delta/batch_rows.hpp"

#include <fmt/format.h>

#include <cmath>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"

namespace driftgov::delta {

namespace {

bool holds_integers(const core::DataType& type) {
  return type.is_integer() || type.id == core::TypeId::kBoolean || type.id == core::TypeId::kDate ||
         type.id == core::TypeId::kTimestamp;
}

// Whether a column of `type` can be read as `kind`, and what is expected otherwise.
bool fits(RowValue kind, const core::DataType& type) {
  switch (kind) {
    case RowValue::kText: return type.id == core::TypeId::kString || type.id == core::TypeId::kBinary;
    case RowValue::kReal: return type.is_floating() || holds_integers(type);
    case RowValue::kInteger: return holds_integers(type);
    case RowValue::kWindow:
      return type.id == core::TypeId::kStruct && type.children.size() >= 2 && holds_integers(type.children[0].type) &&
             holds_integers(type.children[1].type);
  }
  return false;
}

const char* expected(RowValue kind) {
  switch (kind) {
    case RowValue::kText: return "a string";
    case RowValue::kReal: return "a number";
    case RowValue::kInteger: return "an integer, boolean, date or timestamp";
    case RowValue::kWindow: return "a window struct of start and end timestamps";
  }
  return "";
}

std::optional<std::int64_t> integer_at(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row)) return std::nullopt;
  return column.int_values()[static_cast<std::size_t>(row)];
}

}  // namespace

const core::Column* BatchRows::find(std::string_view name) const {
  for (std::size_t i = 0; i < batch_.schema.fields.size(); ++i) {
    if (batch_.schema.fields[i].name == name) return &batch_.columns[i];
  }
  return nullptr;
}

const core::Column& BatchRows::require(std::string_view name) const {
  if (const auto* column = find(name)) return *column;
  throw core::InputError(fmt::format("{}: no column '{}'", table_, name));
}

template <RowValue kind>
ColumnHandle<kind> ColumnHandle<kind>::resolve(const core::Column* column, std::string_view table,
                                               std::string_view name) {
  if (column == nullptr || column->type.id == core::TypeId::kNull) return ColumnHandle();
  if (!fits(kind, column->type)) {
    throw core::InputError(fmt::format("{}: column '{}' is {}, expected {}", table, name, column->type.to_string(),
                                       expected(kind)));
  }
  return ColumnHandle(column);
}

template <RowValue kind>
std::optional<typename ColumnHandle<kind>::Value> ColumnHandle<kind>::at(std::int64_t row) const {
  if (column_ == nullptr || !column_->is_valid(row)) return std::nullopt;
  const auto index = static_cast<std::size_t>(row);
  if constexpr (kind == RowValue::kText) {
    return std::string(column_->string_at(row));
  } else if constexpr (kind == RowValue::kReal) {
    if (column_->type.is_floating()) return column_->double_values()[index];
    return static_cast<double>(column_->int_values()[index]);
  } else if constexpr (kind == RowValue::kInteger) {
    return column_->int_values()[index];
  } else {
    const auto start = integer_at(column_->children[0], row);
    const auto end = integer_at(column_->children[1], row);
    if (!start || !end) return std::nullopt;
    return std::pair{*start, *end};
  }
}

template <RowValue kind>
std::optional<std::string_view> ColumnHandle<kind>::view(std::int64_t row) const
  requires(kind == RowValue::kText)
{
  if (column_ == nullptr || !column_->is_valid(row)) return std::nullopt;
  return column_->string_at(row);
}

template class ColumnHandle<RowValue::kText>;
template class ColumnHandle<RowValue::kReal>;
template class ColumnHandle<RowValue::kInteger>;
template class ColumnHandle<RowValue::kWindow>;

nlohmann::json BatchRows::json(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row)) return nullptr;
  const auto index = static_cast<std::size_t>(row);
  switch (column.type.id) {
    case core::TypeId::kBoolean:
      return column.ints[index] != 0;
    case core::TypeId::kInt8:
    case core::TypeId::kInt16:
    case core::TypeId::kInt32:
    case core::TypeId::kInt64:
      return column.ints[index];
    case core::TypeId::kFloat32:
    case core::TypeId::kFloat64: {
      const double value = column.doubles[index];
      return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
    }
    case core::TypeId::kString:
      return std::string(column.string_at(row));
    case core::TypeId::kStruct: {
      auto object = nlohmann::json::object();
      for (std::size_t i = 0; i < column.children.size(); ++i) {
        object[column.type.children[i].name] = json(column.children[i], row);
      }
      return object;
    }
    case core::TypeId::kList: {
      auto array = nlohmann::json::array();
      for (auto element = column.offsets[index]; element < column.offsets[index + 1]; ++element) {
        array.push_back(json(column.children[0], element));
      }
      return array;
    }
    default:
      // Dates, timestamps and anything else the tables do not hold today: their value text.
      return core::value_text(column, row);
  }
}

}  // namespace driftgov::delta
