#include "apps/run_records.hpp"

#include <zlib.h>

#include <ctime>

#include "apps/build_info.hpp"
#include "core/build_config.hpp"
#include "core/log.hpp"
#include "io/h5_file.hpp"

namespace hesscov::apps {
namespace {

/// Every key of the config as a typed attribute of `group` (lists of strings as flow YAML).
void write_config_attributes(io::ParallelH5File& file, const std::string& group, const core::Config& config) {
  for (const auto& key : config.schema().keys()) {
    const std::string& name = key.path;
    switch (key.type) {
      case core::KeyType::integer: file.write_attribute(group, name, static_cast<std::int64_t>(config.get_int(name))); break;
      case core::KeyType::real: file.write_attribute(group, name, config.get_double(name)); break;
      case core::KeyType::boolean: file.write_attribute(group, name, std::int64_t{config.get_bool(name) ? 1 : 0}); break;
      case core::KeyType::int_list: {
        const auto values = config.get_int_list(name);
        file.write_attribute(group, name, std::vector<std::int64_t>(values.begin(), values.end()));
        break;
      }
      case core::KeyType::real_list: file.write_attribute(group, name, config.get_double_list(name)); break;
      case core::KeyType::string_list: file.write_attribute(group, name, config.value_text(name)); break;
      default: file.write_attribute(group, name, config.get_string(name)); break;
    }
  }
}

/// CRC-32 (zlib) of the samples as the run sees them: inputs (fp64 bytes) then labels (int32
/// bytes) — the data's identity independent of file names and compression.
std::int64_t content_crc32(const data::Dataset& dataset) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto add = [&](const void* bytes, size_t size) {
    const auto* at = static_cast<const Bytef*>(bytes);
    for (size_t done = 0; done < size;) {  // zlib's length is 32-bit
      const auto chunk = static_cast<uInt>(std::min<size_t>(size - done, 1u << 30));
      crc = crc32(crc, at + done, chunk);
      done += chunk;
    }
  };
  add(dataset.inputs.data(), dataset.inputs.size() * sizeof(double));
  add(dataset.labels.data(), dataset.labels.size() * sizeof(int));
  if (!dataset.targets.empty()) add(dataset.targets.data(), dataset.targets.size() * sizeof(double));
  return static_cast<std::int64_t>(crc);
}

void write_dataset_identity(io::ParallelH5File& file, const RunSetup& run) {
  const data::Dataset& d = run.dataset;
  file.create_groups("/dataset");
  file.write_attribute("/dataset", "name", d.name);
  for (const char* key : {"data.name", "data.path", "data.split"})
    file.write_attribute("/dataset", key, run.config.get_string(key));
  file.write_attribute("/dataset", "count", static_cast<std::int64_t>(d.count));
  file.write_attribute("/dataset", "features", static_cast<std::int64_t>(d.features));
  file.write_attribute("/dataset", "shape", std::vector<std::int64_t>{d.channels, d.height, d.width});
  file.write_attribute("/dataset", "classes", static_cast<std::int64_t>(d.num_classes));
  file.write_attribute("/dataset", "content_crc32", content_crc32(d));
  file.write_attribute("/dataset", "input_mean", d.input_mean);
  file.write_attribute("/dataset", "input_std", d.input_std);
  file.write_replicated_index("/dataset/sample_indices", d.indices);
  file.write_replicated_index("/dataset/labels", std::vector<std::int64_t>(d.labels.begin(), d.labels.end()));
  file.write_attribute("/dataset/sample_indices", "units", "index of each training sample in its source");
}

void write_layout(io::ParallelH5File& file, const nn::ParamLayout& layout) {
  std::vector<std::string> names, shapes;
  std::vector<std::int64_t> offsets, sizes;
  for (const auto& block : layout.blocks()) {
    names.push_back(block.name);
    std::string shape;
    for (const auto extent : block.shape) {
      if (!shape.empty()) shape += 'x';
      shape += std::to_string(extent);
    }
    shapes.push_back(shape);
    offsets.push_back(block.offset);
    sizes.push_back(block.size);
  }
  file.create_groups("/layout");
  file.write_attribute("/layout", "num_params", static_cast<std::int64_t>(layout.size()));
  file.write_replicated_strings("/layout/names", names);
  file.write_replicated_strings("/layout/shapes", shapes);
  file.write_replicated_index("/layout/offsets", offsets);
  file.write_replicated_index("/layout/sizes", sizes);
}

/// The run's grid values on /summary, typed from the resolved config, for the sweep's index.
void write_summary_keys(io::ParallelH5File& file, const core::Config& config, const RunIdentity& identity) {
  file.create_groups("/summary");
  for (const auto& [key, text] : identity.assignments) {
    const core::KeySpec* spec = config.schema().find(key);
    if (spec != nullptr && spec->type == core::KeyType::integer)
      file.write_attribute("/summary", key, static_cast<std::int64_t>(config.get_int(key)));
    else if (spec != nullptr && spec->type == core::KeyType::real)
      file.write_attribute("/summary", key, config.get_double(key));
    else
      file.write_attribute("/summary", key, config.value_text(key));
  }
}

}  // namespace


void write_run_metadata(io::ParallelH5File& file, const RunSetup& run, const RunIdentity& identity,
                        const comm::Communicator& comm) {
  file.write_attribute("/", "format", kRunFormat);
  file.write_attribute("/", "schema_version", kRunSchemaVersion);
  file.write_attribute("/", "run_id", identity.id);
  file.write_attribute("/", "number", identity.number);
  file.write_attribute("/", "software", version_line());
  file.write_attribute("/", "git_revision", core::build::kGitRevision);
  file.write_attribute("/", "created", core::utc_now());
  file.write_attribute("/", "mpi_size", static_cast<std::int64_t>(comm.size()));
  file.write_attribute("/", "spec", identity.spec);
  file.write_attribute("/", "description", identity.description);
  std::vector<std::string> warnings;
  file.create_groups("/build");
  for (const auto& [label, value] : collect_build_info(warnings)) file.write_attribute("/build", label, value);
  file.create_groups("/config");
  file.write_attribute("/config", "yaml", run.config.to_yaml());
  file.write_attribute("/config", "canonical", identity.canonical);
  write_config_attributes(file, "/config", run.config);
  write_dataset_identity(file, run);
  write_layout(file, run.model->layout());
  write_summary_keys(file, run.config, identity);
}

std::string checkpoint_group(index step) { return "/checkpoints/step_" + std::to_string(step); }

void write_training_state(io::ParallelH5File& file, const std::string& group, const train::Checkpoint& state,
                          const std::string& kind, const comm::Communicator& comm) {
  file.create_groups(group);
  file.write_attribute(group, "kind", kind);
  file.write_attribute(group, "status", state.status);
  file.write_attribute(group, "step", static_cast<std::int64_t>(state.step));
  file.write_attribute(group, "epoch", static_cast<std::int64_t>(state.epoch));
  file.write_attribute(group, "seed", static_cast<std::int64_t>(state.seed));
  file.write_attribute(group, "train_loss", state.train_loss);
  file.write_attribute(group, "train_accuracy", state.train_accuracy);
  file.write_attribute(group, "test_loss", state.test_loss);
  file.write_attribute(group, "test_accuracy", state.test_accuracy);
  file.write_attribute(group, "written", core::utc_now());
  file.write_attribute(group, "mpi_size", static_cast<std::int64_t>(comm.size()));
  file.write_replicated(group + "/params", state.params);
  file.write_replicated(group + "/velocity", state.velocity);
  file.write_attribute(group + "/params", "units", "parameter (flat, in /layout order)");
  file.write_attribute(group + "/velocity", "units", "parameter (momentum buffer m, theta <- theta - lr m)");
  std::vector<double> history;
  for (const auto& evaluation : state.history) {
    const auto row = train::evaluation_row(evaluation);
    history.insert(history.end(), row.begin(), row.end());
  }
  file.write_replicated_matrix(group + "/history", static_cast<std::int64_t>(state.history.size()),
                               train::kEvaluationWidth, history);
  file.write_attribute(group + "/history", "columns", train::kEvaluationColumns);
}

train::Checkpoint read_training_state(const std::string& path, const std::string& group) {
  const io::H5File file = io::H5File::open_read(path);
  train::Checkpoint state;
  state.status = file.read_string(group + "@status");
  state.step = file.read_int(group + "@step");
  state.epoch = file.read_int(group + "@epoch");
  state.seed = static_cast<std::uint64_t>(file.read_int(group + "@seed"));
  state.train_loss = file.read_double(group + "@train_loss");
  state.train_accuracy = file.read_double(group + "@train_accuracy");
  state.test_loss = file.read_double(group + "@test_loss");
  state.test_accuracy = file.read_double(group + "@test_accuracy");
  state.params = file.read_vector(group + "/params");
  state.velocity = file.read_vector(group + "/velocity");
  const auto history = file.read_matrix(group + "/history");
  if (history.rows > 0 && history.cols != train::kEvaluationWidth)
    throw core::IoError(path, group + "/history has " + std::to_string(history.cols) + " columns, expected " +
                                  std::to_string(train::kEvaluationWidth));
  for (std::int64_t r = 0; r < history.rows; ++r)
    state.history.push_back(train::evaluation_from_row(history.values.data() + r * history.cols));
  return state;
}

void write_headline(io::ParallelH5File& file, const std::string& group,
                    const std::vector<std::pair<std::string, double>>& headline) {
  file.create_groups(group + "/headline");
  for (const auto& [name, value] : headline) file.write_attribute(group + "/headline", name, value);
}

io::Attributes read_headline(const std::string& path, const std::string& group) {
  return io::read_attributes(path, group + "/headline");
}

}  // namespace hesscov::apps
