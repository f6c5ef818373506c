// delta_skip_probe TABLE COLUMN LOWER UPPER: prints the data files delta::files_overlapping keeps for one column
// range, one log path per line. Bounds are written as Delta writes partition values ("12.50", "2024-01-01", ...);
// "-" leaves a bound open. The Python tests compare the answer with the files' real contents.
#include <cstdio>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/data_skipping.hpp"

namespace {

using driftgov::delta::BoundValue;

std::optional<BoundValue> bound(const driftgov::core::Field& field, const std::string& text) {
  if (text == "-") return std::nullopt;
  const auto column = driftgov::delta::partition_value_column(field, text, 1, "bound");
  switch (field.type.id) {
    case driftgov::core::TypeId::kFloat32:
    case driftgov::core::TypeId::kFloat64: return column.doubles[0];
    case driftgov::core::TypeId::kDecimal: return column.decimals[0];
    case driftgov::core::TypeId::kString: return text;
    default: return column.ints[0];
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: delta_skip_probe TABLE COLUMN LOWER|- UPPER|-\n");
    return 2;
  }
  try {
    const auto snapshot = driftgov::delta::Snapshot::load(argv[1]);
    const auto index = snapshot.schema().schema.find(argv[2]);
    if (!index) throw driftgov::core::InputError(std::string("no column ") + argv[2]);
    const auto& field = snapshot.schema().schema.fields[*index];
    const driftgov::delta::ColumnRange range{argv[2], bound(field, argv[3]), bound(field, argv[4])};
    for (const auto* file : driftgov::delta::files_overlapping(snapshot, {range})) {
      std::printf("%s\n", file->path.c_str());
    }
  } catch (const driftgov::core::InputError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
  return 0;
}
