#include "apps/sweep_run.hpp"

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <optional>

#include "apps/analyses.hpp"
#include "apps/measure.hpp"
#include "apps/run_setup.hpp"
#include "apps/valley_path.hpp"
#include "io/h5_file.hpp"
#include "io/run_archive.hpp"
#include "sweep/stop_signal.hpp"
#include "train/train_config.hpp"

namespace hesscov::apps {
namespace {

constexpr const char* kStepPrefix = "step-";

/// k of a training-state segment "step-<k>"; nullopt for any other segment ("step-<k>.align", ...).
std::optional<index> state_step(const std::string& segment) {
  if (segment.rfind(kStepPrefix, 0) != 0) return std::nullopt;
  const std::string digits = segment.substr(std::string(kStepPrefix).size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::nullopt;
  return static_cast<index>(std::stoll(digits));
}

std::string state_segment(index step) { return kStepPrefix + std::to_string(step); }

/// The executor of one run: its archive, data, model, trainer and plan, and the loop over the plan.
class SweepRun {
 public:
  SweepRun(const core::Config& config, const RunIdentity& identity, const std::string& runs_dir,
           const comm::Communicator& group, const core::Logger& log)
      : identity_(identity), group_(group), log_(log), archive_(runs_dir, identity.id, group.get()),
        setup_(prepare_run(config, group, log)),
        trainer_(make_trainer(setup_, group, log, settings())),
        plan_(measure_plan(setup_.config, trainer_.steps_per_epoch(), trainer_.total_steps())) {}

  [[nodiscard]] bool merged() const { return archive_.kind() == io::RunFileKind::merged; }

  RunOutcome execute() {
    ensure_metadata();
    train::Checkpoint state = latest_state();
    publish("running");
    try {
      for (const index checkpoint : plan_.checkpoints) {
        if (checkpoint < state.step) continue;
        if (checkpoint > state.step) {
          state = trainer_.run(std::move(state), setup_.config.to_yaml(), checkpoint);
          if (state.status == "interrupted") return interrupt(state);
          if (state.status.rfind("diverged", 0) == 0) return finish(state, "diverged");
        }
        keep_state(state, "checkpoint");
        if (plan_.analyses_at(checkpoint)) analyse(state);
      }
      if (setup_.config.get_bool("valley.project")) valley();
    } catch (const core::Interrupted& stop) {
      log_.info(std::string("stopped: ") + stop.what());
      publish("interrupted");
      return RunOutcome::interrupted;
    }
    return finish(state, "checkpoint");
  }

 private:
  train::TrainSettings settings() const {
    train::TrainSettings settings = train::train_settings(setup_.config, setup_.dataset.count, setup_.seed);
    settings.checkpoint_dir.clear();  // the archive keeps the states, not loose checkpoint files
    settings.should_stop = [this](index) { return sweep::stop_agreed(group_); };
    return settings;
  }

  StopRequest stop_request() const {
    return [this] { return sweep::stop_agreed(group_); };
  }

  void ensure_metadata() {
    if (archive_.has_segment("meta")) {
      const io::H5File meta = io::H5File::open_read(archive_.segment_path("meta"));
      if (meta.read_string("config@canonical") != identity_.canonical)
        throw core::IoError(archive_.segment_path("meta"),
                            "was written for another config than run " + identity_.id +
                                " now has (its /config@canonical differs): move the run's files away to redo it");
      return;
    }
    io::AtomicFile meta = archive_.begin_segment("meta");
    write_run_metadata(meta.file(), setup_, identity_, group_);
    meta.commit();
  }

  /// The newest committed training state, or the starting point.
  train::Checkpoint latest_state() {
    std::optional<index> latest;
    for (const auto& segment : archive_.segments())
      if (const auto step = state_step(segment); step && (!latest || *step > *latest)) latest = step;
    if (!latest) return starting_point(setup_, log_);
    train::Checkpoint state = read_training_state(archive_.segment_path(state_segment(*latest)), checkpoint_group(*latest));
    if (static_cast<index>(state.params.size()) != setup_.model->num_params())
      throw core::IoError(archive_.segment_path(state_segment(*latest)), "holds the parameters of another model");
    state.sample_indices = setup_.dataset.indices;
    state.config = setup_.config.to_yaml();
    log_.info("resuming " + identity_.id + " from its state at step " + std::to_string(state.step));
    return state;
  }

  void keep_state(const train::Checkpoint& state, const std::string& kind) {
    if (archive_.has_segment(state_segment(state.step))) return;
    io::AtomicFile segment = archive_.begin_segment(state_segment(state.step));
    write_training_state(segment.file(), checkpoint_group(state.step), state, kind, group_);
    segment.commit();
    drop_superseded(state.step);
    publish("running");
  }

  /// States kept at stop requests before `step` are replaced by the planned one at `step`, so an
  /// interrupted run ends with the same checkpoints as one that was never stopped.
  void drop_superseded(index step) {
    for (const auto& segment : archive_.segments()) {
      const auto at = state_step(segment);
      if (at && *at < step && std::find(plan_.checkpoints.begin(), plan_.checkpoints.end(), *at) == plan_.checkpoints.end())
        archive_.remove_segment(segment);
    }
  }

  void analyse(const train::Checkpoint& state) {
    for (const auto& name : plan_.analyses) {
      const std::string segment_name = state_segment(state.step) + "." + name;
      if (archive_.has_segment(segment_name)) continue;
      log_.info("step " + std::to_string(state.step) + ": " + name);
      io::AtomicFile segment = archive_.begin_segment(segment_name);
      const std::string group = checkpoint_group(state.step) + "/" + name;
      const Headline headline = find_analysis(name)(segment.file(), group, setup_, state, group_, log_, stop_request());
      write_headline(segment.file(), group, headline);
      segment.commit();
      publish("running");
    }
  }

  /// The projected path through the measure points (apps/valley_path.hpp), one segment.
  void valley() {
    if (archive_.has_segment("valley")) return;
    std::vector<train::Checkpoint> states;
    for (const index step : plan_.analysis_steps)
      states.push_back(read_training_state(archive_.segment_path(state_segment(step)), checkpoint_group(step)));
    const auto advance = [this](const train::Checkpoint& from, index step) {
      train::Checkpoint state = trainer_.run(from, setup_.config.to_yaml(), step);
      if (state.status == "interrupted") throw core::Interrupted("the bisection of the valley path was interrupted");
      return state;
    };
    const ValleySettings settings = valley_settings(setup_.config);
    const ValleyPath path = valley_path(setup_, group_, log_, states, advance, settings, stop_request());
    io::AtomicFile segment = archive_.begin_segment("valley");
    write_valley_path(segment.file(), "/valley", path, settings);
    index connected = 0;
    for (const auto& link : path.links) connected += link.connected ? 1 : 0;
    write_headline(segment.file(), "/valley",
                   {{"valley.links", static_cast<double>(path.links.size())},
                    {"valley.connected", static_cast<double>(connected)},
                    {"valley.bisections", static_cast<double>(path.bisections)}});
    segment.commit();
    publish("running");
  }

  RunOutcome interrupt(const train::Checkpoint& state) {
    keep_state(state, "interrupt");
    publish("interrupted");
    log_.info("interrupted at step " + std::to_string(state.step) + "; the state is kept, re-run to resume");
    return RunOutcome::interrupted;
  }

  /// The run's summary segment (final metrics and the headline numbers of the last measure point),
  /// then the merge.
  RunOutcome finish(const train::Checkpoint& state, const std::string& kind) {
    if (kind != "checkpoint") keep_state(state, kind);
    io::AtomicFile result = archive_.begin_segment("result");
    auto& file = result.file();
    file.create_groups("/summary");
    file.write_attribute("/summary", "steps", static_cast<std::int64_t>(state.step));
    file.write_attribute("/summary", "epochs", static_cast<std::int64_t>(state.epoch));
    file.write_attribute("/summary", "train_loss", state.train_loss);
    file.write_attribute("/summary", "train_accuracy", state.train_accuracy);
    file.write_attribute("/summary", "test_loss", state.test_loss);
    file.write_attribute("/summary", "test_accuracy", state.test_accuracy);
    if (archive_.has_segment("valley"))
      io::write_attributes(file, "/summary", read_headline(archive_.segment_path("valley"), "/valley"));
    if (!plan_.analysis_steps.empty() && kind == "checkpoint") {
      const index last = plan_.analysis_steps.back();
      for (const auto& name : plan_.analyses)
        io::write_attributes(file, "/summary",
                             read_headline(archive_.segment_path(state_segment(last) + "." + name),
                                           checkpoint_group(last) + "/" + name));
    }
    result.commit();
    const std::string status = kind == "checkpoint" ? "completed" : state.status;
    const std::size_t segments = archive_.segments().size();
    const double merge_start = log_.elapsed();
    archive_.finalize(root_attributes(status));
    log_.info("run " + identity_.id + " " + status + " at step " + std::to_string(state.step) + "; merged " +
              std::to_string(segments) + " segments into " + archive_.run_file() + " (" +
              core::format_bytes(static_cast<double>(std::filesystem::file_size(archive_.run_file()))) + ") in " +
              core::format_seconds(log_.elapsed() - merge_start));
    return kind == "checkpoint" ? RunOutcome::completed : RunOutcome::diverged;
  }

  io::Attributes root_attributes(const std::string& status) const {
    return {{"status", status}, {"updated", core::utc_now()}, {"mpi_size", static_cast<std::int64_t>(group_.size())}};
  }

  void publish(const std::string& status) { archive_.publish_view(root_attributes(status)); }

  const RunIdentity& identity_;
  const comm::Communicator& group_;
  const core::Logger& log_;
  io::RunArchive archive_;
  RunSetup setup_;
  train::Trainer trainer_;
  MeasurePlan plan_;
};

}  // namespace

RunOutcome execute_sweep_run(const core::Config& config, const RunIdentity& identity, const std::string& runs_dir,
                             const comm::Communicator& group, const core::Logger& log) {
  {
    const io::RunArchive archive(runs_dir, identity.id, group.get());
    if (archive.kind() == io::RunFileKind::merged) return RunOutcome::skipped;
  }
  SweepRun run(config, identity, runs_dir, group, log);
  return run.execute();
}

}  // namespace hesscov::apps
