#pragma once
// Typed errors with the source location of the check that raised them (STYLE.md "Errors carry
// context"). Every user-facing failure names the file, key or value that is wrong and what was
// expected; the subtypes carry those fields so callers and tests can inspect them.
#include <source_location>
#include <stdexcept>
#include <string>

namespace hesscov::core {

/// Base of every HessCov error. what() is the full message, already naming file/key/value.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message,
                 std::source_location where = std::source_location::current());
  /// "file.cpp:123 (function)" of the check that failed, for logs and tracebacks.
  [[nodiscard]] const std::string& where() const noexcept { return where_; }

 private:
  std::string where_;
};

/// A configuration value is missing, unknown, of the wrong type or out of range.
class ConfigError : public Error {
 public:
  /// file: the config file (or "<string>"); key: dotted path such as "model.mlp";
  /// value: the offending value as written; expected: what would have been accepted.
  ConfigError(std::string file, std::string key, std::string value, std::string expected,
              std::source_location where = std::source_location::current());
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] const std::string& key() const noexcept { return key_; }
  [[nodiscard]] const std::string& value() const noexcept { return value_; }

 private:
  std::string file_, key_, value_;
};

/// A file (data set, archive) could not be read or written, or its content is malformed.
class IoError : public Error {
 public:
  IoError(std::string file, const std::string& detail,
          std::source_location where = std::source_location::current());
  [[nodiscard]] const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
};

/// Operand sizes do not conform (vector length vs operator size, batch vs workspace, ...).
class DimensionMismatch : public Error {
 public:
  using Error::Error;
};

/// A result was requested before the object was in the state that produces it.
class StateError : public Error {
 public:
  using Error::Error;
};

/// Long work was asked to stop (a preemption signal) before it finished; whatever it had not
/// committed is discarded, and the work is repeated when the run resumes. Not a failure.
class Interrupted : public Error {
 public:
  using Error::Error;
};

/// A feature (CUDA, NCCL) was requested that this build does not contain. Never a silent fallback.
class NotCompiled : public Error {
 public:
  NotCompiled(const std::string& feature,
              std::source_location where = std::source_location::current());
};

/// An MPI call returned an error code.
class MpiError : public Error {
 public:
  using Error::Error;
};

/// Throws MPI's own message for `code` when it is not MPI_SUCCESS. Used by HC_MPI.
void throw_if_mpi_error(int code, const char* call,
                        std::source_location where = std::source_location::current());

}  // namespace hesscov::core

/// Check an internal invariant or a precondition; throws `ErrorType(message)` when false.
#define HC_CHECK(condition, ErrorType, message)            \
  do {                                                     \
    if (!(condition)) throw ErrorType(message);            \
  } while (false)

/// Every MPI call goes through this: a non-success code becomes an MpiError naming the call.
#define HC_MPI(call) ::hesscov::core::throw_if_mpi_error((call), #call)
