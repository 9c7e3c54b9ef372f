// Which failures are retried and how long the fetcher waits: exponential, stretched by jitter,
// never below Retry-After, never above the cap.
#include "fetcher/retry_policy.hpp"

#include <gtest/gtest.h>

namespace dupipe::fetcher {
namespace {

TEST(RetryPolicy, TreatsNetworkHiccupsAsTransient) {
  for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE,
                        CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING}) {
    EXPECT_TRUE(is_transient_curl_error(code)) << curl_easy_strerror(code);
  }
}

TEST(RetryPolicy, TreatsTlsSizeAndRedirectErrorsAsPermanent) {
  for (CURLcode code :
       {CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_FILESIZE_EXCEEDED,
        CURLE_TOO_MANY_REDIRECTS, CURLE_UNSUPPORTED_PROTOCOL, CURLE_WRITE_ERROR,
        CURLE_COULDNT_RESOLVE_HOST}) {
    EXPECT_FALSE(is_transient_curl_error(code)) << curl_easy_strerror(code);
  }
}

TEST(RetryPolicy, RetriesOnly408429And5xx) {
  for (long status : {408L, 429L, 500L, 502L, 503L, 504L, 599L})
    EXPECT_TRUE(is_transient_http_status(status));
  for (long status : {400L, 401L, 403L, 404L, 410L, 416L, 200L})
    EXPECT_FALSE(is_transient_http_status(status));
}

TEST(RetryPolicy, DoublesTheWaitAndStretchesItByJitter) {
  const RetryOptions options{3, 100, 60000};
  EXPECT_EQ(retry_delay_ms(options, 1, std::nullopt, 0.0), 100U);
  EXPECT_EQ(retry_delay_ms(options, 2, std::nullopt, 0.0), 200U);
  EXPECT_EQ(retry_delay_ms(options, 3, std::nullopt, 0.0), 400U);
  EXPECT_EQ(retry_delay_ms(options, 3, std::nullopt, 1.0), 600U);
}

TEST(RetryPolicy, WaitsAtLeastRetryAfterButNoLongerThanTheCap) {
  const RetryOptions options{3, 100, 5000};
  EXPECT_EQ(retry_delay_ms(options, 1, 2, 0.0), 2000U);
  EXPECT_EQ(retry_delay_ms(options, 1, 3600, 0.0), 5000U);
  EXPECT_EQ(retry_delay_ms(options, 40, std::nullopt, 1.0), 5000U);
}

}  // namespace
}  // namespace dupipe::fetcher

namespace dupipe::fetcher {
namespace {

TEST(DescribeAttempts, CausesThatDifferOnlyInCurlsElapsedTimeCountAsOne) {
  const std::vector<std::string> errors{
      "Couldn't connect to server: Failed to connect to 127.0.0.1 port 1 after 1 ms: refused",
      "Couldn't connect to server: Failed to connect to 127.0.0.1 port 1 after 0 ms: refused"};
  EXPECT_EQ(describe_attempts(errors),
            "Couldn't connect to server: Failed to connect to 127.0.0.1 port 1: refused "
            "(after 2 attempts)");
}

// Seen in integration.fetch_retry: two --timeout attempts listed as two causes.
TEST(DescribeAttempts, TimeoutsThatDifferOnlyInTheirMillisecondsCountAsOne) {
  const std::vector<std::string> errors{
      "Timeout was reached: Operation timed out after 1011 milliseconds with 0 out of 9 bytes "
      "received",
      "Timeout was reached: Operation timed out after 1010 milliseconds with 0 out of 9 bytes "
      "received"};
  EXPECT_EQ(
      describe_attempts(errors),
      "Timeout was reached: Operation timed out with 0 out of 9 bytes received (after 2 attempts)");
}

TEST(DescribeAttempts, ListsDifferentCausesInOrder) {
  EXPECT_EQ(describe_attempts({"HTTP 503", "HTTP 500"}),
            "HTTP 500 (2 attempts: HTTP 503; HTTP 500)");
  EXPECT_EQ(describe_attempts({"HTTP 404"}), "HTTP 404");
  EXPECT_EQ(describe_attempts({}), "failed");
  EXPECT_EQ(describe_attempts({"waited after 5 seconds"}), "waited after 5 seconds");
}

}  // namespace
}  // namespace dupipe::fetcher
