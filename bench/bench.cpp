#include "bench/bench.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>

#include "bench/collect_bench.hpp"
#include "bench/command_line.hpp"
#include "bench/eig_bench.hpp"
#include "bench/io_bench.hpp"
#include "bench/product_bench.hpp"
#include "bench/scaling_bench.hpp"

namespace hesscov::bench {
namespace {

struct Benchmark {
  const char* name;
  const char* (*help)();
  int (*run)(const std::vector<std::string>&);
};

constexpr Benchmark kBenchmarks[] = {{"products", products_help, products_bench},
                                     {"eig", eig_help, eig_bench},
                                     {"scaling", scaling_help, scaling_bench},
                                     {"io", io_help, io_bench},
                                     {"collect", collect_help, collect_bench}};
constexpr const char* kSuites = "'products', 'eig', 'scaling', 'io' or 'collect'";

bool is_help(const std::string& word) { return word == "--help" || word == "-h" || word == "help"; }

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const bool root = rank == 0;
  if (!args.empty() && is_help(args[0])) {
    for (const auto& benchmark : kBenchmarks)
      if (root) std::printf("%s\n", benchmark.help());
    return 0;
  }
  try {
    if (args.empty()) throw UsageError{std::string("which benchmark? expected ") + kSuites};
    const auto* benchmark = std::find_if(std::begin(kBenchmarks), std::end(kBenchmarks),
                                         [&](const Benchmark& candidate) { return args[0] == candidate.name; });
    if (benchmark == std::end(kBenchmarks))
      throw UsageError{"unknown benchmark '" + args[0] + "': expected " + kSuites};
    const std::vector<std::string> words(args.begin() + 1, args.end());
    if (std::find(words.begin(), words.end(), "--help") != words.end()) {
      if (root) std::fputs(benchmark->help(), stdout);
      return 0;
    }
    return benchmark->run(words);
  } catch (const UsageError& error) {
    if (root) std::fprintf(stderr, "hesscov bench: %s\n(hesscov bench --help lists the options)\n", error.message.c_str());
    return 2;
  }
}

}  // namespace hesscov::bench
