#include "bench/record.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include "apps/build_info.hpp"
#include "backend/backend.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "io/atomic_file.hpp"
#include "io/collective.hpp"

namespace hesscov::bench {
namespace {

constexpr const char* kFormat = "hesscov-bench-1";

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("unknown");
}

/// "model name" of /proc/cpuinfo (x86) or "unknown".
std::string cpu_model() {
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0)
      if (const auto colon = line.find(':'); colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  return "unknown";
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_value(const io::AttributeValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return json_string(*text);
  if (const auto* count = std::get_if<std::int64_t>(&value)) return std::to_string(*count);
  const double number = std::get<double>(value);
  if (!std::isfinite(number)) return "null";  // JSON has no NaN or infinity
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", number);
  return text;
}

void append_members(std::string& out, const io::Attributes& attributes) {
  for (const auto& attribute : attributes) out += "," + json_string(attribute.name) + ":" + json_value(attribute.value);
}

const io::Attribute& find(const io::Attributes& values, const std::string& name) {
  for (const auto& value : values)
    if (value.name == name) return value;
  throw core::Error("benchmark record: no value '" + name + "'");
}

}  // namespace

int blas_threads() {
  using ThreadsFunction = int (*)();
  if (auto threads = reinterpret_cast<ThreadsFunction>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) return threads();
  return 1;
}

double number_of(const io::Attributes& values, const std::string& name) {
  const auto& value = find(values, name).value;
  if (const auto* count = std::get_if<std::int64_t>(&value)) return static_cast<double>(*count);
  if (const auto* number = std::get_if<double>(&value)) return *number;
  throw core::Error("benchmark record: '" + name + "' is text, not a number");
}

std::string text_of(const io::Attributes& values, const std::string& name) {
  const auto& value = find(values, name).value;
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  throw core::Error("benchmark record: '" + name + "' is a number, not text");
}

io::Attributes record_environment(const comm::Communicator& world) {
  const MPI_Comm comm = world.get();  // rank 0's clock and node name, so every rank writes the same
  return {{"format", std::string(kFormat)},
          {"schema_version", std::int64_t{1}},
          {"created", io::broadcast_from_rank0(comm, core::utc_now())},
          {"software", apps::version_line()},
          {"hostname", io::broadcast_from_rank0(comm, host_name())},
          {"cpu", io::broadcast_from_rank0(comm, cpu_model())},
          {"cores", static_cast<std::int64_t>(std::thread::hardware_concurrency())},
          {"ranks", static_cast<std::int64_t>(world.size())},
          {"gpus", static_cast<std::int64_t>(backend::cuda_device_count())},
          {"precision", std::string("fp64")},
          {"blas_threads", static_cast<std::int64_t>(blas_threads())}};
}

std::string json_path(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  const bool has_extension = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_extension ? path.substr(0, dot) : path) + ".json";
}

std::string bench_command(const std::string& suite, const std::vector<std::string>& words) {
  std::string command = "hesscov bench " + suite;
  for (const auto& word : words) command += " " + word;
  return command;
}

std::string record_json(const Record& record, const io::Attributes& environment) {
  std::string out = "{\"suite\":" + json_string(record.suite) + ",\"command\":" + json_string(record.command);
  append_members(out, environment);
  append_members(out, record.parameters);
  out += ",\"rows\":[";
  for (size_t r = 0; r < record.rows.size(); ++r) {
    out += (r == 0 ? "{" : ",{") + std::string("\"name\":") + json_string(record.rows[r].name);
    append_members(out, record.rows[r].values);
    out += "}";
  }
  return out + "]}";
}

void write_record(const Record& record, const std::string& path, const comm::Communicator& world) {
  const io::Attributes environment = record_environment(world);
  io::AtomicFile archive = io::AtomicFile::create(path, world.get());
  io::ParallelH5File& file = archive.file();
  io::Attributes root = environment;
  root.push_back({"suite", record.suite});
  root.push_back({"command", record.command});
  root.insert(root.end(), record.parameters.begin(), record.parameters.end());
  io::write_attributes(file, "/", root);
  std::vector<std::string> names;
  for (const auto& row : record.rows) names.push_back(row.name);
  file.write_replicated_strings("/row_names", names);
  for (const auto& row : record.rows) {
    file.create_groups("/rows/" + row.name);
    io::write_attributes(file, "/rows/" + row.name, row.values);
  }
  archive.commit();
  const std::string json = json_path(path);
  io::on_rank0(world.get(), json, [&] {
    const std::string temporary = json + ".tmp";
    {
      std::ofstream out(temporary);
      out << record_json(record, environment) << "\n";
      if (!out) throw core::IoError(temporary, "cannot write the benchmark record's JSON");
    }
    io::durable_rename(temporary, json);
  });
}

}  // namespace hesscov::bench
