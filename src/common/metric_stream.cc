#include "common/metric_stream.h"

#include <cstdio>

#include "archer/states.h"
#include "common/bounded_file.h"

namespace archer {

namespace {

bool is_header_at(const std::string& buf, size_t pos) {
  if (pos + 8 > buf.size()) return false;
  if (buf[pos] != 'M' || buf[pos + 1] != 'E') return false;
  for (size_t i = pos + 2; i < pos + 8; ++i) {
    if (buf[i] < '0' || buf[i] > '9') return false;
  }
  return true;
}

// The payload length a header at buf[pos] announces (REQUIRES:
// is_header_at(buf, pos)).
size_t header_length(const std::string& buf, size_t pos) {
  size_t length = 0;
  for (size_t i = pos + 2; i < pos + 8; ++i)
    length = length * 10 + static_cast<size_t>(buf[i] - '0');
  return length;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", static_cast<unsigned char>(c));
      out += b;
    }
  }
  return out;
}

}  // namespace

std::string metric_payload(std::optional<std::int64_t> parameter_id,
                           const std::string& trial_job_id,
                           const std::string& type, std::int64_t sequence,
                           const Json& metric) {
  Json record = Json::object();
  record["parameter_id"] = parameter_id ? Json(*parameter_id) : Json();
  record["trial_job_id"] = trial_job_id;
  record["type"] = type;
  record["sequence"] = sequence;
  record["value"] = dumps(metric);
  return dumps(record);
}

StatusOr<std::string> frame_metric(const std::string& payload) {
  size_t length = payload.size() + 1;
  if (length > kMaxMetricPayload) {
    return Status::invalid_argument(
        "metric too long: " + std::to_string(length) +
        " bytes, the metrics framing allows at most " +
        std::to_string(kMaxMetricPayload));
  }
  char header[9];
  std::snprintf(header, sizeof(header), "ME%06zu", length);
  return std::string(header) + payload + "\n";
}

StatusOr<MetricRecord> parse_metric_payload(std::string_view payload,
                                            const std::string& where) {
  auto json = parse_json(payload, where);
  if (!json.is_ok()) return json.status();
  const Json& j = json.value();
  auto bad = [&](const std::string& what) {
    return Status::corruption(where + ": " + what + " in metric record " +
                              printable(payload.substr(0, 200)));
  };
  if (!j.is_object()) return bad("expected a JSON object");
  MetricRecord rec;
  if (!j.contains("type") || !j["type"].is_string())
    return bad("missing string \"type\"");
  rec.type = j["type"].get<std::string>();
  if (!parse_metric_type(rec.type)) {
    return bad("\"type\" must be FINAL, PERIODICAL or REQUEST_PARAMETER");
  }
  if (j.contains("trial_job_id")) {
    if (!j["trial_job_id"].is_string())
      return bad("\"trial_job_id\" must be a string");
    rec.trial_job_id = j["trial_job_id"].get<std::string>();
  }
  if (j.contains("sequence")) {
    if (!j["sequence"].is_number_integer())
      return bad("\"sequence\" must be an integer");
    rec.sequence = j["sequence"].get<std::int64_t>();
  }
  if (j.contains("parameter_id") && !j["parameter_id"].is_null()) {
    // NNI's advisors' ids are strings (Hyperband's "0-1_0_2"): kept in the
    // payload, no integer id.
    if (!j["parameter_id"].is_number_integer() &&
        !j["parameter_id"].is_string()) {
      return bad("\"parameter_id\" must be an integer, a string or null");
    }
    if (j["parameter_id"].is_number_integer())
      rec.parameter_id = j["parameter_id"].get<std::int64_t>();
  }
  if (rec.type != "REQUEST_PARAMETER") {
    if (!j.contains("value") || !j["value"].is_string()) {
      return bad("\"value\" must be a JSON-encoded string");
    }
    rec.value = j["value"].get<std::string>();
    auto metric = parse_json(rec.value, where + ": \"value\"");
    if (!metric.is_ok()) return metric.status();
    rec.metric = std::move(metric).value();
  }
  rec.payload = std::string(payload);
  return rec;
}

void MetricStreamDecoder::feed(std::string_view bytes) {
  compact();
  buffer_.append(bytes.data(), bytes.size());
}

void MetricStreamDecoder::compact() {
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    base_offset_ += pos_;
    pos_ = 0;
  }
}

Status MetricStreamDecoder::finish() {
  const size_t pending = pending_bytes();
  if (pending == 0) return Status::ok();
  const std::uint64_t offset = base_offset_ + pos_;
  std::string what = "incomplete record";
  if (is_header_at(buffer_, pos_)) {
    what = "record header \"" + buffer_.substr(pos_, 8) + "\" announces " +
           std::to_string(header_length(buffer_, pos_)) +
           " bytes, but the stream ended after " + std::to_string(pending - 8);
  }
  // Skip the header and look for records in what followed it.
  size_t next = pos_ + 1;
  while (next + 8 <= buffer_.size() && !is_header_at(buffer_, next)) ++next;
  if (next + 8 > buffer_.size()) next = buffer_.size();
  pos_ = next;
  return Status::corruption(
      "byte offset " + std::to_string(offset) + ": " + what + "; skipped " +
      std::to_string(next - (offset - base_offset_)) + " bytes");
}

StatusOr<std::optional<MetricRecord>> MetricStreamDecoder::next() {
  if (buffer_.size() - pos_ < 8) return std::optional<MetricRecord>();
  const std::uint64_t offset = base_offset_ + pos_;
  const std::string where = "byte offset " + std::to_string(offset);
  // The SDKs' payload is a JSON object: a header not followed by '{' is a
  // stray one (it would otherwise swallow up to 999,999 following bytes).
  const bool stray = is_header_at(buffer_, pos_) && buffer_.size() - pos_ > 8 &&
                     buffer_[pos_ + 8] != '{' && buffer_[pos_ + 8] != ' ';
  if (stray || !is_header_at(buffer_, pos_)) {
    std::string seen = printable(std::string_view(buffer_).substr(pos_, 8));
    // Resynchronise: skip to the next plausible header, keeping a possibly
    // partial one.
    size_t next = pos_ + 1;
    while (next + 8 <= buffer_.size() && !is_header_at(buffer_, next)) ++next;
    if (next + 8 > buffer_.size()) {
      // Keep the tail that could still become a header (up to 7 bytes), if it
      // starts with M.
      size_t keep = buffer_.find('M', next);
      next = keep == std::string::npos ? buffer_.size() : keep;
    }
    size_t skipped = next - pos_;
    pos_ = next;
    return Status::corruption(
        where +
        (stray ? ": record header \"" + seen +
                     "\" is not followed by a JSON object"
               : ": expected a record header \"ME\" + 6 digits, got \"" + seen +
                     "\"") +
        "; skipped " + std::to_string(skipped) + " bytes");
  }
  const size_t length = header_length(buffer_, pos_);
  if (buffer_.size() - pos_ - 8 < length) return std::optional<MetricRecord>();
  std::string_view payload(buffer_.data() + pos_ + 8, length);
  pos_ += 8 + length;
  if (length == 0) return Status::corruption(where + ": empty metric record");
  // The SDKs end the payload with a newline; tolerate other trailing
  // whitespace.
  while (!payload.empty() &&
         (payload.back() == '\n' || payload.back() == '\r' ||
          payload.back() == ' ')) {
    payload.remove_suffix(1);
  }
  auto rec = parse_metric_payload(payload, where);
  if (!rec.is_ok()) return rec.status();
  MetricRecord out = std::move(rec).value();
  out.offset = offset;
  return std::optional<MetricRecord>(std::move(out));
}

MetricFileReader::MetricFileReader(std::string path) : path_(path) {
  auto slash = path.rfind('/');
  root_ = slash == std::string::npos ? "." : path.substr(0, slash);
  if (root_.empty()) root_ = "/";
  relative_ = path.substr(slash == std::string::npos ? 0 : slash + 1);
}

MetricFileReader::MetricFileReader(std::string root, std::string relative)
    : path_(root + "/" + relative),
      root_(std::move(root)),
      relative_(std::move(relative)) {}

StatusOr<std::vector<MetricRecord>> MetricFileReader::poll(
    std::vector<Status>* errors, size_t max_bytes) {
  std::vector<MetricRecord> out;
  auto fd = open_beneath(root_, relative_);
  if (!fd.is_ok()) {
    if (fd.status().code() == Status::Code::kNotFound) return out;
    return fd.status();
  }
  auto bytes = read_at(fd.value().get(), read_offset_, max_bytes, path_);
  if (!bytes.is_ok()) return bytes.status();
  read_offset_ += bytes.value().size();
  caught_up_ = bytes.value().size() < max_bytes;
  decoder_.feed(bytes.value());
  drain(&out, errors);
  return out;
}

void MetricFileReader::drain(std::vector<MetricRecord>* out,
                             std::vector<Status>* errors) {
  while (true) {
    auto rec = decoder_.next();
    if (!rec.is_ok()) {
      if (errors) errors->push_back(rec.status().with_context(path_));
      continue;
    }
    if (!rec.value().has_value()) break;
    out->push_back(std::move(*rec.value()));
  }
}

std::vector<MetricRecord> MetricFileReader::finish(
    std::vector<Status>* errors) {
  std::vector<MetricRecord> out;
  while (decoder_.pending_bytes() > 0) {
    Status st = decoder_.finish();
    if (errors && !st.is_ok()) errors->push_back(st.with_context(path_));
    drain(&out, errors);
  }
  return out;
}

}  // namespace archer
