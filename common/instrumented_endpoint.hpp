// Endpoints that keep a stage's live counters (stage_stats.hpp) up to date: they wrap the real
// reader or writer, mark the stage reading / working / writing around each call and count every
// record. instrument() returns the endpoint unchanged when there is no stats area (no launcher).
#pragma once

#include <memory>

#include "common/endpoint.hpp"
#include "common/stage_stats.hpp"

namespace dupipe {

[[nodiscard]] std::unique_ptr<RecordReader> instrument(std::unique_ptr<RecordReader> reader,
                                                       StageStats* stats);
[[nodiscard]] std::unique_ptr<RecordWriter> instrument(std::unique_ptr<RecordWriter> writer,
                                                       StageStats* stats);

}  // namespace dupipe
