// Endpoints that keep a stage's live counters (stage_stats.hpp) up to date: they wrap the real
// reader or writer, mark the stage reading / working / writing around each call and count every
// record; under --trace they also report each call to the stage's TraceRecorder. instrument()
// returns the endpoint unchanged when there is no stats area (no launcher).
#pragma once

#include <memory>

#include "common/observe/stage_stats.hpp"
#include "common/observe/trace_spans.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe {

// span_end: when a record's trace span ends (trace_spans.hpp); kMatchingOutput for a stage that
// has many records in flight.
[[nodiscard]] std::unique_ptr<RecordReader> instrument(
    std::unique_ptr<RecordReader> reader, StageStats* stats,
    RecordSpanEnd span_end = RecordSpanEnd::kNextRead);
[[nodiscard]] std::unique_ptr<RecordWriter> instrument(std::unique_ptr<RecordWriter> writer,
                                                       StageStats* stats);

}  // namespace dupipe
