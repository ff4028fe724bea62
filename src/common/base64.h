// Standard base64 (RFC 4648, with padding).
#ifndef ARCHER_COMMON_BASE64_H_
#define ARCHER_COMMON_BASE64_H_

#include <string>

namespace archer {

std::string base64_encode(const std::string& in);
// Decodes up to the first character outside the alphabet ('=' included).
std::string base64_decode(const std::string& in);

}  // namespace archer

#endif  // ARCHER_COMMON_BASE64_H_
