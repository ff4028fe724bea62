#include "dispatcher/tuner_channel.h"

#include "dispatcher/legacy_framing.h"

namespace archer {

namespace {

bool is_type(std::string_view t) {
  return t.size() == 2 && t[0] >= 'A' && t[0] <= 'Z' && t[1] >= 'A' &&
         t[1] <= 'Z';
}

std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return "'" + out + (s.size() > 40 ? "...'" : "'");
}

}  // namespace

StatusOr<TunerCommand> parse_tuner_message(const std::string& message) {
  if (message.size() < 2 || !is_type(std::string_view(message).substr(0, 2))) {
    return Status::invalid_argument(
        "tuner command channel: expected a command (two capital letters, "
        "then its payload), got " +
        excerpt(message));
  }
  return TunerCommand{message.substr(0, 2), message.substr(2)};
}

std::string encode_legacy(const TunerCommand& command) {
  std::string length = std::to_string(command.payload.size());
  return command.type + std::string(14 - length.size(), '0') + length +
         command.payload;
}

StatusOr<std::vector<TunerCommand>> LegacyDecoder::feed(
    std::string_view bytes) {
  if (!failed_.is_ok()) return failed_;
  pending_.append(bytes);
  std::vector<TunerCommand> out;
  size_t at = 0;
  while (pending_.size() - at >= 16) {
    std::string_view header = std::string_view(pending_).substr(at, 16);
    bool digits = true;
    for (char c : header.substr(2)) digits = digits && c >= '0' && c <= '9';
    if (!is_type(header.substr(0, 2)) || !digits) {
      failed_ = Status::invalid_argument(
          "tuner command pipe: expected a header (two capital letters and "
          "14 digits), got " +
          excerpt(header));
      return failed_;
    }
    const size_t length = std::stoull(std::string(header.substr(2)));
    if (length > max_payload_) {
      failed_ = Status::invalid_argument(
          "tuner command pipe: a " + std::string(header.substr(0, 2)) +
          " command of " + std::to_string(length) + " bytes (at most " +
          std::to_string(max_payload_) + ")");
      return failed_;
    }
    if (pending_.size() - at - 16 < length) break;
    out.push_back(
        {std::string(header.substr(0, 2)), pending_.substr(at + 16, length)});
    at += 16 + length;
  }
  pending_.erase(0, at);
  return out;
}

}  // namespace archer
