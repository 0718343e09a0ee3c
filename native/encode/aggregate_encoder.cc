#include "encode/aggregate_encoder.h"

#include "generated/batch_schema.h"

#include <cstring>

#include "encode/protobuf_writer.h"

using namespace protobuf_writer;

namespace {

using namespace batch_schema::aggregate_field;
using namespace batch_schema::aggregate_row_field;

auto as_unsigned = [](uint32_t v) { return uint64_t{v}; };

std::string encode_row(const AggregateRow &row)
{
	const aggregate_value &v = row.value;
	// Grouped by comm, the key holds it; otherwise the row remembers its first caller's.
	const char *comm = row.key.comm[0] ? row.key.comm : v.comm;
	std::string out;
	put_uint(out, kGroup, row.key.group);
	put_uint(out, kNr, row.key.nr);
	put_bytes(out, kComm, std::string(comm, strnlen(comm, TASK_COMM_LEN)));
	put_uint(out, kCalls, v.calls);
	put_uint(out, kErrors, v.errors);
	put_uint(out, kTotalNs, zigzag(int64_t(v.total_ns)));
	put_uint(out, kMinNs, zigzag(int64_t(v.calls ? v.min_ns : 0)));
	put_uint(out, kMaxNs, zigzag(int64_t(v.max_ns)));
	std::vector<uint32_t> buckets, counts;
	for (uint32_t i = 0; i < LATENCY_BUCKETS; i++) {
		if (!v.buckets[i]) continue;
		buckets.push_back(i);
		counts.push_back(v.buckets[i]);
	}
	put_packed(out, kBucket, buckets, as_unsigned);
	put_packed(out, kBucketCount, counts, as_unsigned);
	return out;
}

} // namespace

std::string encode_aggregate(const std::vector<AggregateRow> &rows, int64_t start_ns, int64_t end_ns,
                             uint64_t uncounted_calls, bool final)
{
	std::string out;
	put_uint(out, kStartNs, zigzag(start_ns));
	put_uint(out, kEndNs, zigzag(end_ns));
	put_uint(out, kUncountedCalls, uncounted_calls);
	for (const AggregateRow &row : rows) put_bytes(out, kRows, encode_row(row));
	put_uint(out, kFinal, final ? 1 : 0);
	return out;
}
