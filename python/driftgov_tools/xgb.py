"""A thin ctypes binding to XGBoost's C API (the system's libxgboost, Debian package libxgboost0): dense
float32 matrices in, float32 predictions out. Enough to train a booster, predict, and save or load the model;
used by scripts/generate_retail.py and by governance retraining.

Every C call's return code is checked; a failure raises XGBoostError with the library's own message
(XGBGetLastError). Handles are freed when their Python object is collected (or by close()).

The library is found by ctypes.util.find_library("xgboost"), else by its soname libxgboost.so.0; the environment
variable DRIFTGOV_XGBOOST_LIBRARY names another file.
"""
import ctypes
import ctypes.util
import json
import os
from pathlib import Path

import numpy as np

_bst_ulong = ctypes.c_uint64
_handle = ctypes.c_void_p
_library = None


class XGBoostError(RuntimeError):
    """A call into libxgboost failed; the message is the library's."""


def library() -> ctypes.CDLL:
    """The loaded libxgboost, with the signatures this module calls declared."""
    global _library
    if _library is not None:
        return _library
    name = os.environ.get("DRIFTGOV_XGBOOST_LIBRARY") or ctypes.util.find_library("xgboost") or "libxgboost.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as error:
        raise XGBoostError(f"cannot load the XGBoost library {name!r} ({error}); install libxgboost0 or set "
                           f"DRIFTGOV_XGBOOST_LIBRARY to the library file") from None
    float_p = ctypes.POINTER(ctypes.c_float)
    signatures = {
        "XGBGetLastError": ([], ctypes.c_char_p),
        "XGBoostVersion": ([ctypes.POINTER(ctypes.c_int)] * 3, None),
        "XGDMatrixCreateFromMat": ([float_p, _bst_ulong, _bst_ulong, ctypes.c_float, ctypes.POINTER(_handle)],
                                   ctypes.c_int),
        "XGDMatrixSetFloatInfo": ([_handle, ctypes.c_char_p, float_p, _bst_ulong], ctypes.c_int),
        "XGDMatrixFree": ([_handle], ctypes.c_int),
        "XGBoosterCreate": ([ctypes.POINTER(_handle), _bst_ulong, ctypes.POINTER(_handle)], ctypes.c_int),
        "XGBoosterFree": ([_handle], ctypes.c_int),
        "XGBoosterSetParam": ([_handle, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        "XGBoosterUpdateOneIter": ([_handle, ctypes.c_int, _handle], ctypes.c_int),
        "XGBoosterBoostedRounds": ([_handle, ctypes.POINTER(ctypes.c_int)], ctypes.c_int),
        "XGBoosterGetNumFeature": ([_handle, ctypes.POINTER(_bst_ulong)], ctypes.c_int),
        "XGBoosterPredictFromDMatrix": ([_handle, _handle, ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.POINTER(_bst_ulong)), ctypes.POINTER(_bst_ulong),
                                         ctypes.POINTER(float_p)], ctypes.c_int),
        "XGBoosterSaveModel": ([_handle, ctypes.c_char_p], ctypes.c_int),
        "XGBoosterLoadModel": ([_handle, ctypes.c_char_p], ctypes.c_int),
        "XGBoosterSaveModelToBuffer": ([_handle, ctypes.c_char_p, ctypes.POINTER(_bst_ulong),
                                        ctypes.POINTER(ctypes.c_char_p)], ctypes.c_int),
        "XGBoosterLoadModelFromBuffer": ([_handle, ctypes.c_void_p, _bst_ulong], ctypes.c_int),
    }
    for function, (arguments, result) in signatures.items():
        getattr(lib, function).argtypes = arguments
        getattr(lib, function).restype = result
    _library = lib
    return lib


def _check(code: int, what: str) -> None:
    if code != 0:
        message = library().XGBGetLastError().decode(errors="replace")
        raise XGBoostError(f"{what}: {message}")


def version() -> tuple[int, int, int]:
    parts = [ctypes.c_int() for _ in range(3)]
    library().XGBoostVersion(*[ctypes.byref(part) for part in parts])
    return tuple(part.value for part in parts)


def _dense(features) -> np.ndarray:
    matrix = np.ascontiguousarray(features, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"features must be a 2-dimensional matrix (rows x columns), got shape {matrix.shape}")
    return matrix


class DMatrix:
    """A dense float32 matrix in XGBoost's format; NaN is a missing value. Optional labels for training."""

    def __init__(self, features, label=None):
        matrix = _dense(features)
        self.shape = matrix.shape
        self.handle = _handle()
        _check(library().XGDMatrixCreateFromMat(matrix.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                                matrix.shape[0], matrix.shape[1], ctypes.c_float(np.nan),
                                                ctypes.byref(self.handle)), "XGDMatrixCreateFromMat")
        if label is not None:
            labels = np.ascontiguousarray(label, dtype=np.float32)
            if labels.shape != (matrix.shape[0],):
                raise ValueError(f"label must have one value per row ({matrix.shape[0]}), got shape {labels.shape}")
            if np.isnan(labels).any():
                raise ValueError(f"label has {int(np.isnan(labels).sum())} missing values; training needs every label")
            _check(library().XGDMatrixSetFloatInfo(self.handle, b"label",
                                                   labels.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                                   labels.shape[0]), "XGDMatrixSetFloatInfo(label)")

    def close(self) -> None:
        if self.handle:
            _check(library().XGDMatrixFree(self.handle), "XGDMatrixFree")
            self.handle = _handle()

    def __del__(self):
        if getattr(self, "handle", None):
            library().XGDMatrixFree(self.handle)


class Booster:
    """A gradient-boosted model. Create with train(), load() or from_bytes()."""

    def __init__(self, cache: list[DMatrix] | None = None):
        cache = cache or []
        handles = (_handle * max(len(cache), 1))(*[matrix.handle for matrix in cache])
        self.handle = _handle()
        _check(library().XGBoosterCreate(handles, len(cache), ctypes.byref(self.handle)), "XGBoosterCreate")

    @classmethod
    def train(cls, features, label, params: dict, rounds: int) -> "Booster":
        """Boosts `rounds` rounds on (features, label) with XGBoost parameters `params` (values turned into text,
        e.g. {"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "nthread": 1, "seed": 7})."""
        train = DMatrix(features, label)
        booster = cls([train])
        for key, value in params.items():
            booster.set_param(key, value)
        for iteration in range(rounds):
            _check(library().XGBoosterUpdateOneIter(booster.handle, iteration, train.handle),
                   f"XGBoosterUpdateOneIter(round {iteration})")
        train.close()
        return booster

    @classmethod
    def load(cls, path) -> "Booster":
        """A model saved by save() (JSON or UBJSON, chosen by the file's extension) or by another XGBoost."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"XGBoost model file {path} does not exist")
        booster = cls()
        _check(library().XGBoosterLoadModel(booster.handle, str(path).encode()), f"XGBoosterLoadModel({path})")
        return booster

    @classmethod
    def from_bytes(cls, data: bytes) -> "Booster":
        booster = cls()
        _check(library().XGBoosterLoadModelFromBuffer(booster.handle, data, len(data)),
               "XGBoosterLoadModelFromBuffer")
        return booster

    def set_param(self, key: str, value) -> None:
        if isinstance(value, bool):
            value = int(value)
        _check(library().XGBoosterSetParam(self.handle, str(key).encode(), str(value).encode()),
               f"XGBoosterSetParam({key}={value})")

    @property
    def rounds(self) -> int:
        count = ctypes.c_int()
        _check(library().XGBoosterBoostedRounds(self.handle, ctypes.byref(count)), "XGBoosterBoostedRounds")
        return count.value

    @property
    def num_features(self) -> int:
        count = _bst_ulong()
        _check(library().XGBoosterGetNumFeature(self.handle, ctypes.byref(count)), "XGBoosterGetNumFeature")
        return count.value

    def predict(self, features, chunk_rows: int = 1 << 20) -> np.ndarray:
        """Predictions (float32, one per row) for a dense matrix, NaN for missing values; the matrix is passed to
        the library `chunk_rows` rows at a time to bound memory."""
        matrix = _dense(features)
        if matrix.shape[1] != self.num_features:
            raise ValueError(f"the model was trained on {self.num_features} features, the matrix has "
                             f"{matrix.shape[1]} columns")
        out = np.empty(matrix.shape[0], dtype=np.float32)
        config = json.dumps({"type": 0, "training": False, "iteration_begin": 0, "iteration_end": 0,
                             "strict_shape": False}).encode()
        for begin in range(0, matrix.shape[0], chunk_rows):
            chunk = DMatrix(matrix[begin:begin + chunk_rows])
            shape = ctypes.POINTER(_bst_ulong)()
            dimensions = _bst_ulong()
            result = ctypes.POINTER(ctypes.c_float)()
            _check(library().XGBoosterPredictFromDMatrix(self.handle, chunk.handle, config, ctypes.byref(shape),
                                                         ctypes.byref(dimensions), ctypes.byref(result)),
                   "XGBoosterPredictFromDMatrix")
            count = chunk.shape[0]
            # The library owns the result buffer until the next call on this booster: copy it out now.
            out[begin:begin + count] = np.ctypeslib.as_array(result, shape=(count,))
            chunk.close()
        return out

    def save(self, path) -> None:
        """Saves the model; the format follows the extension (.json: JSON, .ubj: universal binary JSON)."""
        _check(library().XGBoosterSaveModel(self.handle, str(path).encode()), f"XGBoosterSaveModel({path})")

    def to_bytes(self, format: str = "json") -> bytes:
        length = _bst_ulong()
        data = ctypes.c_char_p()
        config = json.dumps({"format": format}).encode()
        _check(library().XGBoosterSaveModelToBuffer(self.handle, config, ctypes.byref(length), ctypes.byref(data)),
               "XGBoosterSaveModelToBuffer")
        return ctypes.string_at(data, length.value)

    def close(self) -> None:
        if self.handle:
            _check(library().XGBoosterFree(self.handle), "XGBoosterFree")
            self.handle = _handle()

    def __del__(self):
        if getattr(self, "handle", None):
            library().XGBoosterFree(self.handle)
