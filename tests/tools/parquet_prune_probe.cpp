// parquet_prune_probe FILE COLUMN KIND LOWER UPPER: prints the row groups FileReader::row_groups_overlapping keeps,
// one per line. KIND is int or double or string; "-" leaves a bound open. The Python tests compare the answer with
// the groups' real contents as pyarrow reads them.
#include <cstdio>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/reader.hpp"

namespace {

std::optional<driftgov::parquet::StatisticValue> bound(const std::string& kind, const std::string& text) {
  if (text == "-") return std::nullopt;
  if (kind == "int") return static_cast<std::int64_t>(std::stoll(text));
  if (kind == "double") return std::stod(text);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: parquet_prune_probe FILE COLUMN int|double|string LOWER|- UPPER|-\n");
    return 2;
  }
  try {
    const auto reader = driftgov::parquet::FileReader::open(argv[1]);
    const driftgov::parquet::ColumnRange range{argv[2], bound(argv[3], argv[4]), bound(argv[3], argv[5])};
    for (const int group : reader.row_groups_overlapping(range)) std::printf("%d\n", group);
  } catch (const driftgov::core::InputError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
  return 0;
}
