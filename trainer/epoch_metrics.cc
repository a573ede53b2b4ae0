#include "trainer/epoch_metrics.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsage {

std::string EpochMetrics::ToLine() const {
  std::string line =
      absl::StrFormat("Epoch %d | loss %.4f | train acc %.4f", epoch, loss, train_acc);
  if (evaluated) absl::StrAppendFormat(&line, " | val acc %.4f | test acc %.4f", val_acc, test_acc);
  const PipelineFigures& p = pipeline;
  absl::StrAppendFormat(&line, " | %.2f s (compute %.2f", p.wall_seconds, p.compute_seconds);
  if (p.allreduce_seconds > 0)
    absl::StrAppendFormat(&line, " incl. all-reduce %.2f", p.allreduce_seconds);
  absl::StrAppendFormat(&line, ", waiting for loader %.2f; loader threads: sample %.2f, pull %.2f)",
                        p.wait_seconds, p.sample_seconds, p.pull_seconds);
  if (evaluated) absl::StrAppendFormat(&line, " | eval %.2f s", eval_seconds);
  return line;
}

MetricsCsvWriter::~MetricsCsvWriter() { std::fclose(file_); }

absl::StatusOr<std::unique_ptr<MetricsCsvWriter>> MetricsCsvWriter::Create(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_out: cannot create '", path, "': ", std::strerror(errno)));
  }
  std::unique_ptr<MetricsCsvWriter> writer(new MetricsCsvWriter(file, path));
  std::fputs(
      "epoch,loss,train_acc,val_acc,test_acc,epoch_s,sample_s,pull_s,compute_s,wait_s,eval_s,"
      "num_batches,num_seeds,num_input_nodes,allreduce_s\n",
      file);
  if (std::fflush(file) != 0) {
    return absl::InternalError(absl::StrCat("cannot write '", path, "'"));
  }
  return writer;
}

absl::Status MetricsCsvWriter::Append(const EpochMetrics& m) {
  const std::string val = m.evaluated ? absl::StrFormat("%.6f", m.val_acc) : "";
  const std::string test = m.evaluated ? absl::StrFormat("%.6f", m.test_acc) : "";
  const PipelineFigures& p = m.pipeline;
  absl::FPrintF(file_, "%d,%.6f,%.6f,%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%d,%d,%d,%.4f\n", m.epoch,
                m.loss, m.train_acc, val, test, p.wall_seconds, p.sample_seconds, p.pull_seconds,
                p.compute_seconds, p.wait_seconds, m.eval_seconds, p.num_batches, p.num_seeds,
                p.num_input_nodes, p.allreduce_seconds);
  if (std::fflush(file_) != 0) {
    return absl::InternalError(absl::StrCat("cannot write '", path_, "'"));
  }
  return absl::OkStatus();
}

}  // namespace distsage
