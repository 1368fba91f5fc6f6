// `hesscov sweep SPEC.yaml` and `hesscov index DIR`: a grid of runs times seeds (sweep/), split
// over groups of MPI ranks that take runs from a shared queue, each run written crash-safely to
// its own archive (apps/sweep_run.hpp); re-running the same command resumes; the index archive
// links the runs (docs/usage.md "Sweeps", docs/archive-format.md).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/build_info.hpp"
#include "apps/commands.hpp"
#include "apps/eig_stage.hpp"
#include "apps/measure.hpp"
#include "apps/sweep_resources.hpp"
#include "apps/sweep_run.hpp"
#include "comm/communicator.hpp"
#include "io/attributes.hpp"
#include "io/atomic_file.hpp"
#include "io/index_archive.hpp"
#include "sweep/expansion.hpp"
#include "sweep/run_queue.hpp"
#include "sweep/stop_signal.hpp"

namespace hesscov::apps {
namespace {
namespace fs = std::filesystem;

constexpr const char* kSweepUsage =
    "usage: hesscov sweep SPEC.yaml [key=value ...] [--group-size N] [--array-index I --array-count N]\n"
    "                    [--dry-run] [PETSc/SLEPc options]\n"
    "\n"
    "Expands the spec (a base config, a grid of values, seeds) into runs and runs them on groups of\n"
    "group_size ranks; each run writes <output>/runs/<id>.h5 and rank 0 writes <output>/index.h5.\n"
    "Re-running the same command resumes: completed runs are skipped, the others continue from\n"
    "their last kept state. SIGTERM, SIGUSR1 or SIGINT stop every group at its next safe point\n"
    "(state kept, exit code 75).\n"
    "\n"
    "  key=value         override a key of the base config for every run (before the grid)\n"
    "  --group-size N    ranks per run (default: the spec's group_size); must divide the ranks\n"
    "  --array-index I   with --array-count N: run only the I-th of N contiguous chunks of the runs\n"
    "                    (a Slurm job array; the index is left to `hesscov index`)\n"
    "  --dry-run         print the runs, their state in the output folder and what they need\n"
    "\n"
    "usage: hesscov index DIR     (re)build DIR/index.h5 from DIR/runs/*.h5\n";

/// Exit code of a sweep that was stopped by a signal and can be resumed (sysexits' EX_TEMPFAIL).
constexpr int kInterruptedExit = 75;

struct SweepOptions {
  std::string spec;
  std::vector<std::string> overrides;
  std::int64_t group_size = -1;
  std::int64_t array_index = -1, array_count = -1;
  bool dry_run = false;
};

std::int64_t option_number(const std::vector<std::string>& args, size_t& i, std::int64_t minimum) {
  const std::string& option = args[i];
  if (i + 1 >= args.size()) throw core::ConfigError("<command line>", option, "", "a number after it");
  const std::string& text = args[++i];
  std::size_t used = 0;
  std::int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < minimum)
    throw core::ConfigError("<command line>", option, text, "an integer >= " + std::to_string(minimum));
  return value;
}

SweepOptions parse_options(const std::vector<std::string>& args) {
  SweepOptions options;
  options.spec = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--group-size") options.group_size = option_number(args, i, 1);
    else if (arg == "--array-index") options.array_index = option_number(args, i, 0);
    else if (arg == "--array-count") options.array_count = option_number(args, i, 1);
    else if (arg == "--dry-run") options.dry_run = true;
    else if (arg.starts_with("--")) throw core::ConfigError("<command line>", arg, "", "one of the options of hesscov sweep --help");
    else if (arg.starts_with("-")) ++i;  // a PETSc/SLEPc option and its value: PETSc reads them itself
    else options.overrides.push_back(arg);
  }
  if ((options.array_index < 0) != (options.array_count < 0))
    throw core::ConfigError("<command line>", "--array-index", "", "--array-index and --array-count together");
  if (options.array_index >= options.array_count && options.array_count > 0)
    throw core::ConfigError("<command line>", "--array-index", std::to_string(options.array_index),
                            "an index below --array-count " + std::to_string(options.array_count));
  return options;
}

core::Schema sweep_schema() {
  core::Schema schema = job_schema();
  add_align_keys(schema);
  return schema;
}

/// The runs this invocation owns: all of them, or its chunk of a job array.
std::vector<const sweep::SweepRun*> owned_runs(const std::vector<sweep::SweepRun>& runs, const SweepOptions& options) {
  comm::Range range{0, static_cast<index>(runs.size())};
  if (options.array_count > 0)
    range = comm::block_partition(static_cast<index>(runs.size()), static_cast<int>(options.array_index),
                                  static_cast<int>(options.array_count));
  std::vector<const sweep::SweepRun*> owned;
  for (index i = range.begin; i < range.end; ++i) owned.push_back(&runs[static_cast<size_t>(i)]);
  return owned;
}

RunIdentity identity_of(const sweep::SweepRun& run, const sweep::SweepSpec& spec) {
  return {run.id, static_cast<std::int64_t>(run.number), run.canonical_text, run.assignments, spec.path(),
          spec.description()};
}

std::string assignments_text(const sweep::SweepRun& run) {
  std::string text;
  for (const auto& [key, value] : run.assignments) text += (text.empty() ? "" : " ") + key + "=" + value;
  return text.empty() ? "(base)" : text;
}

/// A run's state in the output folder, read without changing anything.
std::string stored_state(const std::string& runs_dir, const std::string& id) {
  const std::string file = runs_dir + "/" + id + ".h5";
  if (!fs::exists(file)) return fs::exists(runs_dir + "/" + id + ".partial") ? "started" : "new";
  try {
    std::string archive, status;
    for (const auto& [name, value] : io::read_attributes(file, "/")) {
      if (name == "archive") archive = std::get<std::string>(value);
      if (name == "status") status = std::get<std::string>(value);
    }
    return archive == "merged" ? status : status + " (resumable)";
  } catch (const std::exception&) {
    return "unreadable";
  }
}

void print_dry_run(const std::vector<const sweep::SweepRun*>& runs, const sweep::SweepSpec& spec,
                   std::int64_t group_size) {
  const std::string runs_dir = spec.output() + "/runs";
  std::printf("sweep %s: %zu runs, groups of %lld ranks, output %s\n", spec.path().c_str(), runs.size(),
              static_cast<long long>(group_size), spec.output().c_str());
  std::printf("%5s  %-16s  %-22s  %s\n", "run", "id", "state", "values");
  for (const auto* run : runs)
    std::printf("%5zu  %-16s  %-22s  %s\n", run->number, run->id.c_str(), stored_state(runs_dir, run->id).c_str(),
                assignments_text(*run).c_str());
  std::printf("\nper run, on %lld rank(s): eigenbasis memory per rank = (ncv + nev) x n / ranks x 8 bytes;\n"
              "products per measure point from ncv (the least a solve takes) to 6 nev (docs/performance.md)\n",
              static_cast<long long>(group_size));
  std::printf("%5s  %9s  %8s  %8s  %9s  %6s  %6s  %14s  %12s  %17s\n", "run", "params", "block n", "samples", "steps",
              "points", "ncv", "eigenbasis/rank", "k x k/rank", "products/point");
  ResourceEstimator estimator;
  for (const auto* run : runs) {
    const RunResources r = estimator.estimate(run->config, static_cast<int>(group_size));
    std::printf("%5zu  %9lld  %8lld  %8lld  %9lld  %6lld  %6lld  %14s  %12s  %8lld-%-8lld\n", run->number,
                static_cast<long long>(r.params), static_cast<long long>(r.block), static_cast<long long>(r.samples),
                static_cast<long long>(r.steps), static_cast<long long>(r.points), static_cast<long long>(r.ncv),
                core::format_bytes(r.basis_bytes).c_str(), core::format_bytes(r.dense_bytes).c_str(),
                static_cast<long long>(r.products_low), static_cast<long long>(r.products_high));
  }
}

/// The spec as the sweep ran it, beside its runs (for `hesscov index DIR` and for readers).
void save_spec_copy(const sweep::SweepSpec& spec) {
  const std::string path = spec.output() + "/spec.yaml";
  {
    std::ofstream out(path + ".tmp");
    out << spec.text();
    if (!out) throw core::IoError(path + ".tmp", "cannot write the copy of the sweep spec");
  }
  io::durable_rename(path + ".tmp", path);
}

io::Attributes index_attributes(const std::string& sweep_dir) {
  std::ifstream in(sweep_dir + "/spec.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {{"spec", text}, {"software", version_line()}};
}

void report_index(const io::IndexReport& report, const std::string& dir, const core::Logger& log) {
  log.info("index " + dir + "/index.h5: " + std::to_string(report.runs) + " runs (" + std::to_string(report.merged) +
           " finished, " + std::to_string(report.views) + " in progress)");
  for (size_t i = 0; i < report.unreadable.size(); ++i)
    log.info("  left out " + report.unreadable[i] + ": " + (i < report.reasons.size() ? report.reasons[i] : ""));
}

/// The ETA of the sweep from this group's pace, with `left` runs not yet handed out.
std::string sweep_eta(double seconds, index done, index left, index groups) {
  if (done == 0) return "unknown";
  return core::format_seconds(seconds / static_cast<double>(done) * static_cast<double>(left) /
                              static_cast<double>(groups));
}

struct GroupTally {
  index completed = 0, diverged = 0, skipped = 0, interrupted = 0;
};

/// One group's loop: take the next run, execute it, until none is left or a stop is requested.
GroupTally run_group(const std::vector<const sweep::SweepRun*>& runs, const sweep::SweepSpec& spec,
                     const comm::Communicator& group, sweep::RunQueue& queue, index groups, int group_number,
                     const core::Logger& log) {
  GroupTally tally;
  const std::string runs_dir = spec.output() + "/runs";
  index worked = 0;
  while (!sweep::stop_agreed(group)) {
    const index position = queue.next(group);
    if (position >= static_cast<index>(runs.size())) break;
    const sweep::SweepRun& run = *runs[static_cast<size_t>(position)];
    const core::Logger run_log(group.rank(), "[group " + std::to_string(group_number) + " run " + std::to_string(run.number) + "] ");
    const double start = log.elapsed();
    run_log.info("run " + std::to_string(position + 1) + "/" + std::to_string(runs.size()) + " " + run.id + ": " +
                 assignments_text(run));
    const RunOutcome outcome = execute_sweep_run(run.config, identity_of(run, spec), runs_dir, group, run_log);
    if (outcome == RunOutcome::skipped) {
      ++tally.skipped;
      run_log.info("already finished: skipped");
      continue;
    }
    ++(outcome == RunOutcome::completed ? tally.completed
       : outcome == RunOutcome::diverged ? tally.diverged : tally.interrupted);
    if (outcome == RunOutcome::interrupted) break;
    ++worked;
    const index left = std::max<index>(static_cast<index>(runs.size()) - position - 1, 0);
    run_log.info("done in " + core::format_seconds(log.elapsed() - start) + "; sweep elapsed " +
                 core::format_seconds(log.elapsed()) + ", ETA " + sweep_eta(log.elapsed(), worked, left, groups));
  }
  return tally;
}

index sum_over(const comm::Communicator& world, const comm::Communicator& group, index value) {
  return world.allreduce_sum(group.rank() == 0 ? value : 0);  // one count per group
}

int run_sweep(const SweepOptions& options) {
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const core::Logger log(world.rank());
  const core::Schema schema = sweep_schema();
  const sweep::SweepSpec spec = sweep::load_sweep_spec(options.spec, schema, options.overrides);
  const std::vector<sweep::SweepRun> runs = sweep::expand(spec, schema);
  for (const auto& run : runs) check_measure_config(run.config);  // before any work
  const std::int64_t group_size = options.group_size > 0 ? options.group_size : spec.group_size();
  const auto owned = owned_runs(runs, options);
  if (options.dry_run) {  // planning, often on a login node: any number of ranks will do
    if (world.rank() == 0) print_dry_run(owned, spec, group_size);
    return 0;
  }
  if (world.size() % group_size != 0)
    throw core::ConfigError(options.group_size > 0 ? "<command line>" : spec.path(),
                            options.group_size > 0 ? "--group-size" : "group_size", std::to_string(group_size),
                            "a divisor of the " + std::to_string(world.size()) + " MPI ranks");
  sweep::install_stop_handlers();
  if (world.rank() == 0) save_spec_copy(spec);
  const int group_number = world.rank() / static_cast<int>(group_size);
  const index groups = world.size() / group_size;
  const comm::Communicator group = world.split(group_number, world.rank());
  log.info("sweep " + spec.path() + ": " + std::to_string(owned.size()) + " of " + std::to_string(runs.size()) +
           " runs, " + std::to_string(groups) + " group(s) of " + std::to_string(group_size) + " rank(s), output " +
           spec.output());
  GroupTally tally;
  {
    sweep::RunQueue queue(world, static_cast<index>(owned.size()));
    tally = run_group(owned, spec, group, queue, groups, group_number, log);
  }  // the queue's window is freed collectively, once every group has left its loop
  const index interrupted = sum_over(world, group, tally.interrupted);
  log.info("sweep: " + std::to_string(sum_over(world, group, tally.completed)) + " completed, " +
           std::to_string(sum_over(world, group, tally.diverged)) + " diverged, " +
           std::to_string(sum_over(world, group, tally.skipped)) + " already done, " + std::to_string(interrupted) +
           " interrupted, in " + core::format_seconds(log.elapsed()));
  if (world.rank() == 0 && options.array_count < 0)
    report_index(io::build_index(spec.output(), index_attributes(spec.output())), spec.output(), log);
  if (sweep::stop_agreed(world) || interrupted > 0) {
    log.info("stopped by signal " + std::to_string(sweep::stop_signal_number()) +
             ": run the same command again to resume");
    return kInterruptedExit;
  }
  return 0;
}

}  // namespace

int sweep_job(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kSweepUsage, stdout);
    return 0;
  }
  if (args.empty() || args[0].starts_with("-") || args[0].find('=') != std::string::npos) {
    std::fputs(kSweepUsage, stderr);
    return 2;
  }
  return run_sweep(parse_options(args));
}

int index_job(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].starts_with("-")) {
    std::fputs("usage: hesscov index DIR     (re)build DIR/index.h5 from the run files DIR/runs/*.h5\n",
               args.size() == 1 && args[0] == "--help" ? stdout : stderr);
    return args.size() == 1 && args[0] == "--help" ? 0 : 2;
  }
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const core::Logger log(world.rank());
  if (!fs::is_directory(args[0] + "/runs"))
    throw core::IoError(args[0], "is not a sweep folder (it has no runs/ folder)");
  if (world.rank() == 0) report_index(io::build_index(args[0], index_attributes(args[0])), args[0], log);
  return 0;
}

}  // namespace hesscov::apps
