// Parquet decode throughput: whole files read through FileReader, single-threaded. The files come from
// bench/parquet_decode_compare.py, which writes them, times pyarrow on the same files and runs this benchmark;
// figures and commands are in docs/benchmarks-parquet.md.
// Usage: DRIFTGOV_PARQUET_BENCH_DIR=<folder with double.parquet, dictionary_string.parquet,
//        nullable_int64.parquet> parquet_decode_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "driftgov/parquet/reader.hpp"

namespace {

std::string bench_file(const char* name) {
  const char* folder = std::getenv("DRIFTGOV_PARQUET_BENCH_DIR");
  return std::string(folder != nullptr ? folder : "/tmp/driftgov-parquet-bench") + "/" + name;
}

void read_whole_file(benchmark::State& state, const char* name) {
  const std::string path = bench_file(name);
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto reader = driftgov::parquet::FileReader::open(path);
    rows = 0;
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      auto batch = reader.read_row_group(group);
      rows += batch.num_rows;
      benchmark::DoNotOptimize(batch.columns.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
}

void BM_ReadDoubleColumn(benchmark::State& state) { read_whole_file(state, "double.parquet"); }
void BM_ReadDictionaryStringColumn(benchmark::State& state) { read_whole_file(state, "dictionary_string.parquet"); }
void BM_ReadNullableInt64Column(benchmark::State& state) { read_whole_file(state, "nullable_int64.parquet"); }

BENCHMARK(BM_ReadDoubleColumn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadDictionaryStringColumn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadNullableInt64Column)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
