// Field escaping and line framing of the wire protocol: every byte value survives a round trip,
// escaped text never holds a framing byte, malformed escapes and oversized lines are refused.
#include "common/protocol/record_codec.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using testing::all_byte_values;

bool has_framing_byte(std::string_view text) {
  return text.find_first_of("\t\n\r") != std::string_view::npos;
}

TEST(RecordCodec, RoundTripsEveryByteValueInOneField) {
  const std::string raw = all_byte_values();
  const std::string escaped = escape_field(raw);
  EXPECT_FALSE(has_framing_byte(escaped));
  const auto back = unescape_field(escaped);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, raw);
}

TEST(RecordCodec, RoundTripsEachByteValueAlone) {
  for (int value = 0; value < 256; ++value) {
    const std::string raw(1, static_cast<char>(value));
    const std::string escaped = escape_field(raw);
    EXPECT_FALSE(has_framing_byte(escaped)) << "byte " << value;
    const auto back = unescape_field(escaped);
    ASSERT_TRUE(back.has_value()) << "byte " << value << ": " << back.error().message;
    EXPECT_EQ(*back, raw) << "byte " << value;
  }
}

TEST(RecordCodec, RoundTripsManyFieldsHoldingEveryByteValue) {
  std::vector<std::string> fields;
  for (int value = 0; value < 256; ++value) {
    fields.push_back(std::string(1, static_cast<char>(value)) + "x" +
                     std::string(2, static_cast<char>(value)));
  }
  fields.emplace_back();  // an empty field, and an empty last field, are fields too
  const auto line = encode_fields(fields);
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_EQ(line->find_first_of("\n\r"), std::string::npos);
  const auto back = decode_fields(*line);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, fields);
}

TEST(RecordCodec, RoundTripsEmptyFields) {
  const std::vector<std::string> fields{"", "", ""};
  const auto line = encode_fields(fields);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(*line, "\t\t");
  EXPECT_EQ(decode_fields(*line).value(), fields);
}

struct EscapeCase {
  std::string raw;
  std::string escaped;
};

// Readable parameter values in test names and failure messages.
void PrintTo(const EscapeCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.raw); }

class RecordCodecEscapes : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(RecordCodecEscapes, EscapesAsSpecified) {
  EXPECT_EQ(escape_field(GetParam().raw), GetParam().escaped);
  EXPECT_EQ(unescape_field(GetParam().escaped).value(), GetParam().raw);
}

INSTANTIATE_TEST_SUITE_P(RecordCodec, RecordCodecEscapes,
                         ::testing::Values(EscapeCase{"plain", "plain"},
                                           EscapeCase{"a\\b", "a\\\\b"},
                                           EscapeCase{"a\tb", "a\\tb"}, EscapeCase{"a\nb", "a\\nb"},
                                           EscapeCase{"a\rb", "a\\rb"},
                                           EscapeCase{std::string(1, '\0'), "\\x00"},
                                           EscapeCase{"\x1f", "\\x1f"}, EscapeCase{"\x7f", "\\x7f"},
                                           EscapeCase{"\x80\xff", "\x80\xff"}, EscapeCase{"", ""}));

TEST(RecordCodec, UnescapeAcceptsUppercaseHex) {
  EXPECT_EQ(unescape_field("\\x7F\\x1A").value(), "\x7f\x1a");
}

struct BadEscape {
  std::string escaped;
  std::string reason;
};

// Readable parameter values in test names and failure messages.
void PrintTo(const BadEscape& c, std::ostream* os) { *os << ::testing::PrintToString(c.escaped); }

class RecordCodecRejects : public ::testing::TestWithParam<BadEscape> {};

TEST_P(RecordCodecRejects, MalformedField) {
  const auto result = unescape_field(GetParam().escaped);
  ASSERT_FALSE(result.has_value()) << "accepted: " << GetParam().escaped;
  EXPECT_NE(result.error().message.find(GetParam().reason), std::string::npos)
      << result.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    RecordCodec, RecordCodecRejects,
    ::testing::Values(BadEscape{"\\", "lone backslash"}, BadEscape{"abc\\", "lone backslash"},
                      BadEscape{"\\q", "unknown escape"}, BadEscape{"\\x4", "\\x"},
                      BadEscape{"\\x", "\\x"}, BadEscape{"\\x4g", "\\x"}, BadEscape{"\\xg4", "\\x"},
                      BadEscape{"a\tb", "control"}, BadEscape{"a\nb", "control"},
                      BadEscape{"a\rb", "control"}));

TEST(RecordCodec, DecodeRejectsABadEscapeInAnyField) {
  EXPECT_FALSE(decode_fields("U\tok\tbad\\q").has_value());
  EXPECT_FALSE(decode_fields("U\\\tok").has_value());  // first field "U\" ends with a backslash
  EXPECT_FALSE(decode_fields("U\\").has_value());
}

TEST(RecordCodec, EncodeAcceptsTheLongestLineThatFits) {
  // The line plus its newline may be exactly kMaxRecordBytes.
  const std::vector<std::string> fields{"U", std::string(kMaxRecordBytes - 3, 'a')};
  const auto line = encode_fields(fields);
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_EQ(line->size() + 1, kMaxRecordBytes);
}

TEST(RecordCodec, EncodeFailsAboveTheRecordLimit) {
  const std::vector<std::string> fields{"U", std::string(kMaxRecordBytes - 2, 'a')};
  const auto line = encode_fields(fields);
  ASSERT_FALSE(line.has_value());
  EXPECT_NE(line.error().message.find("limit"), std::string::npos) << line.error().message;
}

TEST(RecordCodec, EncodeCountsEscapedBytesAgainstTheLimit) {
  // 1100 control bytes are 4400 bytes once escaped.
  const std::vector<std::string> fields{"U", std::string(1100, '\x01')};
  EXPECT_FALSE(encode_fields(fields).has_value());
}

TEST(RecordCodec, DecodeToleratesATrailingCarriageReturn) {
  EXPECT_EQ(decode_fields("U\tid\turl\r").value(), (std::vector<std::string>{"U", "id", "url"}));
}

TEST(RecordCodec, DecodeKeepsAnEscapedTrailingCarriageReturn) {
  EXPECT_EQ(decode_fields("U\tid\turl\\r").value(), (std::vector<std::string>{"U", "id", "url\r"}));
}

}  // namespace
}  // namespace dupipe
