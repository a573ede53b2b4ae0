// libprotobuf's own log lines in a server process. Protobuf logs an ERROR
// line for every message it fails to parse for a reason it checks itself
// (a string field that is not UTF-8, say), so any client could grow a
// server's log without bound by sending such requests. Those lines go to
// glog instead, at most a few a minute; the request itself is answered with
// an error that says what is wrong (server/raw_call.h).
#ifndef DISTSAGE_SERVER_PROTOBUF_LOG_H_
#define DISTSAGE_SERVER_PROTOBUF_LOG_H_

namespace distsage {

// At most this many libprotobuf lines are logged per minute; the number left
// out is logged with the next line that is.
inline constexpr int kProtobufLogLinesPerMinute = 5;

// Routes libprotobuf's log through glog with the rate limit above (FATAL
// lines always pass). Idempotent; call before serving.
void RateLimitProtobufLog();

}  // namespace distsage

#endif  // DISTSAGE_SERVER_PROTOBUF_LOG_H_
