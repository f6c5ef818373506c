#include "delta/row_selection.hpp"

#include "driftgov/core/error.hpp"

namespace driftgov::delta {

core::Column take_rows(const core::Column& column, const std::vector<std::int64_t>& rows) {
  using core::TypeId;
  core::Column out;
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

core::RecordBatch take_rows(const core::RecordBatch& batch, const std::vector<std::int64_t>& rows) {
  core::RecordBatch out;
  out.schema = batch.schema;
  out.num_rows = static_cast<std::int64_t>(rows.size());
  for (const auto& column : batch.columns) out.columns.push_back(take_rows(column, rows));
  return out;
}

}  // namespace driftgov::delta
