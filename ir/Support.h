// Error values shared by every layer of the compiler: no exceptions, ever.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mlc {

/// A failed operation's message: one lowercase line, no trailing period.
struct Error {
  std::string message;
};

/// Builds an Error from a message; reads better at return sites.
inline Error makeError(std::string message) { return Error{std::move(message)}; }

/// Success, or an Error carrying one line of explanation.
class [[nodiscard]] Status {
public:
  /// A successful status.
  Status() = default;
  /// A failed status.
  Status(Error error) : error_(std::move(error)) {}
  /// True when no error is held.
  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  /// The error message; only valid when !ok().
  const std::string &message() const { return error_->message; }
  /// The held error; only valid when !ok().
  const Error &error() const { return *error_; }
  /// The canonical success value.
  static Status success() { return Status(); }

private:
  std::optional<Error> error_;
};

/// A value of type T, or an Error explaining why there is none.
template <typename T> class [[nodiscard]] Expected {
public:
  /// Holds a value.
  Expected(T value) : storage_(std::move(value)) {}
  /// Holds an error.
  Expected(Error error) : storage_(std::move(error)) {}
  /// Holds the error of a failed Status (which must not be ok).
  Expected(const Status &status) : storage_(status.error()) {
    assert(!status.ok());
  }
  /// True when a value is held.
  bool ok() const { return std::holds_alternative<T>(storage_); }
  explicit operator bool() const { return ok(); }
  /// The held value.
  T &operator*() { return std::get<T>(storage_); }
  const T &operator*() const { return std::get<T>(storage_); }
  T *operator->() { return &std::get<T>(storage_); }
  const T *operator->() const { return &std::get<T>(storage_); }
  /// Moves the held value out.
  T take() { return std::move(std::get<T>(storage_)); }
  /// The held error.
  const Error &error() const { return std::get<Error>(storage_); }
  /// The held error's message.
  const std::string &message() const { return error().message; }
  /// The held error as a Status.
  Status status() const { return ok() ? Status() : Status(error()); }

private:
  std::variant<T, Error> storage_;
};

} // namespace mlc

/// Returns the error of a failed Status-producing expression from the caller.
#define MLC_RETURN_IF_ERROR(expr)                                              \
  do {                                                                         \
    ::mlc::Status mlcStatus_ = (expr);                                         \
    if (!mlcStatus_.ok())                                                      \
      return mlcStatus_.error();                                               \
  } while (false)
