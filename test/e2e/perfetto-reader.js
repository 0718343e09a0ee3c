// Reads a Perfetto trace written by --perfetto, against Perfetto's published schema.
'use strict';
const fs = require('node:fs');
const protobuf = require('protobufjs');
// protobufjs is one module for the whole process: the tracer's code sets it to read 64-bit
// fields as numbers (src/wire/protobuf-numbers.ts), and a schema parsed before that setting
// cannot decode after it. uvu loads every test file before it runs one, so whether another
// file loaded it first is a matter of order: set it here, before the schema is parsed.
require('../../dist/wire/protobuf-numbers');

// The part of Perfetto's schema this test reads, with the field numbers Perfetto publishes
// in protos/perfetto/trace/{trace,trace_packet}.proto and track_event/*.proto.
const PERFETTO_SUBSET = `
syntax = "proto2";
package perfetto.protos;
message Trace { repeated TracePacket packet = 1; }
message TracePacket {
  optional uint64 timestamp = 8;
  optional uint32 trusted_packet_sequence_id = 10;
  optional uint32 sequence_flags = 13;
  optional TrackEvent track_event = 11;
  optional TrackDescriptor track_descriptor = 60;
}
message TrackDescriptor {
  optional uint64 uuid = 1;
  optional uint64 parent_uuid = 5;
  optional string name = 2;
  optional ProcessDescriptor process = 3;
  optional ThreadDescriptor thread = 4;
}
message ProcessDescriptor { optional int32 pid = 1; optional string process_name = 6; }
message ThreadDescriptor { optional int32 pid = 1; optional int64 tid = 2; optional string thread_name = 5; }
message TrackEvent {
  enum Type { TYPE_UNSPECIFIED = 0; TYPE_SLICE_BEGIN = 1; TYPE_SLICE_END = 2; TYPE_INSTANT = 3; TYPE_COUNTER = 4; }
  optional Type type = 9;
  optional uint64 track_uuid = 11;
  optional string name = 23;
  repeated string categories = 22;
  repeated DebugAnnotation debug_annotations = 4;
}
message DebugAnnotation {
  oneof name_field { uint64 name_iid = 1; string name = 10; }
  oneof value { bool bool_value = 2; uint64 uint_value = 3; int64 int_value = 4; double double_value = 5; string string_value = 6; uint64 pointer_value = 7; }
}
`;
const Trace = protobuf.parse(PERFETTO_SUBSET).root.lookupType('perfetto.protos.Trace');

function decode(file) {
  const trace = Trace.toObject(Trace.decode(fs.readFileSync(file)), { longs: Number, enums: String, defaults: false });
  return trace.packet;
}

/** Each process track's pid and its name, from the last descriptor of the track (the one
 * trace processor keeps). */
function processNames(file) {
  const names = new Map();
  for (const p of decode(file)) if (p.trackDescriptor?.process) names.set(p.trackDescriptor.process.pid, p.trackDescriptor.process.processName);
  return names;
}

module.exports = { decode, processNames };
