#include "trainer/progress_reporter.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace distsage {

ProgressReporter::ProgressReporter(std::FILE* out, bool interactive, int log_every,
                                   std::string prefix)
    : out_(out),
      interactive_(interactive),
      log_every_(std::max(1, log_every)),
      prefix_(std::move(prefix)) {}

void ProgressReporter::StartEpoch(int epoch, int64_t num_batches) {
  epoch_ = epoch;
  num_batches_ = num_batches;
}

void ProgressReporter::BatchDone(int64_t batches_done, double loss, double train_acc,
                                 double seeds_per_second) {
  if (interactive_) {
    constexpr int kWidth = 30;
    const int filled =
        num_batches_ > 0 ? static_cast<int>(kWidth * batches_done / num_batches_) : kWidth;
    absl::FPrintF(out_, "\r%sEpoch %d [%s%s] %d/%d | loss %.4f | %.0f seeds/s\x1b[K", prefix_,
                  epoch_, std::string(filled, '#'), std::string(kWidth - filled, '.'), batches_done,
                  num_batches_, loss, seeds_per_second);
    std::fflush(out_);
    bar_open_ = true;
  } else if (batches_done % log_every_ == 0) {
    absl::FPrintF(out_, "%sEpoch %d | step %d/%d | loss %.4f | train acc %.4f | %.0f seeds/s\n",
                  prefix_, epoch_, batches_done, num_batches_, loss, train_acc, seeds_per_second);
    std::fflush(out_);
  }
}

void ProgressReporter::Line(const std::string& text) {
  if (bar_open_) {
    std::fputs("\r\x1b[K", out_);
    bar_open_ = false;
  }
  absl::FPrintF(out_, "%s%s\n", prefix_, text);
  std::fflush(out_);
}

}  // namespace distsage
