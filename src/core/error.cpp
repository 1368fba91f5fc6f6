#include "core/error.hpp"

#include <mpi.h>

namespace hesscov::core {
namespace {

std::string location(const std::source_location& where) {
  return std::string(where.file_name()) + ":" + std::to_string(where.line()) + " (" +
         where.function_name() + ")";
}

}  // namespace

Error::Error(const std::string& message, std::source_location where)
    : std::runtime_error(message), where_(location(where)) {}

ConfigError::ConfigError(std::string file, std::string key, std::string value, std::string expected,
                         std::source_location where)
    : Error(file + ": key '" + key + "'" + (value.empty() ? "" : " = '" + value + "'") +
                ": expected " + expected,
            where),
      file_(std::move(file)),
      key_(std::move(key)),
      value_(std::move(value)) {}

IoError::IoError(std::string file, const std::string& detail, std::source_location where)
    : Error(file + ": " + detail, where), file_(std::move(file)) {}

NotCompiled::NotCompiled(const std::string& feature, std::source_location where)
    : Error(feature + " was requested but this build of hesscov was compiled without it", where) {}

void throw_if_mpi_error(int code, const char* call, std::source_location where) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw MpiError(std::string(call) + " failed: " + std::string(text, static_cast<size_t>(length)),
                 where);
}

}  // namespace hesscov::core
