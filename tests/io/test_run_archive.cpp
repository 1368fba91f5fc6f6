// A run killed (SIGKILL) in the middle of writing a big segment: the committed segments and the
// last view read back unharmed, and the next RunArchive of the run cleans up and can finish it.
// The writers run in forked children that initialise MPI as singletons; this process never
// initialises MPI, so forking is safe, and it checks the files with the plain serial C API.
#include <gtest/gtest.h>
#include <mpi.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "archive_writer.hpp"
#include "dump_expect.hpp"
#include "io/run_archive.hpp"
#include "scratch.hpp"

namespace hesscov::io {
namespace {

namespace fs = std::filesystem;

const Attributes kRunning = {{"run_id", std::string("crash")}, {"status", std::string("running")}};

/// Runs `body` in a child process with MPI initialised (a singleton world); the child exits with
/// body's status, or 100 when it threw. Returns the child's pid.
template <class Body>
pid_t spawn_mpi_child(Body body) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  MPI_Init(nullptr, nullptr);
  int status = 100;
  try {
    status = body();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "child: %s\n", error.what());
  }
  MPI_Finalize();
  ::_exit(status);
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void commit_segment(RunArchive& run, const testing::ArchiveContent& content, const std::string& segment) {
  AtomicFile file = run.begin_segment(segment);
  testing::write_segment(file.file(), content, segment);
  file.commit();
}

/// Commits meta and step-100, publishes a view, then writes 8 MB datasets into segment "big"
/// forever, touching `started` once the first is written.
int write_until_killed(const std::string& runs, const std::string& started) {
  const auto content = testing::sample_content();
  RunArchive run(runs, "crash", MPI_COMM_WORLD);
  commit_segment(run, content, "meta");
  commit_segment(run, content, "step-100");
  run.publish_view(kRunning);
  AtomicFile big = run.begin_segment("big");
  big.file().create_groups("/big");
  const std::vector<double> block(1 << 20, 0.5);
  for (long part = 0;; ++part) {
    big.file().write_replicated("/big/part_" + std::to_string(part), block);
    if (part == 0) std::ofstream(started) << "started";
  }
}

testing::Dump expected_view(const testing::ArchiveContent& content, const std::string& archive) {
  testing::Dump dump = testing::expected_dump(content, {"meta", "step-100"});
  for (const auto& [name, value] : kRunning)
    std::visit([&](const auto& v) { dump.attributes["/@" + name] = testing::attribute_values(v); }, value);
  dump.attributes["/@archive"] = testing::attribute_values(archive);
  return dump;
}

TEST(RunArchiveCrash, KilledWriterLeavesCommittedDataReadableAndIsCleanedUp) {
  const testing::Scratch scratch("crash");
  const std::string runs = scratch / "runs", started = scratch / "started";
  const pid_t writer = spawn_mpi_child([&] { return write_until_killed(runs, started); });
  const std::string big_tmp = runs + "/crash.partial/big.h5.tmp";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int early = 0;
  while (!(fs::exists(started) && fs::exists(big_tmp) && fs::file_size(big_tmp) > (16u << 20))) {
    ASSERT_EQ(::waitpid(writer, &early, WNOHANG), 0) << "the writer ended before it was killed";
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the writer never got going";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(::kill(writer, SIGKILL), 0);
  const int status = wait_for(writer);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // What was committed is intact; the half-written segment is only a .tmp nobody links to.
  const auto content = testing::sample_content();
  EXPECT_TRUE(fs::exists(big_tmp));
  EXPECT_FALSE(fs::exists(runs + "/crash.partial/big.h5"));
  testing::expect_same_dump(testing::dump_file(runs + "/crash.partial/meta.h5"),
                            testing::expected_dump(content, {"meta"}));
  testing::expect_same_dump(testing::dump_file(runs + "/crash.h5"), expected_view(content, "view"));

  // The next archive of the run removes the .tmp, keeps the segments, and can merge them.
  const pid_t resumer = spawn_mpi_child([&] {
    RunArchive run(runs, "crash", MPI_COMM_WORLD);
    if (fs::exists(big_tmp)) return 1;
    if (run.segments() != std::vector<std::string>{"meta", "step-100"}) return 2;
    run.finalize(kRunning);
    return 0;
  });
  const int resumed = wait_for(resumer);
  ASSERT_TRUE(WIFEXITED(resumed));
  EXPECT_EQ(WEXITSTATUS(resumed), 0);
  EXPECT_FALSE(fs::exists(runs + "/crash.partial"));
  testing::expect_same_dump(testing::dump_file(runs + "/crash.h5"), expected_view(content, "merged"));
}

}  // namespace
}  // namespace hesscov::io
