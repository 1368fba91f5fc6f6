#include "bench/io_bench.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "bench/command_line.hpp"
#include "bench/record.hpp"
#include "bench/timing.hpp"
#include "comm/communicator.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/collective.hpp"

namespace hesscov::bench {
namespace {

constexpr const char* kHelp =
    "usage: hesscov bench io [options]\n"
    "\n"
    "Write bandwidth of the archives by rank count: a [nev x n] eigenvector matrix (each rank its\n"
    "band of the n columns; one collective write) and a [T x k] trajectory (chunks of --chunk rows,\n"
    "each rank its share of the k columns as `hesscov fluct` records; and trajectory_one_writer:\n"
    "rank 0 all of them), each through a temporary file that is closed, fsync'ed\n"
    "and renamed into place like every HessCov archive, then removed. For each rank count r of\n"
    "--ranks the first r ranks write while the others wait; best and median of --repeat, GB/s =\n"
    "bytes / best seconds.\n"
    "\n"
    "options (--name value or --name=value):\n"
    "  --n N         parameters: columns of the eigenvector matrix (default 42200)\n"
    "  --nev K       eigenvectors: its rows (default 1000)\n"
    "  --steps T     trajectory rows (default 100000)\n"
    "  --k K         trajectory columns, the directions recorded (default 100)\n"
    "  --chunk C     trajectory rows per write (default 1000)\n"
    "  --ranks R1,R2 rank counts, each at most the ranks of the run (default 1, 2, 4, ... and all)\n"
    "  --repeat R    timed repetitions (default 3)\n"
    "  --dir DIR     where the files are written and removed (default results/bench)\n"
    "  --record PATH also write the record PATH (HDF5) and its .json twin\n"
    "  --json        print the record as one JSON object instead of the table\n"
    "\n"
    "examples:\n"
    "  mpirun -np 4 hesscov bench io --dir /scratch/$USER --record io.h5\n";

struct Options {
  index n = 42200, nev = 1000, steps = 100000, k = 100, chunk = 1000, repeat = 3;
  std::vector<index> ranks;
  std::string dir = "results/bench", record;
  bool json = false;
};

Options parse_options(const std::vector<std::string>& words, int world) {
  const auto parsed = parse_command_line(
      words, {.valued = {"--n", "--nev", "--steps", "--k", "--chunk", "--ranks", "--repeat", "--dir", "--record"},
              .flags = {"--json"}});
  Options options;
  options.n = parsed.positive("--n", options.n);
  options.nev = parsed.positive("--nev", options.nev);
  options.steps = parsed.positive("--steps", options.steps);
  options.k = parsed.positive("--k", options.k);
  options.chunk = parsed.positive("--chunk", options.chunk);
  options.repeat = parsed.positive("--repeat", options.repeat);
  options.ranks = rank_counts(parsed, world);
  options.dir = parsed.value("--dir").value_or(options.dir);
  options.record = parsed.value("--record").value_or("");
  options.json = parsed.flag("--json");
  return options;
}

/// This rank's columns [begin, begin + count) of `columns`, values that depend on the position only.
std::vector<double> band(index rows, comm::Range range, index columns) {
  std::vector<double> local(static_cast<size_t>(rows * range.size()));
  for (index i = 0; i < rows; ++i)
    for (index j = range.begin; j < range.end; ++j)
      local[static_cast<size_t>(i * range.size() + (j - range.begin))] = static_cast<double>(i * columns + j) * 1e-6;
  return local;
}

/// One atomic file written by `write` on `group`, then removed. Returns nothing; timed by the caller.
void write_file(const comm::Communicator& group, const std::string& path,
                const std::function<void(io::ParallelH5File&)>& write) {
  io::AtomicFile file = io::AtomicFile::create(path, group.get());
  write(file.file());
  file.commit();
  io::on_rank0(group.get(), path, [&] { std::filesystem::remove(path); });
}

/// The [T x k] trajectory written in chunks of rows: each rank its share of the columns, or
/// (`one_writer`) rank 0 all of them while the others take part in the collective calls with
/// nothing, which is possible because every rank holds the whole, replicated block.
Timing time_trajectory(const Options& options, const comm::Communicator& group, const std::string& path, bool one_writer) {
  const comm::Range directions = one_writer ? comm::Range{0, group.rank() == 0 ? options.k : 0}
                                            : comm::block_partition(options.k, group.rank(), group.size());
  const std::vector<double> chunk = band(options.chunk, directions, options.k);
  return time_collective(group, nullptr, options.repeat, [&] {
    write_file(group, path, [&](io::ParallelH5File& file) {
      file.create_matrix("/projections", options.steps, options.k, options.chunk);
      for (index first = 0; first < options.steps; first += options.chunk) {
        const index rows = std::min(options.chunk, options.steps - first);
        std::vector<double> part(chunk.begin(), chunk.begin() + rows * directions.size());
        file.write_block("/projections", first, rows, directions.begin, directions.size(), part);
      }
    });
    return 0.0;
  });
}

struct Writes {
  Timing eigenvectors, trajectory, trajectory_one_writer;
};

Writes time_writes(const Options& options, const comm::Communicator& group) {
  const std::string base = options.dir + "/hesscov-bench-io-" + std::to_string(group.size());
  const comm::Range columns = comm::block_partition(options.n, group.rank(), group.size());
  const std::vector<double> vectors = band(options.nev, columns, options.n);
  const Timing eigenvectors = time_collective(group, nullptr, options.repeat, [&] {
    write_file(group, base + "-eigenvectors.h5", [&](io::ParallelH5File& file) {
      file.write_column_slices("/vectors", options.nev, options.n, columns.begin, columns.size(), vectors);
    });
    return 0.0;
  });
  return {eigenvectors, time_trajectory(options, group, base + "-trajectory.h5", false),
          time_trajectory(options, group, base + "-trajectory.h5", true)};
}

RecordRow row(const std::string& dataset, index ranks, index rows, index columns, const Timing& timing) {
  const double bytes = 8.0 * static_cast<double>(rows) * static_cast<double>(columns);
  return {dataset + "_r" + std::to_string(ranks),
          {{"dataset", dataset},
           {"ranks", static_cast<std::int64_t>(ranks)},
           {"rows", static_cast<std::int64_t>(rows)},
           {"columns", static_cast<std::int64_t>(columns)},
           {"bytes", bytes},
           {"best_s", timing.best},
           {"median_s", timing.median},
           {"gbytes_per_s", bytes * 1e-9 / timing.best}}};
}

}  // namespace

const char* io_help() { return kHelp; }

int io_bench(const std::vector<std::string>& words) {
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const Options options = parse_options(words, world.size());
  io::on_rank0(world.get(), options.dir, [&] { std::filesystem::create_directories(options.dir); });
  std::vector<double> seconds(6 * options.ranks.size(), 0.0);  // best, median of the three files per rank count
  for (size_t i = 0; i < options.ranks.size(); ++i) {
    const bool member = world.rank() < options.ranks[i];
    const comm::Communicator group = world.split(member ? 0 : 1, world.rank());
    if (member) {
      const Writes writes = time_writes(options, group);
      const Timing* timings[3] = {&writes.eigenvectors, &writes.trajectory, &writes.trajectory_one_writer};
      for (size_t w = 0; w < 3; ++w) seconds[6 * i + 2 * w] = timings[w]->best, seconds[6 * i + 2 * w + 1] = timings[w]->median;
    }
    world.barrier();
  }
  HC_MPI(MPI_Bcast(seconds.data(), static_cast<int>(seconds.size()), MPI_DOUBLE, 0, world.get()));
  Record record{"io", bench_command("io", words),
                {{"n", static_cast<std::int64_t>(options.n)},
                 {"nev", static_cast<std::int64_t>(options.nev)},
                 {"steps", static_cast<std::int64_t>(options.steps)},
                 {"k", static_cast<std::int64_t>(options.k)},
                 {"chunk", static_cast<std::int64_t>(options.chunk)},
                 {"repeat", static_cast<std::int64_t>(options.repeat)},
                 {"dir", options.dir}},
                {}};
  const char* datasets[3] = {"eigenvectors", "trajectory", "trajectory_one_writer"};
  for (size_t w = 0; w < 3; ++w)
    for (size_t i = 0; i < options.ranks.size(); ++i)
      record.rows.push_back(row(datasets[w], options.ranks[i], w == 0 ? options.nev : options.steps, w == 0 ? options.n : options.k,
                                {seconds[6 * i + 2 * w], seconds[6 * i + 2 * w + 1], {}}));
  if (!options.record.empty()) write_record(record, options.record, world);
  const io::Attributes environment = record_environment(world);
  if (world.rank() == 0) {
    if (options.json) {
      std::printf("%s\n", record_json(record, environment).c_str());
    } else {
      std::printf("hesscov bench io: [%lld x %lld] eigenvectors (%.1f MB), [%lld x %lld] trajectory (%.1f MB) in %s\n\n",
                  static_cast<long long>(options.nev), static_cast<long long>(options.n),
                  8e-6 * static_cast<double>(options.nev * options.n), static_cast<long long>(options.steps),
                  static_cast<long long>(options.k), 8e-6 * static_cast<double>(options.steps * options.k),
                  options.dir.c_str());
      std::printf("%-22s %6s %10s %10s %8s\n", "dataset", "ranks", "best s", "median s", "GB/s");
      for (const auto& r : record.rows)
        std::printf("%-22s %6.0f %10.4g %10.4g %8.3f\n", text_of(r.values, "dataset").c_str(), number_of(r.values, "ranks"),
                    number_of(r.values, "best_s"), number_of(r.values, "median_s"), number_of(r.values, "gbytes_per_s"));
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace hesscov::bench
