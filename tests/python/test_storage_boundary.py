"""Only the storage implementations call the operating system's file functions (docs/architecture.md, "Storage").

Library code reads and writes through io::Storage (include/driftgov/io/storage.hpp). Tests and tools may use the
file system directly. KNOWN_REMAINING lists the library files not yet moved onto the storage layer, each with
what is left; it may only shrink: a new file with such a call fails this test, and so does an entry whose file no
longer needs it (remove the entry).
"""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FILE_SYSTEM_CALL = re.compile(
    r"std::filesystem|namespace fs\b|#include <(filesystem|fstream|fcntl\.h|unistd\.h|dirent\.h|sys/mman\.h|sys/stat\.h)>"
    r"|\b(std::)?[io]?fstream\b|\bfopen\(|(?<![\w>])::(open|close|read|write|pread|pwrite|fsync|rename|unlink|link"
    r"|mmap|munmap|opendir|stat|fstat)\(|std::(rename|remove)\(")

# The storage implementations: the one place for file-system calls.
STORAGE_IMPLEMENTATIONS = {"src/io/local_storage.cpp", "src/io/memory_storage.cpp"}

# Known remaining uses, to be moved onto io::Storage. Do not add to this list.
KNOWN_REMAINING: dict[str, str] = {}


def library_files():
    for folder in ("src", "include"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".cpp", ".hpp", ".h", ".cc"):
                yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_file_system_calls_stay_inside_the_storage_layer():
    offenders = []
    for name, text in library_files():
        if name in STORAGE_IMPLEMENTATIONS or name in KNOWN_REMAINING:
            continue
        hits = [f"{name}:{number}: {line.strip()}" for number, line in enumerate(text.splitlines(), 1)
                if FILE_SYSTEM_CALL.search(line)]
        offenders.extend(hits)
    assert not offenders, "file-system calls outside io::Storage (use include/driftgov/io/storage.hpp):\n" + \
        "\n".join(offenders)


def test_known_remaining_list_only_shrinks():
    still_needed = {name for name, text in library_files() if FILE_SYSTEM_CALL.search(text)}
    stale = sorted(name for name in KNOWN_REMAINING if (ROOT / name).exists() and name not in still_needed)
    assert not stale, f"no longer using the file system; remove from KNOWN_REMAINING: {stale}"


def test_the_pattern_catches_what_it_must():
    for line in ("#include <filesystem>", "  const int fd = ::open(path.c_str(), O_RDONLY);", "std::ifstream in(p);",
                 "if (::fsync(fd) != 0)", "std::rename(a, b);", "namespace fs = std::filesystem;"):
        assert FILE_SYSTEM_CALL.search(line), line
    for line in ("void CsvWriter::write(const core::RecordBatch& batch) {", "writer.close();",
                 "auto reader = parquet::FileReader::open(path);"):
        assert not FILE_SYSTEM_CALL.search(line), line
