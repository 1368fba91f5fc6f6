#include "train/checkpoint.hpp"

#include <unistd.h>

#include <filesystem>

#include "core/build_config.hpp"
#include "core/error.hpp"
#include "io/h5_file.hpp"

namespace hesscov::train {

std::vector<double> evaluation_row(const Evaluation& e) {
  return {static_cast<double>(e.step), static_cast<double>(e.epoch), e.learning_rate, e.train_loss, e.train_accuracy,
          e.test_loss, e.test_accuracy, e.seconds};
}

Evaluation evaluation_from_row(const double* row) {
  return {static_cast<index>(row[0]), static_cast<index>(row[1]), row[2], row[3], row[4], row[5], row[6], row[7]};
}

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    io::H5File file = io::H5File::create(temporary);
    file.write_attribute("format", std::string("hesscov-checkpoint-1"));
    file.write_attribute("software", std::string("hesscov ") + core::build::kVersion + " (git " +
                                         core::build::kGitRevision + ")");
    file.write_attribute("step", static_cast<std::int64_t>(checkpoint.step));
    file.write_attribute("epoch", static_cast<std::int64_t>(checkpoint.epoch));
    file.write_attribute("seed", static_cast<std::int64_t>(checkpoint.seed));
    file.write_attribute("status", checkpoint.status);
    file.write_attribute("config", checkpoint.config);
    file.write_attribute("train_loss", checkpoint.train_loss);
    file.write_attribute("train_accuracy", checkpoint.train_accuracy);
    file.write_attribute("test_loss", checkpoint.test_loss);
    file.write_attribute("test_accuracy", checkpoint.test_accuracy);
    file.write_vector("params", checkpoint.params);
    file.write_vector("velocity", checkpoint.velocity);
    file.write_index_vector("sample_indices", checkpoint.sample_indices);
    std::vector<double> history;  // [evaluations x kEvaluationWidth], row-major
    for (const auto& evaluation : checkpoint.history) {
      const auto row = evaluation_row(evaluation);
      history.insert(history.end(), row.begin(), row.end());
    }
    file.write_vector("history", history);
    file.write_attribute("history_columns", std::string(kEvaluationColumns));
    file.close();
  }
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) throw core::IoError(path, "cannot move the finished checkpoint into place: " + error.message());
}

Checkpoint read_checkpoint(const std::string& path) {
  const io::H5File file = io::H5File::open_read(path);
  if (!file.has_attribute("format") || file.read_string("format") != "hesscov-checkpoint-1")
    throw core::IoError(path, "not a hesscov checkpoint (attribute 'format' is missing or not hesscov-checkpoint-1)");
  Checkpoint checkpoint;
  checkpoint.step = file.read_int("step");
  checkpoint.epoch = file.read_int("epoch");
  checkpoint.seed = static_cast<std::uint64_t>(file.read_int("seed"));
  checkpoint.status = file.read_string("status");
  checkpoint.config = file.read_string("config");
  checkpoint.train_loss = file.read_double("train_loss");
  checkpoint.train_accuracy = file.read_double("train_accuracy");
  checkpoint.test_loss = file.read_double("test_loss");
  checkpoint.test_accuracy = file.read_double("test_accuracy");
  checkpoint.params = file.read_vector("params");
  checkpoint.velocity = file.read_vector("velocity");
  if (file.has_dataset("sample_indices")) checkpoint.sample_indices = file.read_index_vector("sample_indices");
  if (file.has_dataset("history")) {
    const auto history = file.read_vector("history");
    if (history.size() % kEvaluationWidth != 0)
      throw core::IoError(path, "/history does not hold rows of " + std::to_string(kEvaluationWidth) + " values");
    for (size_t at = 0; at < history.size(); at += kEvaluationWidth)
      checkpoint.history.push_back(evaluation_from_row(history.data() + at));
  }
  if (checkpoint.velocity.size() != checkpoint.params.size())
    throw core::IoError(path, "params and velocity have different lengths");
  return checkpoint;
}

}  // namespace hesscov::train
