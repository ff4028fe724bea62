#include "archer/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "common/bounded_file.h"

namespace archer {

namespace {

// Python's float repr(): shortest round-trip digits; fixed notation when the
// decimal exponent is in [-4, 16), otherwise d.ddde[+-]XX.
void append_python_float(double v, std::string& out) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[64];
  auto res =
      std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "-1.25e+00"
  bool negative = false;
  size_t pos = 0;
  if (sci[0] == '-') {
    negative = true;
    pos = 1;
  }
  size_t e = sci.find('e');
  std::string digits;
  for (size_t i = pos; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  int exp10 = std::stoi(sci.substr(e + 1));
  // Trim trailing zeros of the mantissa (to_chars is already shortest, but
  // "0e+00").
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int decpt = exp10 + 1;  // value = 0.DIGITS * 10^decpt
  int n = static_cast<int>(digits.size());
  if (negative) out += '-';
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt < n) {
      out += digits.substr(0, static_cast<size_t>(decpt));
      out += '.';
      out += digits.substr(static_cast<size_t>(decpt));
    } else {
      out += digits;
      out.append(static_cast<size_t>(decpt - n), '0');
      out += ".0";
    }
    return;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out += digits.substr(1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exp10 < 0 ? '-' : '+',
                std::abs(exp10));
  out += exp_buf;
}

void append_u_escape(unsigned code, std::string& out) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u%04x", code & 0xFFFFu);
  out += buf;
}

// Decodes one UTF-8 sequence at s[i]; returns the code point (U+FFFD for
// invalid bytes) and advances i.
unsigned decode_utf8(const std::string& s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = byte(i);
  int extra = 0;
  unsigned cp = 0;
  if (c >= 0xF0 && c <= 0xF4) {
    extra = 3;
    cp = c & 0x07;
  } else if (c >= 0xE0) {
    extra = 2;
    cp = c & 0x0F;
  } else if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
    cp = c & 0x1F;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + static_cast<size_t>(extra) >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k <= extra; ++k) {
    unsigned b = byte(i + static_cast<size_t>(k));
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += static_cast<size_t>(extra) + 1;
  return cp;
}

void append_python_string(const std::string& s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            append_u_escape(c, out);
          } else {
            out += static_cast<char>(c);
          }
      }
      continue;
    }
    unsigned cp = decode_utf8(s, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      append_u_escape(0xD800 + (cp >> 10), out);
      append_u_escape(0xDC00 + (cp & 0x3FF), out);
    } else {
      append_u_escape(cp, out);
    }
  }
  out += '"';
}

void dump_value(const Json& v, const DumpOptions& opt, int depth,
                std::string& out) {
  auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<size_t>(opt.indent) * static_cast<size_t>(d), ' ');
  };
  const bool pretty = opt.indent >= 0;
  switch (v.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      out += "null";
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(v.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(v.get<std::uint64_t>());
      return;
    case Json::value_t::number_float:
      append_python_float(v.get<double>(), out);
      return;
    case Json::value_t::string:
      append_python_string(v.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::binary:
      out += "null";
      return;
    case Json::value_t::array: {
      if (v.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += pretty ? "," : ", ";
        first = false;
        if (pretty) newline(depth + 1);
        dump_value(item, opt, depth + 1, out);
      }
      if (pretty) newline(depth);
      out += ']';
      return;
    }
    case Json::value_t::object: {
      if (v.empty()) {
        out += "{}";
        return;
      }
      // (key, value) pairs, so sorting needs no lookup (ordered_json's at() is
      // linear).
      std::vector<std::pair<const std::string*, const Json*>> items;
      for (auto it = v.begin(); it != v.end(); ++it)
        items.emplace_back(&it.key(), &it.value());
      if (opt.sort_keys) {
        std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
          return *a.first < *b.first;
        });
      }
      out += '{';
      bool first = true;
      for (const auto& [key, value] : items) {
        if (!first) out += pretty ? "," : ", ";
        first = false;
        if (pretty) newline(depth + 1);
        append_python_string(*key, out);
        out += ": ";
        dump_value(*value, opt, depth + 1, out);
      }
      if (pretty) newline(depth);
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string dumps(const Json& value, const DumpOptions& options) {
  std::string out;
  dump_value(value, options, 0, out);
  return out;
}

StatusOr<Json> load_json_file(const std::string& path,
                              const JsonLimits& limits) {
  auto text = read_regular_file(path, limits.max_bytes);
  if (!text.is_ok()) return text.status();
  return parse_json(text.value(), path, limits);
}

}  // namespace archer
