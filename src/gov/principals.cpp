#include "driftgov/gov/principals.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <cstdlib>

#include "driftgov/core/error.hpp"
#include "driftgov/core/text_distance.hpp"

namespace driftgov::gov {
namespace {

std::vector<std::string> names_of(const Principals& principals) {
  std::vector<std::string> names;
  for (const auto& [name, principal] : principals) names.push_back(name);
  return names;
}

std::optional<std::string> environment_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// Wipes a string holding secret text when it goes out of scope.
class SecretText {
 public:
  explicit SecretText(std::string text) : text_(std::move(text)) {}
  ~SecretText() { sodium_memzero(text_.data(), text_.size()); }
  SecretText(const SecretText&) = delete;
  SecretText& operator=(const SecretText&) = delete;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace

bool is_principal_name(std::string_view name) {
  if (name.empty() || name.starts_with('.')) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == '@';
    if (!ok) return false;
  }
  return true;
}

const char* to_string(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kSteward: return "steward";
    case Role::kTrainer: return "trainer";
    case Role::kApprover: return "approver";
    case Role::kAdmin: return "admin";
  }
  return "?";
}

const char* to_string(PrincipalType type) {
  return type == PrincipalType::kUser ? "user" : "service_principal";
}

const std::vector<std::string>& role_names() {
  static const std::vector<std::string> names = {"viewer", "operator", "steward", "trainer", "approver", "admin"};
  return names;
}

std::optional<Role> parse_role(const std::string& name) {
  const auto& names = role_names();
  for (std::size_t index = 0; index < names.size(); ++index) {
    if (names[index] == name) return static_cast<Role>(index);
  }
  return std::nullopt;
}

AccessDeniedError::AccessDeniedError(std::string principal, Role role, std::string target)
    : std::runtime_error(fmt::format("refused: principal '{}' needs role '{}' on target '{}'", principal,
                                     to_string(role), target)),
      principal_(std::move(principal)),
      role_(role),
      target_(std::move(target)) {}

AccessDeniedError::AccessDeniedError(std::string principal, Role role, std::string target, const std::string& why)
    : std::runtime_error(fmt::format("refused: principal '{}' holds role '{}' on target '{}' but {}", principal,
                                     to_string(role), target, why)),
      principal_(std::move(principal)),
      role_(role),
      target_(std::move(target)) {}

const Principal& find_principal(const Principals& principals, const std::string& name) {
  const auto found = principals.find(name);
  if (found != principals.end()) return found->second;
  if (principals.empty()) {
    throw core::InputError(fmt::format("no principal '{}': the configuration declares no principals", name));
  }
  const auto names = names_of(principals);
  const auto closest = core::closest_name(name, names);
  throw core::InputError(fmt::format("no principal '{}' in the configuration{}; principals: {}", name,
                                     closest.empty() ? "" : fmt::format(" (did you mean '{}'?)", closest),
                                     fmt::join(names, ", ")));
}

void require_role(const Principals& principals, const std::string& principal, const std::string& target, Role role) {
  const auto& found = find_principal(principals, principal);
  const auto roles = found.roles.find(target);
  if (roles != found.roles.end() && roles->second.contains(role)) return;
  throw AccessDeniedError(principal, role, target);
}

Environment Environment::from_process() {
  return {environment_value("DRIFTGOV_PRINCIPAL"), environment_value("DRIFTGOV_KEY_FILE"),
          environment_value("DRIFTGOV_KEY")};
}

std::optional<std::string> acting_principal_name(const std::string& as_option, const Environment& environment) {
  if (!as_option.empty()) return as_option;
  return environment.principal;
}

KeyPair load_signing_key(const Principal& principal, const Environment& environment, io::Storage& storage) {
  if (environment.key_file && environment.key) {
    throw core::InputError(fmt::format("principal '{}': both DRIFTGOV_KEY_FILE and DRIFTGOV_KEY are set; set one",
                                       principal.name));
  }
  std::optional<KeyPair> pair;
  std::string origin;
  if (environment.key_file) {
    const auto& file = *environment.key_file;
    origin = "DRIFTGOV_KEY_FILE " + file;
    const auto mode = storage.permission_bits(file);
    if (!mode) {
      throw core::InputError(fmt::format("{}: a key file must be a local file (its permissions cannot be checked "
                                         "here); use DRIFTGOV_KEY for a key held elsewhere", file));
    }
    if ((*mode & 077) != 0) {
      throw core::InputError(fmt::format("{}: the key file has mode {:04o}, readable by group or others; a secret key "
                                         "must be readable by its owner only: run chmod 600 {}",
                                         file, *mode, file));
    }
    const SecretText text(io::read_file(storage, file));
    pair.emplace(KeyPair::parse(text.text(), file));
  } else if (environment.key) {
    origin = "DRIFTGOV_KEY";
    pair.emplace(KeyPair::parse(*environment.key, "DRIFTGOV_KEY"));
  } else {
    throw core::InputError(fmt::format("principal '{}': no key given; set DRIFTGOV_KEY_FILE to its key file (written "
                                       "by `driftgov principal keygen`) or DRIFTGOV_KEY to the key text",
                                       principal.name));
  }
  if (!(pair->public_key() == principal.public_key)) {
    throw core::InputError(fmt::format("{}: the key's public half {} is not principal '{}''s configured public_key {}",
                                       origin, pair->public_key().text(), principal.name,
                                       principal.public_key.text()));
  }
  return std::move(*pair);
}

PublicKey write_key_pair(const std::string& name, const std::string& folder, io::Storage& storage) {
  if (!is_principal_name(name)) {
    throw core::InputError(fmt::format("principal keygen: expected a name of letters, digits, '_', '-', '.' and '@' "
                                       "(not starting with '.'), found '{}'", name));
  }
  const std::string base = (folder.empty() ? std::string(".") : folder) + "/" + name;
  const std::string key_file = base + ".key";
  if (storage.stat(key_file)) {
    throw core::InputError(fmt::format("{}: a key file exists already; it is never replaced (remove it first to "
                                       "make a new key)", key_file));
  }
  const auto pair = KeyPair::generate();
  {
    const SecretText text(pair.secret_text());
    auto stream = storage.create_owner_only(key_file);
    stream->write(text.text());
    stream->publish();
  }
  io::write_file_atomically(storage, base + ".pub", pair.public_key().text() + "\n");
  return pair.public_key();
}

}  // namespace driftgov::gov
