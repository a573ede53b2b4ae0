#include "server/protobuf_log.h"

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "google/protobuf/stubs/logging.h"

namespace distsage {
namespace {

struct LogWindow {
  absl::Mutex mu;
  absl::Time start ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  int logged ABSL_GUARDED_BY(mu) = 0;
  int suppressed ABSL_GUARDED_BY(mu) = 0;
};

LogWindow& Window() {
  static LogWindow* window = new LogWindow();
  return *window;
}

void RateLimitedHandler(google::protobuf::LogLevel level, const char* filename, int line,
                        const std::string& message) {
  int suppressed_before = 0;
  if (level != google::protobuf::LOGLEVEL_FATAL) {
    LogWindow& window = Window();
    absl::MutexLock lock(&window.mu);
    const absl::Time now = absl::Now();
    if (now - window.start >= absl::Minutes(1)) {
      window.start = now;
      window.logged = 0;
    }
    if (window.logged >= kProtobufLogLinesPerMinute) {
      ++window.suppressed;
      return;
    }
    ++window.logged;
    suppressed_before = window.suppressed;
    window.suppressed = 0;
  }
  const google::LogSeverity severity = level == google::protobuf::LOGLEVEL_INFO ? google::INFO
                                       : level == google::protobuf::LOGLEVEL_WARNING
                                           ? google::WARNING
                                           : google::ERROR;
  google::LogMessage(filename, line, severity).stream()
      << "libprotobuf: " << message
      << (suppressed_before > 0 ? " (" + std::to_string(suppressed_before) +
                                      " earlier libprotobuf lines left out: at most " +
                                      std::to_string(kProtobufLogLinesPerMinute) + " a minute)"
                                : "");
}

}  // namespace

void RateLimitProtobufLog() { google::protobuf::SetLogHandler(&RateLimitedHandler); }

}  // namespace distsage
