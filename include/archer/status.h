// Status and StatusOr<T>: recoverable, environment-caused failures (leveldb
// style).
//
// A Status is either OK or carries a code and a human-readable message that
// names the file, key and expectation ("parameter.cfg: key 'skip': _idx[1] = 3
// is out of range ..."). Thread-safety: values; no shared state.
#ifndef ARCHER_STATUS_H_
#define ARCHER_STATUS_H_

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace archer {

// [[nodiscard]]: a Status nobody looks at is a lost error (cast to void, with a
// reason, where ignoring it is right).
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,
    kNotFound,
    kIoError,
    kCorruption,
    kInternal
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status invalid_argument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status not_found(std::string msg) {
    return Status(Code::kNotFound, std::move(msg));
  }
  static Status io_error(std::string msg) {
    return Status(Code::kIoError, std::move(msg));
  }
  static Status corruption(std::string msg) {
    return Status(Code::kCorruption, std::move(msg));
  }
  static Status internal(std::string msg) {
    return Status(Code::kInternal, std::move(msg));
  }

  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string to_string() const;

  // Returns a copy whose message is "<prefix>: <message>" (no-op for OK).
  Status with_context(const std::string& prefix) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Thrown by value() on an errored StatusOr, and by APIs whose contract is to
// throw (misuse of the trial API, an architecture that does not match the
// model).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status)
      : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.is_ok())
      status_ = Status::internal("StatusOr constructed from an OK Status");
  }

  bool is_ok() const { return status_.is_ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: is_ok(); otherwise throws archer::Error with the status message.
  T& value() & {
    check();
    return *value_;
  }
  const T& value() const& {
    check();
    return *value_;
  }
  // By value: `for (x : f().value())` must not dangle.
  T value() && {
    check();
    return std::move(*value_);
  }

 private:
  void check() const {
    if (!status_.is_ok()) throw Error(status_.message());
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace archer

#endif  // ARCHER_STATUS_H_
