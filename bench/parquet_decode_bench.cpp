// Parquet decode throughput: whole files read through FileReader, single-threaded. The files come from
// bench/parquet_decode_compare.py, which writes them, times pyarrow on the same files and runs this benchmark;
// figures and commands are in docs/benchmarks-parquet.md.
// Two ways of reading each file:
//   BM_Read<Column>         a new batch per row group: every column buffer is a fresh allocation, which glibc
//                           serves from new pages the kernel must fault in and zero;
//   BM_Read<Column>Reusing  one batch reused for every row group and every read (read_row_group into a batch),
//                           the steady state of a scanner, and what an allocator that keeps freed memory (as
//                           pyarrow's does) gives pyarrow.
// Usage: DRIFTGOV_PARQUET_BENCH_DIR=<folder with double.parquet, dictionary_string.parquet,
//        nullable_int64.parquet, struct.parquet> parquet_decode_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "driftgov/parquet/reader.hpp"

namespace {

std::string bench_file(const char* name) {
  const char* folder = std::getenv("DRIFTGOV_PARQUET_BENCH_DIR");
  return std::string(folder != nullptr ? folder : "/tmp/driftgov-parquet-bench") + "/" + name;
}

void read_whole_file(benchmark::State& state, const char* name, bool reuse_batch) {
  const std::string path = bench_file(name);
  std::int64_t rows = 0;
  driftgov::core::RecordBatch reused;
  for (auto _ : state) {
    auto reader = driftgov::parquet::FileReader::open(path);
    rows = 0;
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      if (reuse_batch) {
        reader.read_row_group(group, {}, reused);
        rows += reused.num_rows;
        benchmark::DoNotOptimize(reused.columns.data());
      } else {
        auto batch = reader.read_row_group(group);
        rows += batch.num_rows;
        benchmark::DoNotOptimize(batch.columns.data());
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
}

void BM_ReadDoubleColumn(benchmark::State& state) { read_whole_file(state, "double.parquet", false); }
void BM_ReadDictionaryStringColumn(benchmark::State& state) {
  read_whole_file(state, "dictionary_string.parquet", false);
}
void BM_ReadNullableInt64Column(benchmark::State& state) { read_whole_file(state, "nullable_int64.parquet", false); }
void BM_ReadDoubleColumnReusing(benchmark::State& state) { read_whole_file(state, "double.parquet", true); }
void BM_ReadDictionaryStringColumnReusing(benchmark::State& state) {
  read_whole_file(state, "dictionary_string.parquet", true);
}
void BM_ReadNullableInt64ColumnReusing(benchmark::State& state) {
  read_whole_file(state, "nullable_int64.parquet", true);
}
void BM_ReadStructColumn(benchmark::State& state) { read_whole_file(state, "struct.parquet", false); }
void BM_ReadStructColumnReusing(benchmark::State& state) { read_whole_file(state, "struct.parquet", true); }

BENCHMARK(BM_ReadDoubleColumn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadDictionaryStringColumn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadNullableInt64Column)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadDoubleColumnReusing)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadDictionaryStringColumnReusing)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadNullableInt64ColumnReusing)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadStructColumn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadStructColumnReusing)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
