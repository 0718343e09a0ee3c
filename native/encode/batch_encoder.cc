#include "encode/batch_encoder.h"

#include <algorithm>
#include <cstring>

#include "encode/protobuf_writer.h"

using namespace protobuf_writer;

namespace {

using namespace batch_schema::batch_field;

auto as_unsigned = [](uint32_t v) { return uint64_t{v}; };
auto as_zigzag = [](int64_t v) { return zigzag(v); };

} // namespace

void BatchBuilder::add_common(const event_header &h, EventKind kind)
{
	if (kind_.empty()) {
		base_ts_ns_ = static_cast<int64_t>(h.ts_ns - start_ns_);
		last_ts_ns_ = h.ts_ns;
	}
	kind_.push_back(static_cast<uint32_t>(kind));
	ts_delta_.push_back(static_cast<int64_t>(h.ts_ns - last_ts_ns_));
	last_ts_ns_ = h.ts_ns;
	tid_.push_back(h.tid);
	nr_.push_back(static_cast<uint32_t>(h.nr));
	pid_.push_back(h.tgid);
}

uint32_t BatchBuilder::comm_index(const char *comm)
{
	if (last_comm_index_ != UINT32_MAX && memcmp(comm, last_comm_, TASK_COMM_LEN) == 0)
		return last_comm_index_;
	std::string name(comm, strnlen(comm, TASK_COMM_LEN));
	uint32_t index = 0;
	while (index < comms_.size() && comms_[index] != name) index++;
	if (index == comms_.size()) comms_.push_back(std::move(name));
	memcpy(last_comm_, comm, TASK_COMM_LEN);
	last_comm_index_ = index;
	return index;
}

void BatchBuilder::add_enter(const enter_event &e, EventKind kind)
{
	add_enter(e.h, e.comm, e.args, SYSCALL_ARG_COUNT, kind);
}

void BatchBuilder::add_enter(const event_header &h, const char *comm, const __u64 *args, int nargs, EventKind kind)
{
	add_common(h, kind);
	comm_index_.push_back(comm_index(comm));
	for (int i = 0; i < SYSCALL_ARG_COUNT; i++) args_[i].push_back(i < nargs ? static_cast<int64_t>(args[i]) : 0);
}

void BatchBuilder::add_lost(uint64_t ts_ns, uint64_t count)
{
	event_header h = {};
	h.ts_ns = ts_ns;
	add_common(h, EventKind::Lost);
	ret_.push_back(static_cast<int64_t>(count));
}

void BatchBuilder::add_exit(const exit_event &e)
{
	if (!kind_.empty() && kind_.back() == uint32_t(EventKind::Enter) && tid_.back() == e.h.tid &&
	    nr_.back() == uint32_t(e.h.nr) && e.h.ts_ns >= last_ts_ns_) {
		kind_.back() = uint32_t(EventKind::Call);
		duration_.push_back(int64_t(e.h.ts_ns - last_ts_ns_));
		ret_.push_back(e.ret);
	} else {
		add_common(e.h, EventKind::Exit);
		ret_.push_back(e.ret);
	}
}

void BatchBuilder::add_maps(uint32_t event, uint32_t pid, std::string maps)
{
	capture_bytes_ += maps.size();
	maps_event_.push_back(event);
	maps_pid_.push_back(pid);
	maps_text_.push_back(std::move(maps));
}

void BatchBuilder::add_capture(uint8_t arg, uint8_t kind, uint8_t flags, const void *data, uint32_t len)
{
	if (kind_.empty()) return;
	capture_event_.push_back(uint32_t(kind_.size() - 1));
	capture_arg_.push_back(arg);
	capture_kind_.push_back(kind);
	capture_flags_.push_back(flags);
	capture_data_.append(static_cast<const char *>(data), len);
	capture_ends_.push_back(uint32_t(capture_data_.size()));
	capture_bytes_ += len;
}

void BatchBuilder::mark_tampered(uint32_t how)
{
	if (kind_.empty()) return;
	tampered_event_.push_back(uint32_t(kind_.size() - 1));
	tampered_how_.push_back(how);
}

void BatchBuilder::add_child_return(const child_return_event &e)
{
	add_common(e.exit.h, EventKind::ChildReturn);
	ret_.push_back(e.exit.ret);
	event_comm_index_.push_back(comm_index(e.comm));
}

void BatchBuilder::add_signal(const event_header &h, const char *comm, const void *siginfo, uint32_t len, uint8_t flags)
{
	add_common(h, EventKind::Signal);
	event_comm_index_.push_back(comm_index(comm));
	add_capture(0, CAPTURE_KIND_SIGINFO, flags, siginfo, len);
}

void BatchBuilder::add_process_exit(const event_header &h, const char *comm, int wait_status)
{
	add_common(h, EventKind::ProcessExit);
	event_comm_index_.push_back(comm_index(comm));
	ret_.push_back(wait_status);
}

std::string BatchBuilder::finish(uint64_t flush_ns, uint64_t lost_events)
{
	std::string out;
	out.reserve(kind_.size() * 40 + 64);
	put_uint(out, kBaseTsNs, zigzag(base_ts_ns_));
	put_uint(out, kFlushTsNs, zigzag(static_cast<int64_t>(flush_ns - start_ns_)));
	put_uint(out, kLostEvents, lost_events);
	put_packed(out, kKind, kind_, as_unsigned);
	put_packed(out, kTsDeltaNs, ts_delta_, as_zigzag);
	put_packed(out, kTid, tid_, as_unsigned);
	put_packed(out, kNr, nr_, as_unsigned);
	put_packed(out, kPid, pid_, as_unsigned);
	put_packed(out, kCommIndex, comm_index_, as_unsigned);
	static constexpr uint32_t kArgs[SYSCALL_ARG_COUNT] = {kArg0, kArg1, kArg2, kArg3, kArg4, kArg5};
	for (int i = 0; i < SYSCALL_ARG_COUNT; i++) put_packed(out, kArgs[i], args_[i], as_zigzag);
	put_packed(out, kRet, ret_, as_zigzag);
	put_packed(out, kDurationNs, duration_, as_zigzag);
	for (const std::string &comm : comms_) put_bytes(out, kComms, comm);
	put_packed(out, kCaptureEvent, capture_event_, as_unsigned);
	put_packed(out, kCaptureArg, capture_arg_, as_unsigned);
	put_packed(out, kCaptureKind, capture_kind_, as_unsigned);
	put_packed(out, kCaptureFlags, capture_flags_, as_unsigned);
	for (size_t i = 0, start = 0; i < capture_ends_.size(); start = capture_ends_[i++])
		put_bytes(out, kCaptureData, capture_data_.data() + start, capture_ends_[i] - start);
	put_packed(out, kMapsEvent, maps_event_, as_unsigned);
	put_packed(out, kMapsPid, maps_pid_, as_unsigned);
	for (const std::string &maps : maps_text_) put_bytes(out, kMaps, maps);
	put_packed(out, kTamperedEvent, tampered_event_, as_unsigned);
	put_packed(out, kTamperedHow, tampered_how_, as_unsigned);
	put_packed(out, kEventCommIndex, event_comm_index_, as_unsigned);

	for (auto *column : {&kind_, &tid_, &nr_, &pid_, &comm_index_, &capture_event_, &capture_arg_, &capture_kind_,
	                     &capture_flags_, &capture_ends_, &maps_event_, &maps_pid_, &tampered_event_, &tampered_how_,
	                     &event_comm_index_})
		column->clear();
	maps_text_.clear();
	batches_finished_++;
	capture_data_.clear();
	capture_bytes_ = 0;
	for (auto &column : args_) column.clear();
	ts_delta_.clear();
	ret_.clear();
	duration_.clear();
	comms_.clear();
	last_comm_index_ = UINT32_MAX;
	return out;
}
