// Helpers for the training-service tests: polling until trials end, and
// finding an event among those seen.
#ifndef ARCHER_TESTING_TRIAL_EVENTS_H_
#define ARCHER_TESTING_TRIAL_EVENTS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "archer/training_service.h"

namespace archer {
namespace testing {

// Polls `ts` until `n` trials ended (or `seconds` passed; then the test
// fails); returns every event seen.
inline std::vector<TrialEvent> poll_until_ended(TrainingService& ts, int n,
                                                int seconds) {
  std::vector<TrialEvent> all;
  int ended = 0;
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (ended < n && std::chrono::steady_clock::now() < limit) {
    auto events = ts.poll(std::chrono::milliseconds(200));
    EXPECT_TRUE(events.is_ok()) << events.status().message();
    if (!events.is_ok()) break;
    for (auto& e : events.value()) {
      ended += e.kind == TrialEvent::Kind::kEnded;
      all.push_back(std::move(e));
    }
  }
  EXPECT_EQ(ended, n);
  return all;
}

// Polls once; an error fails the test (and gives no events).
inline std::vector<TrialEvent> poll_once(TrainingService& ts,
                                         std::chrono::milliseconds timeout) {
  auto events = ts.poll(timeout);
  EXPECT_TRUE(events.is_ok()) << events.status().message();
  return events.is_ok() ? std::move(events).value() : std::vector<TrialEvent>();
}

// The first event of `kind` for trial `id`, or nullptr.
inline const TrialEvent* find_event(const std::vector<TrialEvent>& events,
                                    TrialEvent::Kind kind,
                                    const std::string& id) {
  for (const auto& e : events) {
    if (e.kind == kind && e.trial_id == id) return &e;
  }
  return nullptr;
}

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_TRIAL_EVENTS_H_
