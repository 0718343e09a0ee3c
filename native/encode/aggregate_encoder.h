// Encodes the in-kernel stats rows as one protobuf Aggregate (proto/batch.proto).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <linux/types.h>
#include "syscall_event.h"

// One row of the in-kernel stats table (BpfTracer::take_aggregate).
struct AggregateRow {
	aggregate_key key;
	aggregate_value value;
};

// start_ns and end_ns are relative to the trace start.
std::string encode_aggregate(const std::vector<AggregateRow> &rows, int64_t start_ns, int64_t end_ns,
                             uint64_t uncounted_calls, bool final);
