// One registry per extension point (tuners, assessors, platforms): specs kept
// in registration order, found by name or alias, replaced by name, listed for
// messages and docs. Thread-safe.
//
// A Spec has a `name`; it may have `aliases` (std::vector<std::string>); a
// spec whose name lives elsewhere overloads registry_name() for its type
// (found by argument-dependent lookup), as AssessorSpec does.
#ifndef ARCHER_COMMON_REGISTRY_H_
#define ARCHER_COMMON_REGISTRY_H_

#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "archer/status.h"
#include "common/edit_distance.h"

namespace archer {

template <typename Spec>
const std::string& registry_name(const Spec& spec) {
  return spec.name;
}

namespace detail {
template <typename Spec, typename = void>
struct has_aliases : std::false_type {};
template <typename Spec>
struct has_aliases<Spec, std::void_t<decltype(std::declval<Spec>().aliases)>>
    : std::true_type {};
}  // namespace detail

template <typename Spec>
class Registry {
 public:
  // `kind` names the extension point in messages ("tuner").
  Registry(std::string kind, std::vector<Spec> builtins)
      : kind_(std::move(kind)), specs_(std::move(builtins)) {}

  // Adds `spec`, or replaces the one of the same name.
  void add(Spec spec) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : specs_) {
      if (registry_name(s) == registry_name(spec)) {
        s = std::move(spec);
        return;
      }
    }
    specs_.push_back(std::move(spec));
  }
  // The spec called `name` or with `name` as an alias.
  std::optional<Spec> find(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : specs_) {
      if (matches(s, name)) return s;
    }
    return std::nullopt;
  }
  std::vector<Spec> all() const {
    std::lock_guard<std::mutex> lock(mu_);
    return specs_;
  }
  // Every name and alias, in registration order.
  std::vector<std::string> names() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& s : specs_) {
      out.push_back(registry_name(s));
      if constexpr (detail::has_aliases<Spec>::value)
        out.insert(out.end(), s.aliases.begin(), s.aliases.end());
    }
    return out;
  }
  // "unknown tuner 'x' (did you mean 'y'?); available: a, b" (`hint`, when
  // given, replaces the "did you mean").
  Status unknown(const std::string& name, const std::string& hint = "") const {
    const std::vector<std::string> known = names();
    std::string list;
    for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
    return Status::invalid_argument(
        "unknown " + kind_ + " '" + name + "'" +
        (hint.empty() ? did_you_mean(name, known) : hint) +
        "; available: " + list);
  }

 private:
  static bool matches(const Spec& s, const std::string& name) {
    if (registry_name(s) == name) return true;
    if constexpr (detail::has_aliases<Spec>::value) {
      for (const auto& a : s.aliases) {
        if (a == name) return true;
      }
    }
    return false;
  }

  std::string kind_;
  mutable std::mutex mu_;
  std::vector<Spec> specs_;
};

}  // namespace archer

#endif  // ARCHER_COMMON_REGISTRY_H_
