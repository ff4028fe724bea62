// NNI's `.nni/metrics` framing (spec §3.4): each record is
//   "ME" + 6 ASCII decimal digits (byte length L of the payload) + payload,
// where payload = metric JSON text + "\n" and L < 1,000,000. The metric JSON is
//   {"parameter_id": 3, "trial_job_id": "Tr1al", "type": "FINAL", "sequence":
//   0, "value": "0.5"}
// with `value` the metric itself JSON-encoded into a string (double encoding).
#ifndef ARCHER_COMMON_METRIC_STREAM_H_
#define ARCHER_COMMON_METRIC_STREAM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

// Largest payload the 6-digit length field can describe.
constexpr size_t kMaxMetricPayload = 999999;

// A decoded record. `type` is "PERIODICAL", "FINAL" or "REQUEST_PARAMETER".
struct MetricRecord {
  std::optional<std::int64_t> parameter_id;
  std::string trial_job_id;
  std::string type;
  std::int64_t sequence = 0;
  std::string value;  // the raw `value` string (empty for REQUEST_PARAMETER)
  Json metric;  // `value` decoded (numbers, objects, NaN/Infinity accepted)
  std::string payload;  // the JSON text as framed, without the trailing newline
  std::uint64_t offset = 0;  // byte offset of the record's "ME" in the stream
};

// The metric JSON text the trial SDKs write, with Python's separators. `metric`
// is encoded into the `value` string. parameter_id nullopt is written as null.
std::string metric_payload(std::optional<std::int64_t> parameter_id,
                           const std::string& trial_job_id,
                           const std::string& type, std::int64_t sequence,
                           const Json& metric);

// "ME" + length + payload + "\n". Fails if the framed payload exceeds
// kMaxMetricPayload.
StatusOr<std::string> frame_metric(const std::string& payload);

// Incremental decoder: feed() bytes as they arrive (any split), then call
// next() until it returns nullopt. A corrupt record (bad header, bad JSON,
// missing fields) makes next() return an error naming the byte offset; the
// decoder has then skipped it and continues with the next record
// (resynchronising on the next "ME" + 6 digits after a bad header).
// Thread-safety: none; one owner.
class MetricStreamDecoder {
 public:
  void feed(std::string_view bytes);
  StatusOr<std::optional<MetricRecord>> next();
  // The stream has ended (the writer exited): an incomplete record left is
  // reported (kCorruption naming its offset and what its header announced)
  // and skipped past its header, so the records that followed it can still
  // be decoded by next(). Ok when nothing is pending.
  Status finish();
  // Bytes received but not yet decoded (an incomplete record at the end of the
  // stream).
  size_t pending_bytes() const { return buffer_.size() - pos_; }

 private:
  void compact();
  std::string buffer_;
  size_t pos_ = 0;                 // decode position in buffer_
  std::uint64_t base_offset_ = 0;  // stream offset of buffer_[0]
};

// Parses one metric JSON payload (without framing). `where` prefixes errors.
StatusOr<MetricRecord> parse_metric_payload(std::string_view payload,
                                            const std::string& where);

// Tails a metrics file a trial controls: each poll() reads what was appended
// since the last one, at most `max_bytes` per call (the rest comes on the next
// call), so a trial writing without end cannot stall the caller. The file is
// opened beneath its root with no symlink followed and must be a regular file
// (a FIFO, a device or a symlink is reported as an error, never blocks).
// A missing file is not an error (the trial has not written yet). Corrupt
// records are reported in `errors` (each naming the file and offset) and
// skipped.
class MetricFileReader {
 public:
  static constexpr size_t kPollBytes = size_t{4} << 20;
  // `path`'s directory is the root.
  explicit MetricFileReader(std::string path);
  // The file `relative` (e.g. ".nni/metrics") beneath the directory `root`.
  MetricFileReader(std::string root, std::string relative);
  // Returns the complete records appended since the previous call. Fails only
  // when the file cannot be read (I/O error, not a regular file, a symlink).
  StatusOr<std::vector<MetricRecord>> poll(std::vector<Status>* errors,
                                           size_t max_bytes = kPollBytes);
  // After the writer exited and a last poll(): reports an incomplete trailing
  // record in `errors` and returns the records found after its header.
  std::vector<MetricRecord> finish(std::vector<Status>* errors);
  const std::string& path() const { return path_; }
  // The last poll() read everything the file had.
  bool caught_up() const { return caught_up_; }
  // True the first time `error` is seen in a row (for logging a file that
  // stays unreadable once, not at every poll).
  bool first_time(const Status& error) {
    if (error.message() == last_error_) return false;
    last_error_ = error.message();
    return true;
  }
  // Bytes of an incomplete trailing record (should be 0 once the writer has
  // exited).
  size_t pending_bytes() const { return decoder_.pending_bytes(); }

 private:
  void drain(std::vector<MetricRecord>* out, std::vector<Status>* errors);
  std::string path_, root_, relative_;
  std::uint64_t read_offset_ = 0;
  bool caught_up_ = true;
  std::string last_error_;
  MetricStreamDecoder decoder_;
};

}  // namespace archer

#endif  // ARCHER_COMMON_METRIC_STREAM_H_
