// Fuzzes the readers of key text (gov/keys.hpp): arbitrary text must give a key or a core::InputError, never a
// crash. A public key that parses must print back as the same text (the base64 is canonical), and a secret key
// that parses must reprint and reparse to the same key pair.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace gov = driftgov::gov;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto key = gov::parse_public_key(input, "fuzz");
    if (gov::parse_public_key(key.text(), "again") != key) __builtin_trap();
  } catch (const driftgov::core::InputError&) {
  }
  try {
    const auto pair = gov::KeyPair::parse(input, "fuzz");
    if (gov::KeyPair::parse(pair.secret_text(), "again").public_key() != pair.public_key()) __builtin_trap();
  } catch (const driftgov::core::InputError&) {
  }
  return 0;
}
