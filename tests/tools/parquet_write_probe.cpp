// Writes a Parquet file from a JSON description, for the round-trip tests in tests/python.
//
//   parquet_write_probe INPUT.json OUTPUT.parquet
//
// INPUT: {"schema": [FIELD...], "rows": [[VALUE...]...], "options": {...}}
//   FIELD  {"name": "a", "type": TYPE, "nullable": true, "field_id": 7}
//   TYPE   "boolean" | "int8" | "int16" | "int32" | "int64" | "float" | "double" | "string" | "binary" |
//   "date"
//          | "null" | {"id": "decimal", "precision": P, "scale": S}
//          | {"id": "timestamp", "unit": "ms"|"us"|"ns", "utc": true}
//          | {"id": "struct", "fields": [FIELD...]} | {"id": "list", "element": FIELD}
//          | {"id": "map", "key": FIELD, "value": FIELD}
//   VALUE  null; JSON booleans and integers; floats as numbers or "NaN"/"Infinity"/"-Infinity"; strings;
//   binary
//          as hex; decimals as the unscaled integer in a string; dates as days; timestamps as integers in the
//          unit; structs as objects; lists as arrays; maps as arrays of [key, value] pairs.
//   options: compression, row_group_rows, row_group_bytes, data_page_bytes, dictionary
//   ("none"|"strings"|"all"),
//            dictionary_page_bytes, batch_rows (rows per batch handed to the writer).
// Exit code 0 on success, 2 with the message on stderr for an input error.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/writer.hpp"

namespace {

using driftgov::core::Column;
using driftgov::core::DataType;
using driftgov::core::Field;
using driftgov::core::TypeId;
using nlohmann::json;

DataType parse_type(const json& description);

Field parse_field(const json& description) {
  Field field;
  field.name = description.at("name").get<std::string>();
  field.type = parse_type(description.at("type"));
  field.nullable = description.value("nullable", true);
  if (description.contains("field_id")) field.field_id = description.at("field_id").get<std::int32_t>();
  return field;
}

DataType parse_type(const json& description) {
  if (description.is_string()) {
    const auto name = description.get<std::string>();
    static const std::map<std::string, TypeId> simple = {
        {"boolean", TypeId::kBoolean}, {"int8", TypeId::kInt8},     {"int16", TypeId::kInt16},
        {"int32", TypeId::kInt32},     {"int64", TypeId::kInt64},   {"float", TypeId::kFloat32},
        {"double", TypeId::kFloat64},  {"string", TypeId::kString}, {"binary", TypeId::kBinary},
        {"date", TypeId::kDate},       {"null", TypeId::kNull}};
    return DataType{simple.at(name)};
  }
  const auto id = description.at("id").get<std::string>();
  if (id == "decimal") return DataType::decimal(description.at("precision"), description.at("scale"));
  if (id == "timestamp") {
    const auto unit = description.value("unit", std::string("us"));
    return DataType::timestamp(unit == "ms"   ? driftgov::core::TimeUnit::kMilli
                               : unit == "ns" ? driftgov::core::TimeUnit::kNano
                                              : driftgov::core::TimeUnit::kMicro,
                               description.value("utc", true));
  }
  DataType type;
  if (id == "struct") {
    type.id = TypeId::kStruct;
    for (const auto& child : description.at("fields")) type.children.push_back(parse_field(child));
  } else if (id == "list") {
    type.id = TypeId::kList;
    type.children.push_back(parse_field(description.at("element")));
  } else if (id == "map") {
    type.id = TypeId::kMap;
    type.children.push_back(parse_field(description.at("key")));
    type.children.push_back(parse_field(description.at("value")));
  } else {
    throw driftgov::core::InputError("unknown type id " + id);
  }
  return type;
}

Column make_column(const DataType& type) {
  Column column(type);
  if (type.id == TypeId::kStruct) {
    for (const auto& child : type.children) column.children.push_back(make_column(child.type));
  } else if (type.id == TypeId::kList) {
    column.children.push_back(make_column(type.children[0].type));
  } else if (type.id == TypeId::kMap) {
    DataType entries{TypeId::kStruct};
    entries.children = {type.children[0], type.children[1]};
    entries.children[0].name = "key";
    entries.children[1].name = "value";
    column.children.push_back(make_column(entries));
  }
  return column;
}

void mark_valid(Column& column) {
  if (!column.validity.empty()) column.validity.push_back(1);
  ++column.length;
}

driftgov::core::Int128 parse_int128(const std::string& text) {
  driftgov::core::Int128 value = 0;
  const bool negative = !text.empty() && text[0] == '-';
  for (std::size_t i = negative ? 1 : 0; i < text.size(); ++i) value = value * 10 + (text[i] - '0');
  return negative ? -value : value;
}

std::string parse_hex(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

double parse_double(const json& value) {
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
    return std::stod(text);
  }
  return value.get<double>();
}

void append(Column& column, const json& value) {
  if (value.is_null()) {
    column.append_null();
    return;
  }
  const auto& type = column.type;
  switch (type.id) {
    case TypeId::kBoolean:
      column.append_int(value.get<bool>() ? 1 : 0);
      return;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kDate:
    case TypeId::kTimestamp:
      column.append_int(value.get<std::int64_t>());
      return;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      column.append_double(parse_double(value));
      return;
    case TypeId::kDecimal:
      column.append_decimal(parse_int128(value.get<std::string>()));
      return;
    case TypeId::kString:
      column.append_string(value.get<std::string>());
      return;
    case TypeId::kBinary:
      column.append_string(parse_hex(value.get<std::string>()));
      return;
    case TypeId::kStruct:
      for (std::size_t i = 0; i < type.children.size(); ++i) {
        append(column.children[i],
               value.contains(type.children[i].name) ? value.at(type.children[i].name) : json());
      }
      mark_valid(column);
      return;
    case TypeId::kList:
      for (const auto& element : value) append(column.children[0], element);
      column.offsets.push_back(column.children[0].length);
      mark_valid(column);
      return;
    case TypeId::kMap: {
      auto& entries = column.children[0];
      for (const auto& pair : value) {
        append(entries.children[0], pair.at(0));
        append(entries.children[1], pair.at(1));
        mark_valid(entries);
      }
      column.offsets.push_back(entries.length);
      mark_valid(column);
      return;
    }
    case TypeId::kNull:
      column.append_null();
      return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: parquet_write_probe INPUT.json OUTPUT.parquet\n";
    return 2;
  }
  try {
    std::ifstream input(argv[1]);
    const auto description = json::parse(input);
    driftgov::core::Schema schema;
    for (const auto& field : description.at("schema")) schema.fields.push_back(parse_field(field));

    driftgov::parquet::WriterOptions options;
    const auto settings = description.value("options", json::object());
    if (settings.contains("compression")) {
      options.compression =
          driftgov::parquet::parse_compression(settings.at("compression").get<std::string>());
    }
    options.row_group_rows = settings.value("row_group_rows", options.row_group_rows);
    options.row_group_bytes = settings.value("row_group_bytes", options.row_group_bytes);
    options.data_page_bytes = settings.value("data_page_bytes", options.data_page_bytes);
    options.dictionary_page_bytes = settings.value("dictionary_page_bytes", options.dictionary_page_bytes);
    const auto dictionary = settings.value("dictionary", std::string("strings"));
    options.dictionary = dictionary == "none"  ? driftgov::parquet::DictionaryPolicy::kNone
                         : dictionary == "all" ? driftgov::parquet::DictionaryPolicy::kAll
                                               : driftgov::parquet::DictionaryPolicy::kStrings;
    const std::int64_t batch_rows = settings.value("batch_rows", std::int64_t{1} << 40);

    driftgov::parquet::FileWriter writer(argv[2], schema, options);
    const auto& rows = description.at("rows");
    std::size_t next_row = 0;
    do {
      driftgov::core::RecordBatch batch;
      batch.schema = schema;
      for (const auto& field : schema.fields) batch.columns.push_back(make_column(field.type));
      while (next_row < rows.size() && batch.num_rows < batch_rows) {
        const auto& row = rows[next_row++];
        for (std::size_t column = 0; column < schema.fields.size(); ++column)
          append(batch.columns[column], row.at(column));
        ++batch.num_rows;
      }
      writer.write(batch);
    } while (next_row < rows.size());
    writer.close();
    return 0;
  } catch (const driftgov::core::InputError& error) {
    std::cerr << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << "\n";
    return 1;
  }
}
