#include "driftgov/delta/schema.hpp"

#include <fmt/format.h>

#include <charconv>

#include "driftgov/core/error.hpp"

namespace driftgov::delta {
namespace {

using nlohmann::json;

constexpr const char* kPhysicalNameKey = "delta.columnMapping.physicalName";
constexpr const char* kColumnIdKey = "delta.columnMapping.id";

struct ParsedField {
  core::Field field;
  ColumnMetadata metadata;
};

struct ParsedType {
  core::DataType type;
  ColumnMetadata metadata;  // children only (a type has no metadata of its own)
};

class SchemaParser {
 public:
  explicit SchemaParser(const std::string& context) : context_(context) {}

  [[noreturn]] void fail(const std::string& path, const std::string& expected) const {
    throw core::InputError(
        fmt::format("{}: schemaString: {}: expected {}", context_, path.empty() ? "<root>" : path, expected));
  }

  ParsedType parse_type(const json& value, const std::string& path) const {
    if (value.is_string()) return ParsedType{parse_primitive(value.get<std::string>(), path), {}};
    if (!value.is_object()) fail(path, "a type name or a type object");
    auto type_name = value.find("type");
    if (type_name == value.end() || !type_name->is_string()) fail(path, "a 'type' string");
    const std::string kind = type_name->get<std::string>();
    ParsedType parsed;
    if (kind == "struct") {
      parsed.type = core::DataType{core::TypeId::kStruct};
      auto fields = value.find("fields");
      if (fields == value.end() || !fields->is_array()) fail(path, "a 'fields' array in a struct");
      for (const auto& field_json : *fields) {
        auto field = parse_field(field_json, path);
        parsed.type.children.push_back(std::move(field.field));
        parsed.metadata.children.push_back(std::move(field.metadata));
      }
      check_unique(parsed.type.children, path);
      return parsed;
    }
    if (kind == "array") {
      parsed.type = core::DataType{core::TypeId::kList};
      auto element = require(value, "elementType", path);
      auto contains_null = value.find("containsNull");
      auto element_type = parse_type(element, path + ".element");
      parsed.type.children.push_back(
          core::Field{"element", std::move(element_type.type),
                      contains_null == value.end() || !contains_null->is_boolean() || contains_null->get<bool>(),
                      std::nullopt});
      parsed.metadata.children.push_back(std::move(element_type.metadata));
      return parsed;
    }
    if (kind == "map") {
      parsed.type = core::DataType{core::TypeId::kMap};
      auto key = parse_type(require(value, "keyType", path), path + ".key");
      auto item = parse_type(require(value, "valueType", path), path + ".value");
      auto contains_null = value.find("valueContainsNull");
      parsed.type.children.push_back(core::Field{"key", std::move(key.type), false, std::nullopt});
      parsed.type.children.push_back(
          core::Field{"value", std::move(item.type),
                      contains_null == value.end() || !contains_null->is_boolean() || contains_null->get<bool>(),
                      std::nullopt});
      parsed.metadata.children.push_back(std::move(key.metadata));
      parsed.metadata.children.push_back(std::move(item.metadata));
      return parsed;
    }
    fail(path, fmt::format("'struct', 'array' or 'map' (found '{}')", kind));
  }

  ParsedField parse_field(const json& value, const std::string& parent) const {
    if (!value.is_object()) fail(parent, "a field object");
    auto name = value.find("name");
    if (name == value.end() || !name->is_string()) fail(parent, "a field with a 'name' string");
    const std::string field_name = name->get<std::string>();
    const std::string path = parent.empty() ? field_name : parent + "." + field_name;
    auto type = parse_type(require(value, "type", path), path);
    ParsedField parsed;
    parsed.field.name = field_name;
    parsed.field.type = std::move(type.type);
    auto nullable = value.find("nullable");
    if (nullable != value.end() && !nullable->is_boolean()) fail(path + ".nullable", "a boolean");
    parsed.field.nullable = nullable == value.end() || nullable->get<bool>();
    parsed.metadata = std::move(type.metadata);
    auto metadata = value.find("metadata");
    if (metadata != value.end() && !metadata->is_null()) {
      if (!metadata->is_object()) fail(path + ".metadata", "an object");
      parsed.metadata.values = *metadata;
      auto physical = metadata->find(kPhysicalNameKey);
      if (physical != metadata->end() && !physical->is_string()) fail(path + "." + kPhysicalNameKey, "a string");
      auto id = metadata->find(kColumnIdKey);
      if (id != metadata->end() && !id->is_number_integer()) fail(path + "." + kColumnIdKey, "an integer");
    }
    return parsed;
  }

 private:
  const json& require(const json& object, const char* key, const std::string& path) const {
    auto found = object.find(key);
    if (found == object.end() || found->is_null()) fail(path, fmt::format("a '{}'", key));
    return *found;
  }

  void check_unique(const std::vector<core::Field>& fields, const std::string& path) const {
    // Delta column names are unique ignoring case (PROTOCOL.md, "Schema Serialization Format").
    for (std::size_t i = 0; i < fields.size(); ++i) {
      for (std::size_t j = i + 1; j < fields.size(); ++j) {
        if (equal_ignoring_case(fields[i].name, fields[j].name)) {
          fail(path, fmt::format("unique column names (ignoring case), found '{}' and '{}'", fields[i].name,
                                 fields[j].name));
        }
      }
    }
  }

  static bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }

  core::DataType parse_primitive(const std::string& name, const std::string& path) const {
    using core::DataType;
    using core::TypeId;
    if (name == "string") return DataType::string();
    if (name == "long") return DataType::int64();
    if (name == "integer") return DataType::int32();
    if (name == "short") return DataType{TypeId::kInt16};
    if (name == "byte") return DataType{TypeId::kInt8};
    if (name == "float") return DataType::float32();
    if (name == "double") return DataType::float64();
    if (name == "boolean") return DataType::boolean();
    if (name == "binary") return DataType::binary();
    if (name == "date") return DataType::date();
    if (name == "timestamp") return DataType::timestamp(core::TimeUnit::kMicro, true);
    if (name == "timestamp_ntz") return DataType::timestamp(core::TimeUnit::kMicro, false);
    if (name == "void") return DataType::null();
    if (name.starts_with("decimal")) return parse_decimal(name, path);
    if (name == "variant") {
      throw core::UnsupportedError(fmt::format("{}: column '{}': Delta type 'variant' is not supported", context_,
                                               path));
    }
    throw core::UnsupportedError(
        fmt::format("{}: column '{}': Delta type '{}' is not supported", context_, path, name));
  }

  core::DataType parse_decimal(const std::string& name, const std::string& path) const {
    // "decimal(p,s)" with optional spaces; a bare "decimal" is Spark's decimal(10,0).
    if (name == "decimal") return core::DataType::decimal(10, 0);
    int precision = 0;
    int scale = 0;
    std::string compact;
    for (char c : name) {
      if (c != ' ') compact += c;
    }
    const char* begin = compact.data() + std::string_view("decimal(").size();
    const char* end = compact.data() + compact.size();
    if (!compact.starts_with("decimal(") || compact.back() != ')') fail(path, "decimal(precision,scale)");
    auto [after_precision, precision_error] = std::from_chars(begin, end, precision);
    if (precision_error != std::errc() || *after_precision != ',') fail(path, "decimal(precision,scale)");
    auto [after_scale, scale_error] = std::from_chars(after_precision + 1, end, scale);
    if (scale_error != std::errc() || after_scale != end - 1) fail(path, "decimal(precision,scale)");
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
      fail(path, fmt::format("a decimal with 1 <= precision <= 38 and 0 <= scale <= precision (found {})", name));
    }
    return core::DataType::decimal(precision, scale);
  }

  std::string context_;
};

json type_to_json(const core::DataType& type, const ColumnMetadata* metadata);

json field_to_json(const core::Field& field, const ColumnMetadata* metadata) {
  json object = {{"name", field.name},
                 {"type", type_to_json(field.type, metadata)},
                 {"nullable", field.nullable},
                 {"metadata", metadata && metadata->values.is_object() ? metadata->values : json::object()}};
  return object;
}

const ColumnMetadata* child_metadata(const ColumnMetadata* metadata, std::size_t index) {
  if (!metadata || index >= metadata->children.size()) return nullptr;
  return &metadata->children[index];
}

json type_to_json(const core::DataType& type, const ColumnMetadata* metadata) {
  switch (type.id) {
    case core::TypeId::kStruct: {
      json fields = json::array();
      for (std::size_t i = 0; i < type.children.size(); ++i) {
        fields.push_back(field_to_json(type.children[i], child_metadata(metadata, i)));
      }
      return {{"type", "struct"}, {"fields", fields}};
    }
    case core::TypeId::kList:
      return {{"type", "array"},
              {"elementType", type_to_json(type.children.at(0).type, child_metadata(metadata, 0))},
              {"containsNull", type.children.at(0).nullable}};
    case core::TypeId::kMap:
      return {{"type", "map"},
              {"keyType", type_to_json(type.children.at(0).type, child_metadata(metadata, 0))},
              {"valueType", type_to_json(type.children.at(1).type, child_metadata(metadata, 1))},
              {"valueContainsNull", type.children.at(1).nullable}};
    default:
      return delta_type_name(type);
  }
}

void to_physical(core::Field& field, const ColumnMetadata* metadata) {
  if (metadata) {
    if (auto physical = metadata->physical_name()) field.name = *physical;
    // Readers in id mode need the ids; Spark and delta-rs write them in name mode too.
    field.field_id = metadata->column_id();
  }
  for (std::size_t i = 0; i < field.type.children.size(); ++i) {
    to_physical(field.type.children[i], child_metadata(metadata, i));
  }
}

}  // namespace

std::optional<std::string> ColumnMetadata::physical_name() const {
  auto found = values.find(kPhysicalNameKey);
  if (found == values.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

std::optional<std::int32_t> ColumnMetadata::column_id() const {
  auto found = values.find(kColumnIdKey);
  if (found == values.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<std::int32_t>();
}

TableSchema parse_schema(const std::string& schema_string, const std::string& context) {
  json root = json::parse(schema_string, nullptr, /*allow_exceptions=*/false);
  SchemaParser parser(context);
  if (root.is_discarded()) parser.fail("", "valid JSON");
  auto parsed = parser.parse_type(root, "");
  if (parsed.type.id != core::TypeId::kStruct) parser.fail("", "a struct at the top level");
  TableSchema schema;
  schema.schema.fields = std::move(parsed.type.children);
  schema.metadata = std::move(parsed.metadata.children);
  return schema;
}

std::string serialize_schema(const TableSchema& schema) {
  json fields = json::array();
  for (std::size_t i = 0; i < schema.schema.fields.size(); ++i) {
    fields.push_back(field_to_json(schema.schema.fields[i], i < schema.metadata.size() ? &schema.metadata[i] : nullptr));
  }
  return dump_json(json{{"type", "struct"}, {"fields", fields}}, "schema");
}

TableSchema table_schema_from(const core::Schema& schema) {
  TableSchema table;
  table.schema = schema;
  for (auto& field : table.schema.fields) field.field_id.reset();
  table.metadata.resize(schema.fields.size());
  return table;
}

ColumnMappingMode column_mapping_mode(const StringMap& configuration) {
  auto found = configuration.find("delta.columnMapping.mode");
  if (found == configuration.end() || found->second == "none") return ColumnMappingMode::kNone;
  if (found->second == "name") return ColumnMappingMode::kName;
  if (found->second == "id") return ColumnMappingMode::kId;
  throw core::UnsupportedError(
      fmt::format("table property delta.columnMapping.mode: '{}' is not supported (expected none, name or id)",
                  found->second));
}

core::Schema physical_schema(const TableSchema& schema, ColumnMappingMode mode) {
  core::Schema physical = schema.schema;
  if (mode == ColumnMappingMode::kNone) return physical;
  for (std::size_t i = 0; i < physical.fields.size(); ++i) {
    to_physical(physical.fields[i], i < schema.metadata.size() ? &schema.metadata[i] : nullptr);
  }
  return physical;
}

std::string physical_column_name(const TableSchema& schema, std::size_t index, ColumnMappingMode mode) {
  DRIFTGOV_CHECK(index < schema.schema.fields.size(), "column index {} of {}", index, schema.schema.fields.size());
  if (mode != ColumnMappingMode::kNone && index < schema.metadata.size()) {
    if (auto physical = schema.metadata[index].physical_name()) return *physical;
  }
  return schema.schema.fields[index].name;
}

std::string delta_type_name(const core::DataType& type) {
  switch (type.id) {
    case core::TypeId::kNull: return "void";
    case core::TypeId::kBoolean: return "boolean";
    case core::TypeId::kInt8: return "byte";
    case core::TypeId::kInt16: return "short";
    case core::TypeId::kInt32: return "integer";
    case core::TypeId::kInt64: return "long";
    case core::TypeId::kFloat32: return "float";
    case core::TypeId::kFloat64: return "double";
    case core::TypeId::kDecimal: return fmt::format("decimal({},{})", type.precision, type.scale);
    case core::TypeId::kDate: return "date";
    case core::TypeId::kTimestamp: return type.utc ? "timestamp" : "timestamp_ntz";
    case core::TypeId::kString: return "string";
    case core::TypeId::kBinary: return "binary";
    case core::TypeId::kStruct: {
      std::string out = "struct<";
      for (std::size_t i = 0; i < type.children.size(); ++i) {
        if (i) out += ", ";
        out += type.children[i].name + ": " + delta_type_name(type.children[i].type);
      }
      return out + ">";
    }
    case core::TypeId::kList: return "array<" + delta_type_name(type.children.at(0).type) + ">";
    case core::TypeId::kMap:
      return "map<" + delta_type_name(type.children.at(0).type) + ", " + delta_type_name(type.children.at(1).type) +
             ">";
  }
  DRIFTGOV_CHECK(false, "unknown type id {}", static_cast<int>(type.id));
  return {};
}

}  // namespace driftgov::delta
