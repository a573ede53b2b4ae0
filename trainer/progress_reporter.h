// What a person watching training sees on stderr: on a terminal, a progress
// bar per epoch redrawn in place (batches done, loss, seeds/s); otherwise (a
// log file, a test) a plain line every `log_every` batches. Epoch summaries
// always go out as their own line.
#ifndef DISTSAGE_TRAINER_PROGRESS_REPORTER_H_
#define DISTSAGE_TRAINER_PROGRESS_REPORTER_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace distsage {

class ProgressReporter {
 public:
  // `interactive`: draw a bar (use when `out` is a TTY). `prefix` starts
  // every line (e.g. "[rank 1] " when several trainers share a log).
  ProgressReporter(std::FILE* out, bool interactive, int log_every, std::string prefix = "");

  void StartEpoch(int epoch, int64_t num_batches);
  // After batch `batches_done` (1-based) of the current epoch.
  void BatchDone(int64_t batches_done, double loss, double train_acc, double seeds_per_second);
  // A whole line (e.g. an epoch summary); ends any bar first.
  void Line(const std::string& text);

 private:
  std::FILE* out_;
  bool interactive_;
  int log_every_;
  std::string prefix_;
  int epoch_ = 0;
  int64_t num_batches_ = 0;
  bool bar_open_ = false;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_PROGRESS_REPORTER_H_
