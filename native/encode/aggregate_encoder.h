// Encodes the in-kernel stats rows as one protobuf Aggregate (proto/batch.proto).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ebpf/bpf_tracer.h"

// start_ns and end_ns are relative to the trace start.
std::string encode_aggregate(const std::vector<AggregateRow> &rows, int64_t start_ns, int64_t end_ns,
                             uint64_t uncounted_calls, bool final);
