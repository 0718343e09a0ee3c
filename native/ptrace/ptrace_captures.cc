#include "ptrace/ptrace_captures.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "encode/batch_encoder.h"
#include "ptrace/tracee_memory.h"

namespace {

constexpr size_t kIovecSize = 16;
// envp is counted, not copied, up to the eBPF backend's bound (a corrupt or hostile array
// costs no more than that).
constexpr uint32_t kMaxEnvCount = CAPTURE_ENVC_MAX;
constexpr size_t kPointersPerRead = 64;
// Directory entries are counted up to the eBPF backend's bound, from the bytes the kernel filled.
constexpr uint32_t kMaxDirents = CAPTURE_DIRENTS_MAX;
constexpr size_t kDirentReclenOffset = 16; // linux_dirent and linux_dirent64 alike

// How many bytes the rule covers before its cap; false if that cannot be known.
bool rule_length(TraceeMemory &memory, const capture_rule &rule, const uint64_t args[], int64_t ret, uint64_t &length)
{
	switch (rule.length_from) {
	case CAPTURE_LENGTH_FIXED:
		length = rule.elem_size;
		return true;
	case CAPTURE_LENGTH_ARG:
		length = args[rule.length_arg] * rule.elem_size;
		return true;
	case CAPTURE_LENGTH_RET:
		length = uint64_t(ret) * rule.elem_size;
		return ret >= 0;
	case CAPTURE_LENGTH_BITS:
		length = (std::min<uint64_t>(args[rule.length_arg], 8 * CAPTURE_ITEM_MAX) + 63) / 64 * 8;
		return true;
	case CAPTURE_LENGTH_POINTER: {
		uint32_t value;
		if (!memory.read(args[rule.length_arg], &value, sizeof(value))) return false;
		length = value;
		return true;
	}
	default:
		length = rule.max_bytes;
		return true;
	}
}

} // namespace

void PtraceCaptures::add_rule(uint32_t nr, const capture_rule &rule)
{
	if (nr >= CAPTURE_SYSCALLS || rule.arg >= SYSCALL_ARG_COUNT || rule.length_arg >= SYSCALL_ARG_COUNT) return;
	rules_[nr].push_back(rule);
	empty_ = false;
}

void PtraceCaptures::capture(BatchBuilder &batch, TraceeMemory &memory, uint32_t nr, const uint64_t args[],
                             bool at_exit, int64_t ret) const
{
	if (nr >= CAPTURE_SYSCALLS || (at_exit && ret < 0)) return;
	for (const capture_rule &rule : rules_[nr])
		if (bool(rule.at_exit) == at_exit) apply(batch, memory, rule, args, at_exit, ret);
}

void PtraceCaptures::apply(BatchBuilder &batch, TraceeMemory &memory, const capture_rule &rule, const uint64_t args[],
                           bool at_exit, int64_t ret) const
{
	const uint8_t when = at_exit ? CAPTURE_FLAG_AT_EXIT : 0;
	const uint64_t addr = args[rule.arg];
	auto fault = [&](uint8_t kind) {
		failed_++;
		batch.add_capture(rule.arg, kind, when | CAPTURE_FLAG_FAULT, nullptr, 0);
	};
	auto item = [&](uint8_t kind, uint8_t flags, const std::string &data) {
		if (!at_exit) copied_at_entry_++;
		batch.add_capture(rule.arg, kind, when | flags, data.data(), uint32_t(data.size()));
	};
	std::string data;
	bool truncated = false;
	// NULL is shown as NULL: no item, as the BPF programs do (select's sets: each on its own).
	if (addr == 0 && rule.source != CAPTURE_SOURCE_FDSETS) return;

	switch (rule.source) {
	case CAPTURE_SOURCE_STRING:
		if (!memory.read_string(addr, rule.max_bytes, data, truncated)) return fault(CAPTURE_KIND_STRING);
		return item(CAPTURE_KIND_STRING, truncated ? CAPTURE_FLAG_TRUNCATED : 0, data);

	case CAPTURE_SOURCE_ARGV: {
		uint64_t pointers[CAPTURE_ARGV_MAX + 1];
		size_t count = 0;
		for (; count <= CAPTURE_ARGV_MAX; count++) {
			if (!memory.read(addr + count * 8, &pointers[count], 8)) {
				if (count == 0) return fault(CAPTURE_KIND_STRING_ARRAY);
				break;
			}
			if (pointers[count] == 0) break;
		}
		bool more = count > CAPTURE_ARGV_MAX;
		std::string element;
		for (size_t i = 0; i < std::min<size_t>(count, CAPTURE_ARGV_MAX); i++) {
			bool cut;
			// One byte past the cap marks an element that was cut.
			if (memory.read_string(pointers[i], rule.max_bytes + 1, element, cut)) data += element;
			data.push_back('\0');
		}
		return item(CAPTURE_KIND_STRING_ARRAY, more ? CAPTURE_FLAG_TRUNCATED : 0, data);
	}

	case CAPTURE_SOURCE_ENVC: {
		// Counted until a NULL or an unreadable element, as the BPF programs count.
		uint32_t count = 0;
		uint64_t pointers[kPointersPerRead];
		for (bool done = false; !done && count < kMaxEnvCount;) {
			size_t batch_size = kPointersPerRead;
			if (!memory.read(addr + uint64_t(count) * 8, pointers, sizeof(pointers))) batch_size = 1; // near a mapping's end
			if (batch_size == 1 && !memory.read(addr + uint64_t(count) * 8, pointers, 8)) break;
			for (size_t i = 0; i < batch_size && !done; i++) {
				if (pointers[i] == 0) done = true;
				else count++;
			}
		}
		count = std::min(count, kMaxEnvCount);
		data.assign(reinterpret_cast<const char *>(&count), sizeof(count)); // x86_64: little-endian
		return item(CAPTURE_KIND_COUNT, 0, data);
	}

	case CAPTURE_SOURCE_DIRENTS: {
		// Enough bytes for kMaxDirents entries of the longest name (a reclen of at most 280).
		std::string entries(std::min<size_t>(size_t(std::max<int64_t>(ret, 0)), size_t(kMaxDirents) * 280), '\0');
		if (!entries.empty() && !memory.read(addr, entries.data(), entries.size())) return fault(CAPTURE_KIND_COUNT);
		uint32_t count = 0;
		size_t pos = 0;
		for (; count < kMaxDirents && pos + kDirentReclenOffset + 2 <= entries.size(); count++) {
			uint16_t reclen;
			memcpy(&reclen, entries.data() + pos + kDirentReclenOffset, sizeof(reclen));
			if (!reclen) break;
			pos += reclen;
		}
		const uint8_t flags = pos < uint64_t(ret) && count >= kMaxDirents ? CAPTURE_FLAG_TRUNCATED : 0;
		data.assign(reinterpret_cast<const char *>(&count), sizeof(count)); // x86_64: little-endian
		return item(CAPTURE_KIND_COUNT, flags, data);
	}

	case CAPTURE_SOURCE_BYTES:
	case CAPTURE_SOURCE_STRUCT:
	case CAPTURE_SOURCE_POINTEE: {
		const uint8_t kind = rule.source == CAPTURE_SOURCE_BYTES   ? CAPTURE_KIND_BYTES
		                     : rule.source == CAPTURE_SOURCE_POINTEE ? CAPTURE_KIND_POINTEE
		                                                             : CAPTURE_KIND_STRUCT;
		// A pointer inside the struct: what it points to, NULL shown as NULL (no item).
		uint64_t from = addr;
		if (rule.source == CAPTURE_SOURCE_POINTEE && !memory.read(addr + rule.field, &from, sizeof(from))) return fault(kind);
		if (from == 0) return;
		uint64_t length;
		if (!rule_length(memory, rule, args, ret, length)) return fault(kind);
		data.resize(std::min<uint64_t>(length, rule.max_bytes));
		if (!memory.read(from, data.data(), data.size())) return fault(kind);
		// A buffer's whole length is in its arguments or result; a struct's is not.
		bool cut = length > rule.max_bytes && kind == CAPTURE_KIND_STRUCT;
		return item(kind, cut ? CAPTURE_FLAG_TRUNCATED : 0, data);
	}

	case CAPTURE_SOURCE_FDSETS: {
		// select's three sets (args 1-3), each an item of its own argument, as the BPF programs copy them.
		uint64_t length;
		rule_length(memory, rule, args, ret, length);
		data.resize(std::min<uint64_t>(length, rule.max_bytes));
		for (uint8_t arg = 1; arg <= 3; arg++) {
			if (args[arg] == 0) continue;
			if (!memory.read(args[arg], data.data(), data.size())) {
				failed_++;
				batch.add_capture(arg, CAPTURE_KIND_STRUCT, when | CAPTURE_FLAG_FAULT, nullptr, 0);
				continue;
			}
			if (!at_exit) copied_at_entry_++;
			batch.add_capture(arg, CAPTURE_KIND_STRUCT, when, data.data(), uint32_t(data.size()));
		}
		return;
	}

	case CAPTURE_SOURCE_IOVEC:
		return copy_iovec(batch, memory, rule, CAPTURE_KIND_STRUCT, addr, args[rule.length_arg], at_exit, ret);

	case CAPTURE_SOURCE_MSGHDR: {
		capture_msghdr msg;
		if (!memory.read(addr, &msg, sizeof(msg))) return fault(CAPTURE_KIND_STRUCT);
		item(CAPTURE_KIND_STRUCT, 0, std::string(reinterpret_cast<const char *>(&msg), sizeof(msg)));
		// The parts the BPF programs copy, with the same bounds.
		auto part = [&](uint8_t kind, uint64_t pointer, uint64_t length, uint64_t cap) {
			if (pointer == 0 || length == 0) return;
			std::string bytes(std::min(length, cap), '\0');
			if (!memory.read(pointer, bytes.data(), bytes.size())) return fault(kind);
			item(kind, 0, bytes);
		};
		part(CAPTURE_KIND_MSG_NAME, msg.name, msg.namelen, CAPTURE_SOCKADDR_MAX);
		part(CAPTURE_KIND_MSG_CONTROL, msg.control, msg.controllen, CAPTURE_CONTROL_MAX);
		if (msg.iov != 0) copy_iovec(batch, memory, rule, CAPTURE_KIND_MSG_IOV, msg.iov, msg.iovlen, at_exit, ret);
		return;
	}
	}
}

void PtraceCaptures::copy_iovec(BatchBuilder &batch, TraceeMemory &memory, const capture_rule &rule, uint8_t array_kind,
                                uint64_t addr, uint64_t count, bool at_exit, int64_t ret) const
{
	const uint8_t when = at_exit ? CAPTURE_FLAG_AT_EXIT : 0;
	uint64_t elements = std::min<uint64_t>(count, CAPTURE_IOVEC_MAX);
	std::string vectors(elements * kIovecSize, '\0');
	if (!memory.read(addr, vectors.data(), vectors.size())) {
		failed_++;
		batch.add_capture(rule.arg, array_kind, when | CAPTURE_FLAG_FAULT, nullptr, 0);
		return;
	}
	if (!at_exit) copied_at_entry_++;
	batch.add_capture(rule.arg, array_kind, when, vectors.data(), uint32_t(vectors.size()));
	// At the exit only the first ret bytes were transferred. The element count and
	// lengths are in the arguments and the iovecs: no flag says what was cut.
	std::string data;
	uint8_t fault = 0;
	uint64_t budget = std::min<uint64_t>(rule.max_bytes, at_exit ? uint64_t(ret) : UINT64_MAX);
	for (uint64_t i = 0; i < elements && data.size() < budget; i++) {
		uint64_t base, length;
		memcpy(&base, &vectors[i * kIovecSize], 8);
		memcpy(&length, &vectors[i * kIovecSize + 8], 8);
		uint64_t take = std::min(length, budget - data.size());
		size_t at = data.size();
		data.resize(at + take);
		if (!memory.read(base, &data[at], take)) {
			data.resize(at); // as the BPF programs: the data up to the unreadable element, marked
			fault = CAPTURE_FLAG_FAULT;
			break;
		}
	}
	batch.add_capture(rule.arg, CAPTURE_KIND_BYTES, when | fault, data.data(), uint32_t(data.size()));
}
