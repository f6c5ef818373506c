// Parquet encode throughput: one column of 1M rows written to a file, single-threaded, for the three columns of
// the decode benchmark (a double column, a dictionary string column, a nullable int64 column), uncompressed and
// with zstd and snappy. bench/parquet_encode_pyarrow.py writes the same data with pyarrow for comparison;
// figures and commands are in docs/benchmarks-parquet-write.md.
//
// Bytes processed are the in-memory value bytes (8 per double or int64, the string bytes), so MB/s compare across
// codecs. Files go to $DRIFTGOV_BENCH_DIR (default /dev/shm when it exists) so the disk is not what is measured.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "driftgov/parquet/writer.hpp"

namespace {

using driftgov::core::Column;
using driftgov::core::DataType;
using driftgov::core::Field;
using driftgov::core::RecordBatch;

constexpr std::int64_t kRows = 1 << 20;

// The same formulas as bench/parquet_encode_pyarrow.py, so both write identical data.
RecordBatch make_batch(int kind, std::int64_t* value_bytes) {
  RecordBatch batch;
  batch.num_rows = kRows;
  *value_bytes = 0;
  if (kind == 0) {
    Column values(DataType::float64());
    values.reserve(kRows);
    for (std::int64_t i = 0; i < kRows; ++i) values.append_double(std::sin(static_cast<double>(i)) * 1000.0);
    batch.schema.fields = {Field{"value", DataType::float64(), false, std::nullopt}};
    batch.columns.push_back(std::move(values));
    *value_bytes = kRows * 8;
  } else if (kind == 1) {
    Column labels(DataType::string());
    for (std::int64_t i = 0; i < kRows; ++i) labels.append_string("category-" + std::to_string(i * 7919 % 1000));
    batch.schema.fields = {Field{"label", DataType::string(), false, std::nullopt}};
    *value_bytes = static_cast<std::int64_t>(labels.bytes.size());
    batch.columns.push_back(std::move(labels));
  } else {
    Column counts(DataType::int64());
    counts.reserve(kRows);
    for (std::int64_t i = 0; i < kRows; ++i) {
      if (i % 10 == 3) {
        counts.append_null();
      } else {
        counts.append_int(i * 2654435761LL % 1000000000LL);
      }
    }
    batch.schema.fields = {Field{"count", DataType::int64(), true, std::nullopt}};
    batch.columns.push_back(std::move(counts));
    *value_bytes = kRows * 8;
  }
  return batch;
}

std::string output_path(const char* name) {
  const char* configured = std::getenv("DRIFTGOV_BENCH_DIR");
  std::filesystem::path directory = configured != nullptr                    ? configured
                                    : std::filesystem::exists("/dev/shm") ? "/dev/shm"
                                                                           : "/tmp";
  return (directory / (std::string("driftgov-encode-") + name + "-" + std::to_string(::getpid()) + ".parquet"))
      .string();
}

void encode(benchmark::State& state, int kind, driftgov::parquet::Compression compression) {
  std::int64_t value_bytes = 0;
  const auto batch = make_batch(kind, &value_bytes);
  driftgov::parquet::WriterOptions options;
  options.compression = compression;
  const auto path = output_path(batch.schema.fields[0].name.c_str());
  for (auto _ : state) {
    driftgov::parquet::write_parquet_file(path, batch, options);
  }
  state.SetBytesProcessed(state.iterations() * value_bytes);
  state.counters["file_bytes"] = static_cast<double>(std::filesystem::file_size(path));
  std::filesystem::remove(path);
}

using driftgov::parquet::Compression;

void BM_EncodeDouble(benchmark::State& state) { encode(state, 0, static_cast<Compression>(state.range(0))); }
void BM_EncodeDictionaryString(benchmark::State& state) {
  encode(state, 1, static_cast<Compression>(state.range(0)));
}
void BM_EncodeNullableInt64(benchmark::State& state) {
  encode(state, 2, static_cast<Compression>(state.range(0)));
}

// Arguments: Compression::kNone (0), kSnappy (1), kZstd (3).
BENCHMARK(BM_EncodeDouble)->Arg(0)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeDictionaryString)->Arg(0)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeNullableInt64)->Arg(0)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
