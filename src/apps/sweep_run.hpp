#pragma once
// One run of a sweep, from its config to its crash-safe archive (docs/archive-format.md): train,
// keep the training state at every checkpoint of the measure plan, run the analyses at the
// measure points, each piece committed as a segment of the run's archive; then merge. A run that
// finds committed segments resumes from them: from its latest training state, with the analyses
// still missing. A stop request (sweep/stop_signal.hpp) ends it at the next safe point with its
// state kept and the run marked "interrupted".
#include <string>

#include "apps/run_records.hpp"
#include "comm/communicator.hpp"
#include "core/config.hpp"
#include "core/log.hpp"

namespace hesscov::apps {

enum class RunOutcome {
  completed,    ///< merged with status "completed"
  diverged,     ///< merged with status "diverged: ..." (training stopped on a non-finite value)
  interrupted,  ///< stopped by a stop request; the view says "interrupted"; re-run to resume
  skipped,      ///< already merged by an earlier session
};

/// Runs `config` (a sweep run's resolved config) into <runs_dir>/<identity.id>.h5. Collective over
/// `group`; progress on the group's rank 0 through `log`.
RunOutcome execute_sweep_run(const core::Config& config, const RunIdentity& identity, const std::string& runs_dir,
                             const comm::Communicator& group, const core::Logger& log);

}  // namespace hesscov::apps
