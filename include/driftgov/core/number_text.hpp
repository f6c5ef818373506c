#pragma once
// A finite number written as text, as options and configuration values give them.
#include <string>

namespace driftgov::core {

// The whole of `text` as a finite double (decimal or exponent notation, as std::stod reads it); throws
// core::InputError "<what>: expected a number, got '<text>'" for anything else (empty, trailing characters,
// NaN, infinities, out of range).
double parse_finite_number(const std::string& text, const std::string& what);

}  // namespace driftgov::core
