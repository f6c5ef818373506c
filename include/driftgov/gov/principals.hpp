#pragma once
// Principals, roles and the acting principal (docs/governance.md).
//
// A principal is a user or a service principal with an Ed25519 public key and roles per target, declared under
// `principals:` in driftgov.yaml (monitor::Config::principals). Roles do not imply one another: a principal holds
// exactly the roles listed for a target (an admin who also approves lists both).
//
// The acting principal is named by --as NAME or the environment variable DRIFTGOV_PRINCIPAL; its secret key comes
// from DRIFTGOV_KEY_FILE (a local file readable by its owner only) or DRIFTGOV_KEY (the key text itself, for CI
// secrets). A key whose public half differs from the principal's configured public_key is refused.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/gov/keys.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::gov {

enum class Role { kViewer, kOperator, kSteward, kTrainer, kApprover, kAdmin };
enum class PrincipalType { kUser, kServicePrincipal };

const char* to_string(Role role);
const char* to_string(PrincipalType type);
// The role names, in the order of the enum: viewer, operator, steward, trainer, approver, admin.
const std::vector<std::string>& role_names();
std::optional<Role> parse_role(const std::string& name);

struct Principal {
  std::string name;
  PrincipalType type = PrincipalType::kUser;
  PublicKey public_key;
  std::map<std::string, std::set<Role>> roles;  // target -> roles held there
};

using Principals = std::map<std::string, Principal>;

// A refused action: the acting principal lacks the role the action needs on its target. The CLI exits 6.
class AccessDeniedError : public std::runtime_error {
 public:
  AccessDeniedError(std::string principal, Role role, std::string target);
  // A refusal although the role is held (four eyes: an approver who requested or trained what it would approve);
  // `why` follows "refused: principal 'P' holds role 'R' on target 'T' but ".
  AccessDeniedError(std::string principal, Role role, std::string target, const std::string& why);
  const std::string& principal() const { return principal_; }
  Role role() const { return role_; }
  const std::string& target() const { return target_; }

 private:
  std::string principal_;
  Role role_;
  std::string target_;
};

// Whether `name` can name a principal (and its key files): letters, digits, '_', '-', '.', '@', not starting
// with '.'.
bool is_principal_name(std::string_view name);

// The principal named `name`; core::InputError when there is none (with the names there are, and a did-you-mean).
const Principal& find_principal(const Principals& principals, const std::string& name);

// Throws AccessDeniedError unless `principal` holds `role` on `target`: "principal 'bob' needs role 'operator' on
// target 'prod' (it holds: viewer)". An unknown principal is core::InputError (find_principal).
void require_role(const Principals& principals, const std::string& principal, const std::string& target, Role role);

// What the environment says about the acting principal (the CLI fills it from getenv).
struct Environment {
  std::optional<std::string> principal;  // DRIFTGOV_PRINCIPAL
  std::optional<std::string> key_file;   // DRIFTGOV_KEY_FILE
  std::optional<std::string> key;        // DRIFTGOV_KEY
  static Environment from_process();
};

// The acting principal's name: --as when given, else DRIFTGOV_PRINCIPAL; nullopt when neither is set.
std::optional<std::string> acting_principal_name(const std::string& as_option, const Environment& environment);

// The acting principal's key pair, from DRIFTGOV_KEY_FILE (read through `storage`) or DRIFTGOV_KEY (both set is
// an error: which one is meant?). Refused with core::InputError: no key given; a key file that group or others may
// read (naming the file, its mode and `chmod 600`); a storage without permission bits (keys are local files only);
// unreadable key text; a key whose public half is not the principal's configured public_key (naming both).
KeyPair load_signing_key(const Principal& principal, const Environment& environment, io::Storage& storage);

// Writes NAME.key (owner-only from its creation, published atomically; an existing key is never replaced) and
// NAME.pub into `folder`. Returns the key pair's public key. core::InputError when NAME.key exists or NAME is not a
// plain name.
PublicKey write_key_pair(const std::string& name, const std::string& folder, io::Storage& storage);

}  // namespace driftgov::gov
