// The few protobuf wire-format writers the batch and aggregate encoders need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generated/batch_schema.h"

namespace protobuf_writer {

using batch_schema::WireType;
using batch_schema::kVarint;
using batch_schema::kLengthDelimited;

inline void put_varint(std::string &out, uint64_t v)
{
	while (v >= 0x80) {
		out.push_back(static_cast<char>(v | 0x80));
		v >>= 7;
	}
	out.push_back(static_cast<char>(v));
}

inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

inline void put_tag(std::string &out, uint32_t field, WireType type) { put_varint(out, (field << 3) | type); }

// A scalar field; proto3 omits the default 0.
inline void put_uint(std::string &out, uint32_t field, uint64_t v)
{
	if (v == 0) return;
	put_tag(out, field, kVarint);
	put_varint(out, v);
}

inline void put_bytes(std::string &out, uint32_t field, const char *bytes, size_t size)
{
	put_tag(out, field, kLengthDelimited);
	put_varint(out, size);
	out.append(bytes, size);
}

inline void put_bytes(std::string &out, uint32_t field, const std::string &bytes)
{
	put_bytes(out, field, bytes.data(), bytes.size());
}

inline size_t varint_size(uint64_t v) { return v < 0x80 ? 1 : size_t(64 - __builtin_clzll(v) + 6) / 7; }

inline char *write_varint(char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = static_cast<char>(v | 0x80);
		v >>= 7;
	}
	*p++ = static_cast<char>(v);
	return p;
}

// A packed repeated field: tag, byte length, then the varints, written in place once their
// length is known (a batch has a million of them: byte-by-byte appends were the drain
// thread's largest cost).
template <typename T, typename Encode>
void put_packed(std::string &out, uint32_t field, const std::vector<T> &values, Encode encode)
{
	if (values.empty()) return;
	size_t body = 0;
	for (const T &v : values) body += varint_size(encode(v));
	put_tag(out, field, kLengthDelimited);
	put_varint(out, body);
	size_t at = out.size();
	out.resize(at + body);
	char *p = &out[at];
	for (const T &v : values) p = write_varint(p, encode(v));
}

} // namespace protobuf_writer
