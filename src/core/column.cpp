#include "driftgov/core/column.hpp"

#include <algorithm>

#include "driftgov/core/error.hpp"

namespace driftgov::core {

Column::Column(DataType column_type) : type(std::move(column_type)) {
  if (type.id == TypeId::kString || type.id == TypeId::kBinary || type.id == TypeId::kList ||
      type.id == TypeId::kMap) {
    offsets.push_back(0);
  }
}

std::int64_t Column::null_count() const {
  if (validity.empty()) return 0;
  return static_cast<std::int64_t>(std::count(validity.begin(), validity.end(), std::uint8_t{0}));
}

void Column::mark_valid() {
  if (!validity.empty()) validity.push_back(1);
  ++length;
}

void Column::append_null() {
  if (validity.empty()) validity.assign(static_cast<std::size_t>(length), 1);
  validity.push_back(0);
  switch (type.id) {
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      doubles.push_back(0.0);
      break;
    case TypeId::kDecimal:
      decimals.push_back(0);
      break;
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kList:
    case TypeId::kMap:
      offsets.push_back(offsets.back());
      break;
    case TypeId::kStruct:
      for (auto& child : children) child.append_null();
      break;
    case TypeId::kNull:
      break;
    default:
      ints.push_back(0);
      break;
  }
  ++length;
}

void Column::append_int(std::int64_t value) {
  ints.push_back(value);
  mark_valid();
}

void Column::append_double(double value) {
  doubles.push_back(value);
  mark_valid();
}

void Column::append_decimal(Int128 value) {
  decimals.push_back(value);
  mark_valid();
}

void Column::append_string(std::string_view value) {
  bytes.append(value);
  offsets.push_back(static_cast<std::int64_t>(bytes.size()));
  mark_valid();
}

void Column::reserve(std::int64_t rows) {
  const auto n = static_cast<std::size_t>(rows);
  switch (type.id) {
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      doubles.reserve(n);
      break;
    case TypeId::kString:
    case TypeId::kBinary:
      offsets.reserve(n + 1);
      break;
    default:
      if (!type.is_nested()) ints.reserve(n);
      break;
  }
}

void Column::clear() {
  length = 0;
  borrowed_doubles = nullptr;
  borrowed_ints = nullptr;
  owner.reset();
  validity.clear();
  ints.clear();
  doubles.clear();
  decimals.clear();
  offsets.clear();
  bytes.clear();
  for (auto& child : children) child.clear();
  if (type.id == TypeId::kString || type.id == TypeId::kBinary || type.id == TypeId::kList ||
      type.id == TypeId::kMap) {
    offsets.push_back(0);
  }
}

std::string decimal_to_string(Int128 unscaled, int scale) {
  __extension__ typedef unsigned __int128 Magnitude;
  const bool negative = unscaled < 0;
  // Negating in unsigned arithmetic is defined for the most negative value too.
  Magnitude magnitude = negative ? -static_cast<Magnitude>(unscaled) : static_cast<Magnitude>(unscaled);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  if (scale > 0) {
    const auto places = static_cast<std::size_t>(scale);
    if (digits.size() <= places) digits.insert(0, places + 1 - digits.size(), '0');
    digits.insert(digits.size() - places, ".");
  }
  return negative ? "-" + digits : digits;
}

DecimalParse parse_decimal(std::string_view text, int precision, int scale, Int128& unscaled) {
  std::size_t position = 0;
  bool negative = false;
  if (position < text.size() && (text[position] == '-' || text[position] == '+')) negative = text[position++] == '-';
  // The value is digits x 10^exponent, digits without leading zeros.
  std::string digits;
  std::int64_t exponent = 0;
  bool any_digit = false;
  bool point = false;
  for (; position < text.size(); ++position) {
    const char c = text[position];
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      any_digit = true;
      if (!digits.empty() || c != '0') digits.push_back(c);
      if (point) --exponent;
    } else {
      break;
    }
  }
  if (!any_digit) return DecimalParse::kNotANumber;
  if (position < text.size()) {
    if (text[position] != 'e' && text[position] != 'E') return DecimalParse::kNotANumber;
    ++position;
    bool negative_exponent = false;
    if (position < text.size() && (text[position] == '-' || text[position] == '+')) {
      negative_exponent = text[position++] == '-';
    }
    if (position == text.size()) return DecimalParse::kNotANumber;
    std::int64_t written = 0;
    for (; position < text.size(); ++position) {
      const char c = text[position];
      if (c < '0' || c > '9') return DecimalParse::kNotANumber;
      written = std::min<std::int64_t>(written * 10 + (c - '0'), 1'000'000'000);  // beyond any precision anyway
    }
    exponent += negative_exponent ? -written : written;
  }
  if (digits.empty()) {
    unscaled = 0;
    return DecimalParse::kOk;
  }
  // Shift to the scale: append zeros, or drop digits and round half up on the first one dropped.
  const std::int64_t shift = exponent + scale;
  bool round_up = false;
  if (shift >= 0) {
    if (static_cast<std::int64_t>(digits.size()) + shift > precision) return DecimalParse::kOverflow;
    digits.append(static_cast<std::size_t>(shift), '0');
  } else {
    const std::int64_t dropped = -shift;
    if (dropped > static_cast<std::int64_t>(digits.size())) {
      digits.clear();
    } else {
      const auto kept = digits.size() - static_cast<std::size_t>(dropped);
      round_up = digits[kept] >= '5';
      digits.resize(kept);
    }
  }
  if (static_cast<int>(digits.size()) > precision) return DecimalParse::kOverflow;
  Int128 value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  if (round_up) {
    ++value;
    Int128 limit = 1;
    for (int i = 0; i < precision; ++i) limit *= 10;
    if (value >= limit) return DecimalParse::kOverflow;
  }
  unscaled = negative ? -value : value;
  return DecimalParse::kOk;
}

// ---- gathering rows
Column take_rows(const Column& column, const std::vector<std::int64_t>& rows) {
  
  Column out;
  out.type = column.type;
  out.length = static_cast<std::int64_t>(rows.size());
  if (!column.validity.empty()) {
    out.validity.reserve(rows.size());
    for (const auto row : rows) out.validity.push_back(column.validity[static_cast<std::size_t>(row)]);
  }
  const auto gather = [&](const auto& source, auto& target) {
    target.reserve(rows.size());
    for (const auto row : rows) target.push_back(source[static_cast<std::size_t>(row)]);
  };
  switch (column.type.id) {
    case TypeId::kNull:
      break;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      gather(column.doubles, out.doubles);
      break;
    case TypeId::kDecimal:
      gather(column.decimals, out.decimals);
      break;
    case TypeId::kString:
    case TypeId::kBinary:
      out.offsets.reserve(rows.size() + 1);
      out.offsets.push_back(0);
      for (const auto row : rows) {
        const auto begin = column.offsets[static_cast<std::size_t>(row)];
        const auto end = column.offsets[static_cast<std::size_t>(row) + 1];
        out.bytes.append(column.bytes, static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
        out.offsets.push_back(static_cast<std::int64_t>(out.bytes.size()));
      }
      break;
    case TypeId::kList:
    case TypeId::kMap: {
      std::vector<std::int64_t> child_rows;
      out.offsets.reserve(rows.size() + 1);
      out.offsets.push_back(0);
      for (const auto row : rows) {
        for (auto child = column.offsets[static_cast<std::size_t>(row)];
             child < column.offsets[static_cast<std::size_t>(row) + 1]; ++child) {
          child_rows.push_back(child);
        }
        out.offsets.push_back(static_cast<std::int64_t>(child_rows.size()));
      }
      DRIFTGOV_CHECK(column.children.size() == 1, "list/map column with {} children", column.children.size());
      out.children.push_back(take_rows(column.children[0], child_rows));
      break;
    }
    case TypeId::kStruct:
      for (const auto& child : column.children) out.children.push_back(take_rows(child, rows));
      break;
    default:
      gather(column.ints, out.ints);
      break;
  }
  return out;
}

RecordBatch take_rows(const RecordBatch& batch, const std::vector<std::int64_t>& rows) {
  RecordBatch out;
  out.schema = batch.schema;
  out.num_rows = static_cast<std::int64_t>(rows.size());
  for (const auto& column : batch.columns) out.columns.push_back(take_rows(column, rows));
  return out;
}

}  // namespace driftgov::core
