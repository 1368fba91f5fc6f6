#pragma once
// The one checking helper for HDF5 calls in the io layer (STYLE.md "No unchecked call"): a negative
// return becomes a core::IoError naming the file, the object and HDF5's own innermost message.
#include <hdf5.h>

#include <string>

#include "core/error.hpp"

namespace hesscov::io {

/// HDF5's innermost error message on the current thread's error stack ("" when empty), and clears
/// the stack. Local.
std::string take_hdf5_message();

/// Returns `value` when it is non-negative (HDF5's success convention for herr_t, hid_t, htri_t and
/// ssize_t); otherwise throws core::IoError(file, what + ": " + HDF5's message). Local.
template <class Value>
Value checked(Value value, const std::string& file, const std::string& what) {
  if (value >= 0) return value;
  const std::string message = take_hdf5_message();
  throw core::IoError(file, what + (message.empty() ? std::string() : ": " + message));
}

/// Turns off HDF5's automatic printing of error stacks, so that a failure is reported once, by the
/// IoError that checked() raises. Idempotent; local to the calling process.
void silence_hdf5();

}  // namespace hesscov::io
