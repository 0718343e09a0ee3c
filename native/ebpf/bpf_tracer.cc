#include "ebpf/bpf_tracer.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <csignal>
#include <ctime>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ebpf/kernel_features.h"
#include "native_error.h"
#include "syscall_trace.skel.h"

namespace {

// libbpf reports through a global print callback; collect its messages for the attempt
// in progress so a failure can say what the verifier or loader said.
std::mutex log_mutex;
std::string *log_sink = nullptr;
bool log_info = false;

int collect_libbpf_message(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !log_info) || !log_sink) return 0;
	va_list measure;
	va_copy(measure, args);
	int length = vsnprintf(nullptr, 0, format, measure);
	va_end(measure);
	if (length <= 0 || log_sink->size() > 256 * 1024) return 0;
	std::string message(size_t(length) + 1, '\0');
	vsnprintf(message.data(), message.size(), format, args);
	message.pop_back();
	*log_sink += message;
	return 0;
}

struct LogCapture {
	LogCapture(std::string &sink, bool info) : lock(log_mutex)
	{
		log_sink = &sink;
		log_info = info;
		libbpf_set_print(collect_libbpf_message);
	}
	~LogCapture() { log_sink = nullptr; }
	std::lock_guard<std::mutex> lock;
};

// The last few lines of the verifier's log if libbpf printed one (they say what it
// rejected), else of libbpf's own messages; joined by `separator`.
std::string tail_lines(const std::string &text, int lines, const char *separator = " ")
{
	size_t pos = text.find("-- END PROG LOAD LOG --");
	if (pos == std::string::npos) pos = text.size();
	while (pos > 0 && text[pos - 1] == '\n') pos--;
	size_t end = pos;
	while (lines-- > 0 && pos != std::string::npos && pos > 0) pos = text.rfind('\n', pos - 1);
	std::string tail = text.substr(pos == std::string::npos ? 0 : pos + 1, end - (pos == std::string::npos ? 0 : pos + 1));
	for (size_t at = 0; (at = tail.find('\n', at)) != std::string::npos; at += strlen(separator))
		tail.replace(at, 1, separator);
	return tail;
}

bool path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

// Classic tracepoints are found through tracefs, which may not be mounted.
void ensure_tracefs()
{
	if (path_exists("/sys/kernel/tracing/events")) return;
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr);
}

struct ModePrograms {
	bpf_program *sys_enter, *sys_exit, *task_fork, *task_exit;
};

ModePrograms programs_of(syscall_trace *skel, AttachMode mode)
{
	auto &p = skel->progs;
	switch (mode) {
	case AttachMode::TpBtf: return {p.sys_enter_tp_btf, p.sys_exit_tp_btf, p.task_fork_tp_btf, p.task_exit_tp_btf};
	case AttachMode::RawTp: return {p.sys_enter_raw_tp, p.sys_exit_raw_tp, p.task_fork_raw_tp, p.task_exit_raw_tp};
	case AttachMode::Tracepoint:
		return {p.sys_enter_tracepoint, p.sys_exit_tracepoint, p.task_fork_tracepoint, p.task_exit_tracepoint};
	}
	return {};
}

// The programs wake the consumer each time a CPU has put this many more bytes into the ring:
// an eighth of the ring shared among the CPUs (so a ring fills only after wakeups), but at
// least 4 KiB (a wakeup is an interrupt on the traced program's CPU) and at most 256 KiB.
// A power of two, as the programs test it. The drain thread's timer collects what waits.
uint64_t wakeup_bytes_per_cpu(uint64_t ring_bytes)
{
	const uint64_t cpus = uint64_t(std::max(1, libbpf_num_possible_cpus()));
	const uint64_t share = std::clamp<uint64_t>(ring_bytes / 8 / cpus, 4096, 256 * 1024);
	uint64_t bytes = 4096;
	while (bytes * 2 <= share) bytes *= 2;
	return bytes;
}

std::string errno_text(int err) { return std::string(strerror(err)); }

// Kernels without task storage for tracing programs: the maps of what a task keeps from a
// call's entry to its exit become hashes by tid (bpf/task_state.bpf.h: task_state()),
// preallocated, since older kernels' tracing programs may not allocate; the one this trace
// does not use gets a single entry.
void use_task_hashes(syscall_trace *skel, bool saved_calls_used, bool call_starts_used)
{
	for (auto [map, used] : {std::pair{skel->maps.saved_calls, saved_calls_used}, {skel->maps.call_starts, call_starts_used}}) {
		bpf_map__set_type(map, BPF_MAP_TYPE_HASH);
		bpf_map__set_map_flags(map, 0);
		bpf_map__set_max_entries(map, used ? TASK_STATE_TABLE_ENTRIES : 1);
	}
}

// What libbpf said of a failed load, in a few words: which program the verifier rejected or
// which map the kernel refused, else libbpf's last message.
std::string load_failure_summary(const std::string &log)
{
	for (const char *marker : {"': BPF program load failed", "': failed to create"}) {
		size_t end = log.find(marker);
		if (end == std::string::npos) continue;
		size_t start = log.rfind('\'', end - 1);
		if (start == std::string::npos) continue;
		std::string name = log.substr(start + 1, end - start - 1);
		return marker[3] == 'B' ? "the kernel's verifier rejected " + name : "the kernel refused map " + name;
	}
	return tail_lines(log, 1);
}

// The verifier's statistics of a loaded program (log level 4): instructions processed and,
// where the kernel says it, the time taken.
std::string verifier_stats(const char *log)
{
	std::string text(log);
	std::string stats;
	size_t at = text.find("processed ");
	if (at != std::string::npos) stats = text.substr(at + 10, text.find(' ', at + 10) - at - 10) + " insns";
	at = text.find("verification time ");
	if (at != std::string::npos) stats += ", " + text.substr(at + 18, text.find(' ', at + 18) - at - 18) + " us";
	return stats.empty() ? "no statistics" : stats;
}

} // namespace

const char *attach_mode_name(AttachMode mode)
{
	switch (mode) {
	case AttachMode::TpBtf: return "tp_btf";
	case AttachMode::RawTp: return "raw_tp";
	case AttachMode::Tracepoint: return "tracepoint";
	}
	return "?";
}

std::optional<AttachMode> attach_mode_from_name(const std::string &name)
{
	for (AttachMode m : {AttachMode::TpBtf, AttachMode::RawTp, AttachMode::Tracepoint})
		if (name == attach_mode_name(m)) return m;
	return std::nullopt;
}

BpfTracer::BpfTracer(const TracerConfig &config)
{
	clock_gettime(CLOCK_MONOTONIC, &began_);
	if (!path_exists("/sys/kernel/btf/vmlinux"))
		throw NativeError(NativeErrorKind::ErrorNoBtf,
		                  "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing): the eBPF backend needs CONFIG_DEBUG_INFO_BTF",
		                  ENOENT);
	if (!kernel_features().ring_buffer)
		throw NativeError(NativeErrorKind::ErrorNoRingBuffer,
		                  "the kernel has no BPF ring buffer: the eBPF backend needs Linux 5.8 or later", ENOTSUP);

	std::vector<AttachMode> modes;
	if (config.forced_mode) modes.push_back(*config.forced_mode);
	else if (config.aggregate) modes = {AttachMode::TpBtf}; // the counting programs are tp_btf only
	else modes = {AttachMode::TpBtf, AttachMode::RawTp, AttachMode::Tracepoint};
	if (config.aggregate && config.forced_mode && *config.forced_mode != AttachMode::TpBtf)
		throw NativeError("in-kernel aggregation runs on tp_btf only", EINVAL);

	std::string first_failure, others;
	int last_err = 0;
	for (AttachMode mode : modes) {
		std::string why;
		if (try_mode(config, mode, why)) {
			mode_ = mode;
			return;
		}
		last_err = errno;
		const std::string failure = std::string(attach_mode_name(mode)) + ": " + why;
		log_ += failure + "\n";
		if (first_failure.empty()) first_failure = failure;
		else others += "\n" + failure;
		// EPERM is a missing capability; EACCES comes from the verifier and is worth a fallback.
		if (last_err == EPERM) break; // no flavour will do better
	}
	// One line says why; the verifier's last words and the other flavours' failures are for -v.
	const std::string detail = first_verifier_tail_ + others;
	if (last_err == EPERM)
		throw NativeError(NativeErrorKind::ErrorNoBpfPermission,
		                  "no permission to load BPF programs (needs root, or CAP_BPF and CAP_PERFMON): " + first_failure,
		                  last_err, detail);
	throw NativeError(NativeErrorKind::ErrorBpfLoad, "cannot load the BPF programs: " + first_failure,
	                  last_err ? last_err : EINVAL, detail);
}

bool BpfTracer::try_mode(const TracerConfig &config, AttachMode mode, std::string &why)
{
	std::string attempt_log;
	LogCapture capture(attempt_log, config.verbose);
	auto fail = [&](const std::string &what, int err) {
		why = what + ": " + errno_text(err);
		if (what == "load") why = load_failure_summary(attempt_log) + ": " + errno_text(err);
		if (first_verifier_tail_.empty()) first_verifier_tail_ = tail_lines(attempt_log, 12, "\n");
		log_ += attempt_log;
		detach();
		errno = err;
		return false;
	};

	if (mode == AttachMode::Tracepoint) ensure_tracefs();
	skel_ = syscall_trace__open();
	if (!skel_) return fail("open", errno);

	const KernelFeatures &features = kernel_features();
	auto *ro = skel_->rodata;
	ro->has_task_btf = features.task_btf;
	ro->has_task_storage = features.task_storage;
	ro->has_task_pt_regs = features.task_pt_regs;
	ro->tracer_tgid = static_cast<__u32>(getpid());
	ro->trace_all = config.trace_all;
	ro->filter_syscalls = config.filter_syscalls;
	for (uint32_t nr : config.syscalls)
		if (nr < SYSCALL_BITMAP_WORDS * 64) ro->syscall_bitmap[nr / 64] |= 1ULL << (nr % 64);
	for (uint32_t nr : config.short_arg_syscalls)
		if (nr < SYSCALL_BITMAP_WORDS * 64) ro->short_args_bitmap[nr / 64] |= 1ULL << (nr % 64);
	if (!config.comm.empty()) {
		ro->filter_comm = true;
		char comm[TASK_COMM_LEN] = {};
		strncpy(comm, config.comm.c_str(), TASK_COMM_LEN - 1);
		memcpy((void *)ro->comm_filter, comm, sizeof(comm));
	}
	if (!config.captures.empty() && !config.aggregate) {
		ro->capture_enabled = true;
		memcpy((void *)ro->capture_table, config.captures.data(), sizeof(ro->capture_table));
		for (const syscall_capture &entry : config.captures)
			if (entry.when & CAPTURE_INLINE_BYTES)
				ro->inline_bytes = std::max<__u32>(ro->inline_bytes, (entry.rules[0].max_bytes + 7) & ~7U);
	}
	if (config.stack_frames && !config.aggregate) {
		ro->stack_enabled = true;
		ro->stack_frames = std::min<uint32_t>(config.stack_frames, STACK_MAX_FRAMES);
	} else {
		bpf_map__set_max_entries(skel_->maps.maps_read, 1);
	}
	ro->aggregate_by = config.group_by;
	ro->failures_only = config.failures_only;
	ro->filter_cgroup = config.cgroup_id != 0;
	ro->cgroup_id = config.cgroup_id;
	// Each mode gets memory only for the maps it uses.
	const uint64_t ring_bytes = config.aggregate ? uint64_t(sysconf(_SC_PAGESIZE)) : config.ring_bytes;
	ro->wakeup_bytes = wakeup_bytes_per_cpu(ring_bytes);
	ro->report_task_exits = !config.aggregate;
	bpf_map__set_max_entries(skel_->maps.events, static_cast<__u32>(ring_bytes));
	const bool hash_rows = config.aggregate && config.group_by != AGGREGATE_BY_SYSCALL;
	const bool cpu_rows = config.aggregate && config.group_by == AGGREGATE_BY_SYSCALL;
	for (bpf_map *table : {skel_->maps.stats0, skel_->maps.stats1})
		if (!hash_rows) bpf_map__set_max_entries(table, 1);
	if (!cpu_rows) bpf_map__set_max_entries(skel_->maps.syscall_stats, 1);
	by_syscall_ = cpu_rows;
	if (!features.task_storage) use_task_hashes(skel_, ro->capture_enabled, config.aggregate);

	// Load only this flavour; the exit hook when a target set exists or task exits are streamed,
	// the fork hook only with a target set.
	bpf_program *prog;
	bpf_object__for_each_program(prog, skel_->obj) bpf_program__set_autoload(prog, false);
	ModePrograms wanted = programs_of(skel_, mode);
	std::vector<bpf_program *> to_attach = {wanted.sys_enter, wanted.sys_exit};
	// Aggregation: call_switched_out moves the entry of a call that leaves its CPU to the task.
	if (config.aggregate)
		to_attach = {skel_->progs.sys_enter_aggregate, skel_->progs.sys_exit_aggregate, skel_->progs.call_switched_out};
	// Without task storage, task_exited() also removes an ended thread's entries.
	if (!config.trace_all || !config.aggregate || !features.task_storage) to_attach.push_back(wanted.task_exit);
	if (!config.trace_all && config.follow_children) to_attach.push_back(wanted.task_fork);
	// Signal deliveries as strace shows them, when streaming (tp_btf only: the other flavours
	// are fallbacks for kernels without BTF, where the trace shows calls alone).
	// signal_generate adds the signals the kernel discards as ignored, which strace also shows.
	if (!config.aggregate && mode == AttachMode::TpBtf) {
		to_attach.push_back(skel_->progs.signal_delivered);
		to_attach.push_back(skel_->progs.signal_ignored);
	}
	for (bpf_program *p : to_attach) bpf_program__set_autoload(p, true);
	// -v: the verifier's statistics of each program (a few lines each).
	std::vector<std::vector<char>> stats_logs;
	if (config.verbose) {
		stats_logs.reserve(to_attach.size());
		for (bpf_program *p : to_attach) {
			stats_logs.emplace_back(64 * 1024, '\0');
			bpf_program__set_log_buf(p, stats_logs.back().data(), stats_logs.back().size());
			bpf_program__set_log_level(p, 4);
		}
	}

	// The verifier gives up with EAGAIN when a signal arrives while it works (a profiler's
	// SIGPROF every millisecond is enough), so signals wait until the programs are loaded.
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &before);
	timespec load_start, load_end;
	clock_gettime(CLOCK_MONOTONIC, &load_start);
	int load_err = syscall_trace__load(skel_);
	clock_gettime(CLOCK_MONOTONIC, &load_end);
	pthread_sigmask(SIG_SETMASK, &before, nullptr);
	if (load_err) {
		// With -v libbpf leaves the verifier's words in our buffers: the rejected program's is
		// the one that says nothing of what it processed.
		for (size_t i = 0; i < stats_logs.size(); i++)
			if (stats_logs[i][0] && !strstr(stats_logs[i].data(), "processed "))
				attempt_log += std::string("libbpf: prog '") + bpf_program__name(to_attach[i]) +
				               "': -- BEGIN PROG LOAD LOG --\n" + stats_logs[i].data() + "-- END PROG LOAD LOG --\n";
		return fail("load", -load_err);
	}
	const long load_us = (load_end.tv_sec - load_start.tv_sec) * 1'000'000 + (load_end.tv_nsec - load_start.tv_nsec) / 1000;
	attempt_log += "loaded in " + std::to_string(load_us / 1000) + " ms (" + features.describe() + ")\n";
	for (size_t i = 0; i < stats_logs.size(); i++)
		attempt_log += std::string("verifier: ") + bpf_program__name(to_attach[i]) + ": " + verifier_stats(stats_logs[i].data()) + "\n";
	for (bpf_program *p : to_attach) {
		bpf_link *link = bpf_program__attach(p);
		if (!link) return fail(std::string("attach ") + bpf_program__name(p), errno);
		links_.push_back(link);
	}
	timespec attach_end;
	clock_gettime(CLOCK_MONOTONIC, &attach_end);
	load_us_ = (load_end.tv_sec - began_.tv_sec) * 1'000'000 + (load_end.tv_nsec - began_.tv_nsec) / 1000;
	attach_us_ = (attach_end.tv_sec - load_end.tv_sec) * 1'000'000 + (attach_end.tv_nsec - load_end.tv_nsec) / 1000;
	log_ += attempt_log;
	return true;
}

BpfTracer::~BpfTracer() { detach(); }

void BpfTracer::detach()
{
	for (bpf_link *link : links_) bpf_link__destroy(link);
	links_.clear();
	syscall_trace__destroy(skel_);
	skel_ = nullptr;
}

void BpfTracer::add_target(uint32_t tgid, target_state state)
{
	if (tgid >= PID_MAX_LIMIT) throw NativeError("process id out of range: " + std::to_string(tgid), EINVAL);
	// The skeleton maps .bss into our memory; the programs update it with atomics too.
	__u64 &word = skel_->bss->target_state[tgid / TARGETS_PER_WORD];
	__atomic_fetch_or(&word, __u64(state) << ((tgid % TARGETS_PER_WORD) * TARGET_BITS), __ATOMIC_SEQ_CST);
}

void BpfTracer::note_maps_read(uint32_t pid)
{
	const __u8 read = 1;
	// A full table only costs build IDs in that process's stacks.
	bpf_map__update_elem(skel_->maps.maps_read, &pid, sizeof(pid), &read, sizeof(read), BPF_ANY);
}

uint64_t BpfTracer::counter(counter_slot slot) const
{
	static const int cpus = libbpf_num_possible_cpus();
	std::vector<__u64> values(static_cast<size_t>(cpus > 0 ? cpus : 1));
	__u32 key = slot;
	if (bpf_map__lookup_elem(skel_->maps.counters, &key, sizeof(key), values.data(), values.size() * sizeof(__u64), 0))
		return 0;
	uint64_t total = 0;
	for (__u64 v : values) total += v;
	return total;
}

bpf_map *BpfTracer::events() const { return skel_->maps.events; }

std::vector<AggregateRow> BpfTracer::take_aggregate()
{
	// The programs read `generation` once per call: after the switch, a call still running
	// may add to the old table for a moment, so wait a little before reading it.
	__u32 old = __atomic_fetch_xor(&skel_->bss->generation, 1, __ATOMIC_SEQ_CST) & 1;
	usleep(2000);
	if (by_syscall_) return take_syscall_rows(old);

	bpf_map *table = old ? skel_->maps.stats1 : skel_->maps.stats0;
	std::vector<AggregateRow> rows;
	aggregate_key key, next;
	const void *previous = nullptr;
	while (bpf_map__get_next_key(table, previous, &next, sizeof(next)) == 0) {
		AggregateRow row;
		row.key = next;
		if (bpf_map__lookup_elem(table, &next, sizeof(next), &row.value, sizeof(row.value), 0) == 0) rows.push_back(row);
		key = next;
		previous = &key;
	}
	for (const AggregateRow &row : rows) bpf_map__delete_elem(table, &row.key, sizeof(row.key), 0);
	return rows;
}

// Sums each syscall's per-CPU rows of one generation into one, and zeroes those that were used.
std::vector<AggregateRow> BpfTracer::take_syscall_rows(__u32 generation)
{
	bpf_map *table = skel_->maps.syscall_stats;
	static const size_t cpus = size_t(std::max(1, libbpf_num_possible_cpus()));
	std::vector<aggregate_value> per_cpu(cpus);
	const std::vector<aggregate_value> zeros(cpus);
	std::vector<AggregateRow> rows;
	for (__u32 nr = 0; nr < SYSCALL_ROWS; nr++) {
		const __u32 index = generation * SYSCALL_ROWS + nr;
		if (bpf_map__lookup_elem(table, &index, sizeof(index), per_cpu.data(), cpus * sizeof(aggregate_value), 0)) continue;
		AggregateRow row = {};
		row.key.nr = nr;
		for (const aggregate_value &v : per_cpu) {
			if (!v.calls) continue;
			if (!row.value.calls || v.min_ns < row.value.min_ns) row.value.min_ns = v.min_ns;
			row.value.max_ns = std::max(row.value.max_ns, v.max_ns);
			if (!row.value.calls) memcpy(row.value.comm, v.comm, sizeof(v.comm));
			row.value.calls += v.calls;
			row.value.errors += v.errors;
			row.value.total_ns += v.total_ns;
			for (int b = 0; b < LATENCY_BUCKETS; b++) row.value.buckets[b] += v.buckets[b];
		}
		if (!row.value.calls) continue;
		rows.push_back(row);
		bpf_map__update_elem(table, &index, sizeof(index), zeros.data(), cpus * sizeof(aggregate_value), BPF_ANY);
	}
	return rows;
}
