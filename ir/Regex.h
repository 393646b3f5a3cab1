// Regular expressions for the regex_full_match op: an RE2-syntax subset
// compiled to a byte-level Thompson program that the runtime's host
// function runs as a Pike VM (docs/ir.md, "Strings").
#pragma once

#include "ir/Support.h"

#include <string>
#include <string_view>

namespace mlc {

/// Compiles `pattern` (RE2 syntax: literals and escapes, `.`, classes with
/// ranges and \w \d \s, groups `(...)` and `(?:...)`, `|`, `* + ? {n}
/// {n,} {n,m}` (lazy forms match the same under full matching), `^ $ \b
/// \B`; ASCII \w \d \s as RE2; `.` and negated classes take one UTF-8
/// character) into the program regex_full_match runs. The layout, all
/// little-endian u32: the instruction count N, the byte-set count C, N
/// instructions {op, x, y, 0}, then C byte sets of 8 words (bit b of the
/// set: byte b matches). Ops: 0 match, 1 byte x, 2 byte set x, 3 split to x
/// and y (x preferred), 4 jump to x, 5 assert x (0 start, 1 end, 2 word
/// boundary, 3 not a word boundary). Unsupported syntax (backreferences,
/// flags, \p classes, non-ASCII characters in classes) is an error naming
/// the position.
Expected<std::string> compileRegex(std::string_view pattern);

} // namespace mlc
