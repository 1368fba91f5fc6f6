#pragma once
// Progress and results go to stdout on rank 0 only (STYLE.md: no output on every rank); errors
// go to stderr on whichever rank hit them. Every line carries the time since the logger started.
#include <chrono>
#include <string>

namespace hesscov::core {

class Logger {
 public:
  /// `rank` of the calling process in the run's communicator; only rank 0 prints info().
  explicit Logger(int rank);
  /// The same, every line starting with `prefix` (e.g. "[group 1] " when several runs share stdout).
  Logger(int rank, std::string prefix);
  /// "[   12.3s] message" on rank 0.
  void info(const std::string& message) const;
  /// Seconds since construction.
  [[nodiscard]] double elapsed() const;
  [[nodiscard]] bool is_root() const noexcept { return rank_ == 0; }

 private:
  int rank_;
  std::string prefix_;
  std::chrono::steady_clock::time_point start_;
};

/// The current time in UTC as ISO 8601, "2026-12-01T20:53:12Z" (archive time stamps). Local.
std::string utc_now();

/// Bytes in a binary unit: "850 B", "12.0 KiB", "340.5 MiB", "1.2 GiB".
std::string format_bytes(double bytes);

/// Seconds in a human unit: "850 us", "12.3 ms", "4.56 s", "3 min 20 s".
std::string format_seconds(double seconds);

}  // namespace hesscov::core
