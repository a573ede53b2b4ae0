// load_bench: a bounded load test of running graph_servers (issue 12, item
// 9). --clients trainers' worth of clients, --threads each, run the call mix
// of bench/load_mix.h for --seconds; every answer is checked. Prints, as
// Markdown, per kind of call: count, errors, wrong answers, throughput and
// p50/p90/p99/max latency, and the servers' resident memory (VmRSS of
// --server_pids) sampled while the load runs. --json writes the raw figures.
//
//   load_bench --part_config data/G.json --ip_config ip_config.txt
//       --server_pids 123,124 [--clients 8] [--threads 8] [--seconds 60]
//       [--warmup_s 15] [--json load.json]
//
// Exits 1 when a call failed or answered wrongly.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/load_mix.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, part_config, "", "partition config JSON (the servers' --part_config)");
ABSL_FLAG(std::string, ip_config, "", "ip_config.txt of the running graph_servers");
ABSL_FLAG(int, num_servers, 1, "servers per machine in ip_config");
ABSL_FLAG(std::string, server_pids, "",
          "process IDs of the servers (on this machine), whose VmRSS is sampled");
ABSL_FLAG(int, clients, 8, "clients, each with its own connections (a trainer process each)");
ABSL_FLAG(int, threads, 8, "threads per client");
ABSL_FLAG(double, seconds, 60, "how long the load runs");
ABSL_FLAG(double, warmup_s, 15,
          "RSS growth is measured from this many seconds into the run to its end");
ABSL_FLAG(double, rss_interval_s, 1, "how often the servers' VmRSS is sampled");
ABSL_FLAG(int, sample_seeds, 512, "seeds per SampleNeighbors call");
ABSL_FLAG(std::string, fanouts, "10,25", "fan-outs, used in turn by the sampling calls");
ABSL_FLAG(int, pull_rows, 1024, "random node IDs per PullFeatures and KV Pull call");
ABSL_FLAG(int, push_rows, 256, "random node IDs per KV Push call");
ABSL_FLAG(std::string, weights, "4,3,2,1",
          "relative frequency of SampleNeighbors, PullFeatures, KV Pull, KV Push");
ABSL_FLAG(std::string, json, "", "also write the raw figures to this JSON file");

namespace distsage {
namespace {

// VmRSS of process `pid` in MiB (-1 when it cannot be read: the process is gone).
double ResidentMiB(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")),
                           &kib)) {
        return kib / 1024.0;
      }
    }
  }
  return -1;
}

struct RssSample {
  double at_s;              // Seconds since the load started.
  std::vector<double> mib;  // By server.
};

template <typename T>
bool ParseList(const std::string& text, const char* flag, std::vector<T>* values) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    T value;
    if (!absl::SimpleAtoi(item, &value)) {
      std::fprintf(stderr, "--%s: '%s' is not an integer\n", flag, std::string(item).c_str());
      return false;
    }
    values->push_back(value);
  }
  return true;
}

int Run() {
  absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(absl::GetFlag(FLAGS_part_config));
  if (!config.ok()) {
    std::fprintf(stderr, "--part_config: %s\n", config.status().ToString().c_str());
    return 2;
  }
  LoadMixOptions options;
  options.clients = absl::GetFlag(FLAGS_clients);
  options.threads_per_client = absl::GetFlag(FLAGS_threads);
  options.duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  options.sample_seeds = absl::GetFlag(FLAGS_sample_seeds);
  options.pull_rows = absl::GetFlag(FLAGS_pull_rows);
  options.push_rows = absl::GetFlag(FLAGS_push_rows);
  options.fanouts.clear();
  std::vector<int> weights, pids;
  if (!ParseList(absl::GetFlag(FLAGS_fanouts), "fanouts", &options.fanouts) ||
      !ParseList(absl::GetFlag(FLAGS_weights), "weights", &weights) ||
      !ParseList(absl::GetFlag(FLAGS_server_pids), "server_pids", &pids)) {
    return 2;
  }
  if (weights.size() != kNumLoadCalls) {
    std::fprintf(stderr, "--weights needs %d numbers, got %zu\n", kNumLoadCalls, weights.size());
    return 2;
  }
  std::copy(weights.begin(), weights.end(), options.weights.begin());
  GraphClientOptions client_options;
  client_options.num_servers = absl::GetFlag(FLAGS_num_servers);
  const std::string ip_config = absl::GetFlag(FLAGS_ip_config);
  const ConnectLoadClient connect = [&] {
    return GraphClient::ConnectFromIpConfig(ip_config, *config, client_options);
  };

  absl::StatusOr<std::unique_ptr<GraphClient>> idle_client = connect();
  if (!idle_client.ok()) {
    std::fprintf(stderr, "%s\n", idle_client.status().ToString().c_str());
    return 1;
  }
  const absl::Time read_start = absl::Now();
  absl::StatusOr<LoadReference> reference = ReadLoadReference(**idle_client);
  if (!reference.ok()) {
    std::fprintf(stderr, "reading the reference answers: %s\n",
                 reference.status().ToString().c_str());
    return 1;
  }
  idle_client->reset();
  std::fprintf(stderr, "read the reference answers (%lld nodes) in %s\n",
               static_cast<long long>(reference->num_nodes),
               absl::FormatDuration(absl::Now() - read_start).c_str());

  // The servers' RSS: once before, then every interval while the load runs.
  std::vector<RssSample> rss;
  auto sample_rss = [&](double at_s) {
    RssSample sample{at_s, {}};
    for (const int pid : pids) sample.mib.push_back(ResidentMiB(pid));
    rss.push_back(sample);
  };
  sample_rss(0);
  absl::Notification load_done;
  const absl::Time start = absl::Now();
  std::thread sampler([&] {
    const absl::Duration interval = absl::Seconds(absl::GetFlag(FLAGS_rss_interval_s));
    while (!load_done.WaitForNotificationWithTimeout(interval)) {
      sample_rss(absl::ToDoubleSeconds(absl::Now() - start));
    }
  });
  absl::StatusOr<LoadMixResult> result = RunLoadMix(connect, *reference, options);
  load_done.Notify();
  sampler.join();
  sample_rss(absl::ToDoubleSeconds(absl::Now() - start));
  if (!result.ok()) {
    std::fprintf(stderr, "the load did not run: %s\n", result.status().ToString().c_str());
    return 1;
  }

  const double seconds = absl::ToDoubleSeconds(result->elapsed);
  std::printf(
      "%d clients x %d threads for %.1f s; %d seeds per sample (fan-outs %s), %d rows per "
      "pull, %d per push; mix %s\n\n",
      options.clients, options.threads_per_client, seconds, options.sample_seeds,
      absl::GetFlag(FLAGS_fanouts).c_str(), options.pull_rows, options.push_rows,
      absl::GetFlag(FLAGS_weights).c_str());
  std::printf(
      "| call | count | errors | wrong answers | calls/s | items/s | p50 ms | p90 ms | "
      "p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  nlohmann::json json;
  json["clients"] = options.clients;
  json["threads_per_client"] = options.threads_per_client;
  json["seconds"] = seconds;
  json["sample_seeds"] = options.sample_seeds;
  json["fanouts"] = options.fanouts;
  json["pull_rows"] = options.pull_rows;
  json["push_rows"] = options.push_rows;
  json["weights"] = weights;
  for (int k = 0; k < kNumLoadCalls; ++k) {
    const LoadCallStats& stats = result->calls[k];
    const char* name = LoadCallName(static_cast<LoadCall>(k));
    std::printf("| %s | %lld | %lld | %lld | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", name,
                static_cast<long long>(stats.calls), static_cast<long long>(stats.errors),
                static_cast<long long>(stats.wrong_answers), stats.calls / seconds,
                stats.items / seconds, stats.LatencyMicros(0.5) / 1e3,
                stats.LatencyMicros(0.9) / 1e3, stats.LatencyMicros(0.99) / 1e3,
                stats.LatencyMicros(1) / 1e3);
    json["calls"][name] = {{"count", stats.calls},
                           {"errors", stats.errors},
                           {"wrong_answers", stats.wrong_answers},
                           {"items", stats.items},
                           {"p50_us", stats.LatencyMicros(0.5)},
                           {"p90_us", stats.LatencyMicros(0.9)},
                           {"p99_us", stats.LatencyMicros(0.99)},
                           {"max_us", stats.LatencyMicros(1)},
                           {"first_error", stats.first_error},
                           {"first_wrong_answer", stats.first_wrong_answer}};
  }
  std::printf(
      "\nItems: sampled edges, or rows pulled or pushed. Latency is the client call "
      "(one RPC to each of the %d partitions' servers, in parallel).\n",
      config->num_parts());
  std::printf("KV rows pushed, checked after the run: %lld wrong.\n",
              static_cast<long long>(result->pushed_rows_wrong));
  json["pushed_rows_wrong"] = result->pushed_rows_wrong;

  if (!pids.empty()) {
    // The samples nearest the end of warm-up, and the last one.
    const double warmup = absl::GetFlag(FLAGS_warmup_s);
    const RssSample* at_warmup = &rss.front();
    for (const RssSample& sample : rss) {
      if (sample.at_s <= warmup) at_warmup = &sample;
    }
    std::printf("\nServer RSS (VmRSS, MiB) while loaded:\n\n| s |");
    for (size_t s = 0; s < pids.size(); ++s) std::printf(" server %zu |", s);
    std::printf("\n| --- |");
    for (size_t s = 0; s < pids.size(); ++s) std::printf(" --- |");
    std::printf("\n");
    // About 12 rows, whatever the length of the run.
    const size_t every = std::max<size_t>(1, rss.size() / 12);
    for (size_t i = 0; i < rss.size(); ++i) {
      if (i % every != 0 && i + 1 != rss.size()) continue;
      std::printf("| %.0f |", rss[i].at_s);
      for (const double mib : rss[i].mib) std::printf(" %.0f |", mib);
      std::printf("\n");
    }
    // Growth shows as a second half (after warm-up) above the first; noise
    // from answers in flight does not.
    std::vector<const RssSample*> warm;
    for (const RssSample& sample : rss) {
      if (sample.at_s >= at_warmup->at_s) warm.push_back(&sample);
    }
    const size_t half = warm.size() / 2;
    std::printf(
        "\n| server | before load | at %.0f s (warm) | max after | mean, 1st half after | "
        "mean, 2nd half after | end |\n| --- | --- | --- | --- | --- | --- | --- |\n",
        at_warmup->at_s);
    for (size_t s = 0; s < pids.size(); ++s) {
      double peak = 0, first = 0, second = 0;
      for (size_t i = 0; i < warm.size(); ++i) {
        peak = std::max(peak, warm[i]->mib[s]);
        (i < half ? first : second) += warm[i]->mib[s];
      }
      first /= std::max<size_t>(1, half);
      second /= std::max<size_t>(1, warm.size() - half);
      std::printf("| %zu (pid %d) | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", s, pids[s],
                  rss.front().mib[s], at_warmup->mib[s], peak, first, second, rss.back().mib[s]);
      json["rss_summary"].push_back({{"before", rss.front().mib[s]},
                                     {"warm", at_warmup->mib[s]},
                                     {"max_after_warmup", peak},
                                     {"mean_first_half", first},
                                     {"mean_second_half", second},
                                     {"end", rss.back().mib[s]}});
    }
    for (const RssSample& sample : rss) {
      json["rss_mib"].push_back({{"at_s", sample.at_s}, {"servers", sample.mib}});
    }
    json["warmup_s"] = warmup;
  }
  std::fflush(stdout);
  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) std::ofstream(json_path) << json.dump(1) << "\n";

  for (int k = 0; k < kNumLoadCalls; ++k) {
    const LoadCallStats& stats = result->calls[k];
    const char* name = LoadCallName(static_cast<LoadCall>(k));
    if (stats.errors > 0)
      std::fprintf(stderr, "%s: first error: %s\n", name, stats.first_error.c_str());
    if (stats.wrong_answers > 0) {
      std::fprintf(stderr, "%s: first wrong answer: %s\n", name, stats.first_wrong_answer.c_str());
    }
  }
  if (result->pushed_rows_wrong > 0) {
    std::fprintf(stderr, "KV Push: %s\n", result->first_pushed_row_wrong.c_str());
  }
  return result->total_errors() + result->total_wrong_answers() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace distsage

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Bounded load test of running graph_servers: latency per call, errors, wrong answers and "
      "the servers' RSS over time.");
  absl::ParseCommandLine(argc, argv);
  return distsage::Run();
}
