// Test helper: the message of the archer::Error that `f` throws, or "(no
// error)".
#ifndef ARCHER_TESTING_ERROR_MESSAGE_H_
#define ARCHER_TESTING_ERROR_MESSAGE_H_

#include <functional>
#include <string>

#include "archer/status.h"

namespace archer {
namespace testing {

inline std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_ERROR_MESSAGE_H_
