# Type stubs of the driftgov package (docs/python.md).
import datetime
import os
from typing import Any, Iterator, Mapping, Optional, Sequence, Tuple, Union

__version__: str

class InputError(ValueError):
    """Bad input: an option, a column or data that is not what driftgov expects."""

class UnsupportedError(InputError):
    """Valid input using a feature driftgov does not implement (an Arrow type, ...)."""

class StorageError(OSError):
    """The operating system or the storage failed an operation."""

class InternalError(RuntimeError):
    """A broken invariant in driftgov: please report it."""

class Profile:
    """A mergeable summary of every column of a data set (docs/profiles.md)."""
    @property
    def row_count(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def column_names(self) -> list[str]: ...
    def merge(self, other: Profile) -> Profile:
        """A new profile of both data sets (this one is unchanged)."""
    def to_bytes(self) -> bytes:
        """The profile file's content (JSON, the format `driftgov profile -o FILE` writes)."""
    @staticmethod
    def from_bytes(data: bytes) -> Profile:
        """The profile held by bytes from to_bytes or a profile file."""
    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the profile file atomically."""
    @staticmethod
    def load(path: Union[str, os.PathLike]) -> Profile:
        """Reads a profile file written by Profile.save or `driftgov profile -o`."""

def read(path: Union[str, os.PathLike], version: Optional[int] = None,
         timestamp: Union[str, datetime.datetime, None] = None, *,
         columns: Optional[Sequence[str]] = None) -> Any:
    """Reads a CSV file, a Parquet file or a Delta table into a pyarrow.Table with the readers of `driftgov cat`.

    `version` or `timestamp` (text as `PATH@ts=T` takes it, or a datetime; naive means UTC) select a Delta table's
    version. Raises InputError (ValueError) or StorageError (OSError) with the CLI's messages.
    """

def profile(data: Any, *, columns: Optional[Sequence[str]] = None, sketch_k: int = 200, category_cap: int = 10000,
            kind: Optional[Mapping[str, str]] = None, exact_limit: int = 0, threads: int = 0) -> Profile:
    """Profiles Arrow-compatible data (pyarrow, pandas, polars) as `driftgov profile` does."""

def compare(reference: Union[Any, Profile], current: Union[Any, Profile], *, columns: Optional[Sequence[str]] = None,
            exclude: Optional[Sequence[str]] = None, test: Union[str, Mapping[str, str], None] = None,
            threshold: Union[float, Mapping[str, float], None] = None, bins: Union[int, Mapping[str, int], None] = None,
            alpha: float = 0.05, correction: str = "bh", null_rate_min_change: float = 1.0,
            null_rate_test: bool = True, test_time_columns: bool = False, drift_share: float = 0.5,
            small_sample_limit: int = 1000, exact_limit: int = 10_000_000, proportion_floor: float = 1e-4,
            max_category_bins: int = 100, sketch_k: int = 200, category_cap: int = 10000,
            kind: Optional[Mapping[str, str]] = None, threads: int = 0) -> DriftResult:
    """Compares current with reference (data or profiles) as `driftgov compare --json` does."""

class DriftResult:
    """The result of compare: the document `driftgov compare --json` writes (docs/json-formats.md)."""
    def __init__(self, document: dict) -> None: ...
    @property
    def dataset_drift(self) -> Optional[bool]: ...
    @property
    def columns(self) -> Mapping[str, dict]: ...
    def to_dict(self) -> dict: ...
    def to_json(self, indent: Optional[int] = 2) -> str: ...
    def to_pandas(self) -> Any: ...
    def plot(self, kind: str = ..., *, columns: Optional[Sequence[str]] = ..., top: int = ...,
             figsize: Optional[Tuple[float, float]] = ...) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def _repr_html_(self) -> str: ...
