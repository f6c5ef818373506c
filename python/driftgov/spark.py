"""driftgov for Spark DataFrames: profiles computed where the data is, merged on the driver (docs/python.md, Spark).

    import driftgov.spark
    baseline = driftgov.spark.profile(spark.table("training"))            # a driftgov.Profile
    by_day = driftgov.spark.profile(events, by=["day"])                   # {(day,): Profile}
    result = driftgov.spark.compare(baseline, spark.table("live"))        # a driftgov.DriftResult
    summary = driftgov.spark.run_monitor(spark, "driftgov.yaml", "churn")   # a monitor's refresh, Spark reading

Each task profiles the Arrow batches of its partition with the C++ engine (``DataFrame.mapInArrow``) and emits one
row per group: the group's key columns, the partition index and the partial profile's bytes (``Profile.to_bytes``,
the versioned profile format of docs/profiles.md). The driver collects those rows and merges each group's partials
in partition order with ``Profile.merge``. With ``merge="tree"`` (or "auto" on many partitions) the partials are
first merged on the executors in levels: each level gives a partial the bucket index // fanout (contiguous ranges
of indexes), repartitions the partials by bucket and group, and a second ``mapInArrow`` merges each bucket's
partials in index order into one whose index is the bucket's; the driver merges the at most ``fanout`` partials a
group has left. Either way the partials are merged in partition order, so counts, nulls, NaN, zeros, min, max and
exact category counts equal the single-process profile's exactly; mean and M2 up to floating-point rounding;
quantile sketches, frequent items and distinct counts within their stated bounds. The work uses only pyspark's
public DataFrame API (no RDDs), so it runs on Spark Connect too; only the tree's planning reads a classic session's
physical plan for the partition count, and counts partitions with a job where it cannot (Connect). The executors
need the driftgov package installed (docs/python.md, cluster use).
"""
from __future__ import annotations

import functools
import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from . import _DEFAULT_CATEGORY_CAP, _DEFAULT_SKETCH_K, InputError, Profile, _ArrowStream, _columns_option, _core
from . import compare as _compare_profiles

__all__ = ["profile", "compare", "run_monitor"]

# What a Spark profile says it profiled (Profile.source).
_SOURCE = "<pyspark.sql.DataFrame>"
# The columns each task adds to the group keys in its output rows.
_PARTITION_COLUMN = "__driftgov_partition"
_PROFILE_COLUMN = "__driftgov_profile"
# The columns of run_monitor's task rows: the partial state (the state table's rows, Arrow IPC stream) and counters.
_STATE_COLUMN = "__driftgov_state"
_ROWS_COLUMN = "__driftgov_rows_read"
_NULL_TIMESTAMP_COLUMN = "__driftgov_null_timestamp_rows"
# The bucket a tree level repartitions a partial by (index // fanout).
_BUCKET_COLUMN = "__driftgov_bucket"
_MERGE_CHOICES = ("auto", "driver", "tree")
# merge="auto" merges in a tree when partitions x profiled columns exceeds this and Spark's default parallelism
# (the cluster's cores) is at least _AUTO_TREE_CORES. The driver reads and merges a partial in about 85 us per
# column of the benchmark frame (docs/benchmarks-python.md, merge cost), so this is about 0.9 s of driver time (500
# partitions of 20 columns, 100 of 100). A tree level (shuffle, tasks, reading and writing the partials) cost about
# ten times the driver's merge in core time there, so the tree pays only spread over well above ten cores.
_AUTO_TREE_PARTITION_COLUMNS = 10_000
_AUTO_TREE_CORES = 16
# One canonical NaN, so that group keys holding NaN are equal dictionary keys (Spark groups NaN with NaN).
_NAN = float("nan")


def _profile_batches(schema, batches, columns: list, options: dict) -> Profile:
    """One profile of Arrow batches (an iterable of pyarrow.RecordBatch with `schema`)."""
    import pyarrow as pa

    reader = pa.RecordBatchReader.from_batches(schema, batches)
    return _core._profile_stream(reader.__arrow_c_stream__(), _SOURCE, columns, options["sketch_k"],
                                 options["category_cap"], options["kind"], 0, options["threads"])


def _groups(batch, by: list):
    """(key values as a one-row table, the rows of the group) for each group of `by` in a batch; nulls form a group."""
    import pyarrow as pa

    table = pa.Table.from_batches([batch])
    row_column = "__driftgov_row"
    indexed = table.append_column(row_column, pa.array(range(batch.num_rows), pa.int64()))
    grouped = indexed.group_by(by, use_threads=False).aggregate([(row_column, "list")])
    for rows in grouped[f"{row_column}_list"].to_pylist():
        members = table.take(pa.array(rows, pa.int64()))
        yield members.select(by).slice(0, 1), members


def _profile_partition(by: list, columns: list, options: dict, batches):
    """mapInArrow's function: the partial profiles of one partition, one output row per group."""
    from pyspark import TaskContext

    partition = TaskContext.get().partitionId()
    iterator = iter(batches)
    first = next(iterator, None)
    if first is None:
        return
    keys, profiles = [], []
    if not by:
        profiles.append(_profile_batches(first.schema, _chain(first, iterator), columns, options))
    else:
        found: Dict[tuple, int] = {}
        for batch in _chain(first, iterator):
            for key_table, members in _groups(batch, by):
                key = _group_key(key_table.to_pylist()[0].values())
                partial = _profile_batches(members.schema, members.to_batches(), columns, options)
                if key in found:
                    profiles[found[key]] = profiles[found[key]].merge(partial)
                else:
                    found[key] = len(profiles)
                    keys.append(key_table)
                    profiles.append(partial)
    yield _partials_batch(by, keys, [partition] * len(profiles), [item.to_bytes() for item in profiles])


def _partials_batch(by: list, keys: list, indexes: list, data: list):
    """The output rows of a task: group keys (one-row tables), ordering indexes and partial profile bytes."""
    import pyarrow as pa

    arrays = {}
    if by:
        key_columns = pa.concat_tables(keys)
        arrays = {name: key_columns[name].combine_chunks() for name in by}
    arrays[_PARTITION_COLUMN] = pa.array(indexes, pa.int32())
    arrays[_PROFILE_COLUMN] = pa.array(data, pa.binary())
    return pa.RecordBatch.from_pydict(arrays)


def _group_key(values) -> tuple:
    """A group's key values as a tuple that equals every other tuple of the same group (NaN made one object)."""
    return tuple(_NAN if isinstance(value, float) and value != value else value for value in values)


def _merge_bucket_partition(by: list, fanout: int, batches):
    """mapInArrow's function of a tree level: each (group, bucket)'s partials merged in index order into one partial
    whose index is the bucket (index // fanout); a bucket of a single partial passes its bytes on unread."""
    import pyarrow as pa

    members: Dict[tuple, list] = {}
    keys: Dict[tuple, Any] = {}
    for batch in batches:
        table = pa.Table.from_batches([batch])
        key_rows = table.select(by).to_pylist() if by else [{}] * batch.num_rows
        indexes = table[_PARTITION_COLUMN].to_pylist()
        data = table[_PROFILE_COLUMN]
        for row, index in enumerate(indexes):
            entry = (_group_key(key_rows[row].values()), index // fanout)
            if entry not in members:
                members[entry] = []
                keys[entry] = table.select(by).slice(row, 1)
            members[entry].append((index, data[row].as_py()))
    if members:
        yield _partials_batch(by, list(keys.values()), [bucket for _, bucket in members],
                              [items[0][1] if len(items) == 1 else _merge_in_order(items).to_bytes()
                               for items in members.values()])


def _tree_level(partials, by: list, fanout: int, buckets: int, output):
    """One level of the tree: the partials (group keys, index, bytes) repartitioned by (bucket, group) into `buckets`
    tasks, each (group, bucket) merged in one; the result has the same columns, the bucket as index."""
    # SQL text rather than pyspark.sql.functions, whose columns are classic or Connect ones by the process's mode.
    bucketed = partials.selectExpr("*", f"{_PARTITION_COLUMN} DIV {fanout} AS {_BUCKET_COLUMN}")
    regrouped = bucketed.repartition(buckets, _BUCKET_COLUMN, *by).drop(_BUCKET_COLUMN)
    return regrouped.mapInArrow(functools.partial(_merge_bucket_partition, by, fanout), output)


def _partition_count(df, count: bool) -> Optional[int]:
    """The number of partitions of `df` (its tasks' partition indexes are below it), or None when unknown.

    Classic pyspark: the physical plan's, without running anything. Under adaptive execution that is the count of
    the plan's last shuffle before Spark coalesces it (an upper bound), since building the DataFrame's RDD would run
    the stages under that shuffle. Spark Connect shows no plan to the client: with `count`, one job reads the
    partition ids of `df`'s rows (none of its columns), else None.
    """
    java = getattr(df, "_jdf", None)
    if java is not None:
        try:
            plan = java.queryExecution().executedPlan()
            if plan.nodeName() != "AdaptiveSparkPlan":
                return df.rdd.getNumPartitions()
            found = plan.inputPlan().outputPartitioning().numPartitions()
            if found > 0:
                return found
        except Exception:  # noqa: BLE001 (a pyspark without these plan methods: counted below)
            pass
    if not count:
        return None
    highest = df.selectExpr(f"spark_partition_id() AS {_PARTITION_COLUMN}").agg({_PARTITION_COLUMN: "max"}).first()[0]
    return 0 if highest is None else highest + 1


def _auto_takes_tree(df, partitions: int, columns: int) -> bool:
    """merge="auto"'s choice where the partition count is known (a classic session, whose context tells its cores)."""
    if partitions * columns <= _AUTO_TREE_PARTITION_COLUMNS:
        return False
    return df.sparkSession.sparkContext.defaultParallelism >= _AUTO_TREE_CORES


def _tree_buckets(partitions: int, fanout: int) -> list:
    """The buckets of each tree level: levels until at most `fanout` partials per group remain."""
    buckets = []
    while partitions > fanout:
        partitions = -(-partitions // fanout)
        buckets.append(partitions)
    return buckets


def _merge_option(merge: Any, fanout: Any) -> None:
    if not isinstance(merge, str) or merge not in _MERGE_CHOICES:
        raise InputError(f"merge: expected 'auto', 'driver' or 'tree', got {merge!r}")
    if isinstance(fanout, bool) or not isinstance(fanout, int) or fanout < 2:
        raise InputError(f"fanout: expected a whole number of partials merged per task, at least 2, got {fanout!r}")


def _chain(first, rest):
    yield first
    yield from rest


def _arrow_schema(df):
    """The Arrow schema Spark gives the batches of `df` (pyspark's own conversion)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(df.schema)


def profile(df: Any, by: Union[str, Sequence[str], None] = None, *, columns: Optional[Sequence[str]] = None,
            sketch_k: int = _DEFAULT_SKETCH_K, category_cap: int = _DEFAULT_CATEGORY_CAP,
            kind: Optional[Mapping[str, str]] = None, threads: int = 1, merge: str = "auto",
            fanout: int = 16) -> Union[Profile, Dict[tuple, Profile]]:
    """Profiles a Spark DataFrame as :func:`driftgov.profile` profiles local data, each partition in its task.

    Without ``by``: one :class:`driftgov.Profile` of every row (of an empty DataFrame too). With ``by`` (a column
    name or a list of them): a dict from each group's key tuple (Python values as ``Row`` holds them, ``None`` for a
    null key) to the profile of its rows; the key columns are not profiled unless ``columns`` names them.
    ``columns`` (default: every other column), ``sketch_k``, ``category_cap`` and ``kind`` are
    :func:`driftgov.profile`'s; ``threads`` is the threads each task profiles with (1: Spark runs a task per core).
    Options and column types are checked on the driver first, raising driftgov's errors there.

    ``merge`` says where the partial profiles (one per partition and group) are merged: ``"driver"`` collects them
    all and merges them there; ``"tree"`` merges them on the executors first, ``fanout`` (at least 2) partials per
    task and level, in levels until at most ``fanout`` per group remain for the driver; ``"auto"`` (the default)
    is "tree" when the partitions times the profiled columns exceed 10,000 (about a second of the driver's merge),
    Spark's default parallelism is at least 16 cores (over fewer the extra stage costs more than it saves) and the
    partition count is known without running a job (not on Spark Connect), else "driver".
    The exact fields are the same either way (partials merge in partition order).
    """
    from pyspark.sql.types import BinaryType, IntegerType, StructField, StructType

    _merge_option(merge, fanout)
    by_list = _columns_option("by", by)
    column_list = _columns_option("columns", columns)
    names = list(df.columns)
    for option, chosen in (("by", by_list), ("columns", column_list)):
        for name in chosen:
            if name not in names:
                raise InputError(f"{option}: no column '{name}' (columns: {', '.join(names)})")
    profiled = column_list or [name for name in names if name not in by_list]
    options = {"sketch_k": sketch_k, "category_cap": category_cap, "kind": dict(kind or {}), "threads": threads}
    # The driver checks options, column names and types on no rows; this is also the profile of an empty DataFrame.
    selected = df.select(*dict.fromkeys(by_list + profiled))
    schema = _arrow_schema(selected)
    empty = _profile_batches(schema, [], profiled, options)
    output = StructType([selected.schema[name] for name in by_list] +
                        [StructField(_PARTITION_COLUMN, IntegerType(), False),
                         StructField(_PROFILE_COLUMN, BinaryType(), False)])
    task = functools.partial(_profile_partition, by_list, profiled, options)
    partials_frame = selected.mapInArrow(task, output)
    if merge != "driver":
        partitions = _partition_count(selected, count=merge == "tree")
        if partitions is not None and (merge == "tree" or _auto_takes_tree(selected, partitions, len(profiled))):
            for buckets in _tree_buckets(partitions, fanout):
                partials_frame = _tree_level(partials_frame, by_list, fanout, buckets, output)
    partials: Dict[tuple, list] = {}
    for row in partials_frame.collect():
        key = _group_key(row[name] for name in by_list)
        partials.setdefault(key, []).append((row[_PARTITION_COLUMN], bytes(row[_PROFILE_COLUMN])))
    merged = {key: _merge_in_order(items) for key, items in partials.items()}
    if not by_list:
        return merged.get((), empty)
    return merged


def _merge_in_order(partials: list) -> Profile:
    """Merges (partition, bytes) partials in partition order, so that a result does not depend on task timing."""
    partials.sort(key=lambda item: item[0])
    result = Profile.from_bytes(partials[0][1])
    for _, data in partials[1:]:
        result = result.merge(Profile.from_bytes(data))
    return result


def compare(reference: Any, current: Any, **options: Any):
    """Compares two Spark DataFrames (or a :class:`driftgov.Profile` on either side) as :func:`driftgov.compare`
    compares profiles: each DataFrame is profiled with :func:`profile` (``columns``, ``sketch_k``,
    ``category_cap``, ``kind``, ``threads``, ``merge``, ``fanout``), and the other options are
    :func:`driftgov.compare`'s. Quantile-based statistics are then sketch-based with stated bounds, as for any stored
    profile. Returns a DriftResult.
    """
    profiled_options = ("sketch_k", "category_cap", "kind", "threads", "merge", "fanout")
    profile_options = {name: options.pop(name) for name in profiled_options if name in options}
    if "columns" in options:
        profile_options["columns"] = options["columns"]  # also compare's: the columns compared
    sides = [side if isinstance(side, Profile) else profile(side, **profile_options) for side in (reference, current)]
    return _compare_profiles(sides[0], sides[1], **options)


def _partial_state(config: tuple, name: str, version: int, schema, batches) -> tuple:
    """(the partial state of Arrow batches as Arrow IPC stream bytes, rows read, rows with a null timestamp)."""
    import pyarrow as pa

    reader = pa.RecordBatchReader.from_batches(schema, batches)
    capsule, rows_read, null_timestamps = _core._monitor_partial_state(*config, name, version,
                                                                      reader.__arrow_c_stream__())
    state = pa.RecordBatchReader.from_stream(_ArrowStream(capsule))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, state.schema) as writer:
        for batch in state:
            writer.write_batch(batch)
    return sink.getvalue().to_pybytes(), rows_read, null_timestamps


def _monitor_partition(config: tuple, name: str, version: int, batches):
    """mapInArrow's function for run_monitor: one row holding the partial state of the partition's rows."""
    import pyarrow as pa
    from pyspark import TaskContext

    iterator = iter(batches)
    first = next(iterator, None)
    if first is None:
        return
    state, rows_read, null_timestamps = _partial_state(config, name, version, first.schema, _chain(first, iterator))
    yield pa.RecordBatch.from_pydict({_PARTITION_COLUMN: pa.array([TaskContext.get().partitionId()], pa.int32()),
                                      _ROWS_COLUMN: pa.array([rows_read], pa.int64()),
                                      _NULL_TIMESTAMP_COLUMN: pa.array([null_timestamps], pa.int64()),
                                      _STATE_COLUMN: pa.array([state], pa.binary())})


def run_monitor(spark: Any, config: Union[str, os.PathLike], name: str, target: Optional[str] = None,
                variables: Optional[Mapping[str, str]] = None, *, partitions: Optional[int] = None,
                wait: float = 0.0) -> dict:
    """Refreshes monitor `name` of the configuration file `config` as ``driftgov monitor run NAME --full`` does,
    with Spark reading and profiling the monitored table, and returns the refresh's summary (as
    :func:`driftgov.monitor.run`).

    It is always a full refresh, of the monitored table's version current when it starts (read once; every task reads
    that version with ``versionAsOf``): each task profiles its rows into a partial state (the monitor state table's
    rows), the driver merges them in partition order and writes the same tables as the CLI (profile_metrics,
    drift_metrics, breaches, the state, the refreshes record, telemetry) under the same lock, so that a later
    ``driftgov monitor run NAME`` continues incrementally from that version. The baseline (small) is read by the
    driver. ``target`` and ``variables`` are ``--target`` and ``--var``; ``partitions`` repartitions the table's
    rows into that many tasks (default: Spark's splits of its files); ``wait`` is ``--wait``.

    The configuration's text travels to the executors with the tasks (they need no copy of the file); its relative
    paths resolve against its folder, which the driver and Spark must both reach (on a cluster: shared storage).
    Raises InputError for a configuration, monitor or table that does not fit, or when another refresh holds the
    monitor; StorageError when the storage fails.
    """
    from pyspark.sql.types import BinaryType, IntegerType, LongType, StructField, StructType
    import pyarrow as pa

    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1):
        raise InputError(f"partitions: expected a positive number of tasks, got {partitions!r}")
    path = os.path.abspath(os.fspath(config))
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise InputError(f"{path}: cannot read the configuration file ({error.strerror})") from None
    loaded = (text, path, target or "", dict(variables or {}))
    table, version, columns = _core._monitor_table_scan(*loaded, name)
    df = spark.read.format("delta").option("versionAsOf", version).load(table).select(*columns)
    if partitions is not None:
        df = df.repartition(partitions)
    # The driver checks the columns' types on no rows first; this is also the state of an empty table.
    empty, _, _ = _partial_state(loaded, name, version, _arrow_schema(df), [])
    output = StructType([StructField(_PARTITION_COLUMN, IntegerType(), False),
                         StructField(_ROWS_COLUMN, LongType(), False),
                         StructField(_NULL_TIMESTAMP_COLUMN, LongType(), False),
                         StructField(_STATE_COLUMN, BinaryType(), False)])
    task = functools.partial(_monitor_partition, loaded, name, version)
    rows = sorted(df.mapInArrow(task, output).collect(), key=lambda row: row[_PARTITION_COLUMN])
    streams = [pa.ipc.open_stream(bytes(row[_STATE_COLUMN])) for row in rows]
    schema = pa.ipc.open_stream(empty).schema
    batches = (batch for stream in streams for batch in stream)
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    summary = _core._monitor_refresh_from_states(*loaded, name, version, reader.__arrow_c_stream__(),
                                                 sum(row[_ROWS_COLUMN] for row in rows),
                                                 sum(row[_NULL_TIMESTAMP_COLUMN] for row in rows), float(wait))
    return json.loads(summary)
