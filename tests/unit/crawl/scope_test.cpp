// The crawl's scope: the seeds' hosts (any port) and --allow-host ones, --no-parent under each
// seed's directory on the seed's own origin, --accept/--reject on the URL, and a regular
// expression that does not compile refused with the option's name.
#include "crawl/scope.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crawl/url_key.hpp"

namespace dupipe::crawl {
namespace {

std::vector<std::string> keys(const std::vector<std::string>& urls) {
  std::vector<std::string> out;
  for (const std::string& url : urls) out.push_back(url_key(url).value());
  return out;
}

Scope make_scope(const ScopeOptions& options, const std::vector<std::string>& seeds) {
  auto scope = Scope::make(options, keys(seeds));
  EXPECT_TRUE(scope.has_value()) << scope.error().message;
  return std::move(scope).value();
}

std::optional<std::string_view> excluded(const Scope& scope, const std::string& url) {
  return scope.excluded(url_key(url).value(), url);
}

TEST(Scope, KeepsACrawlOnTheSeedsHostsWhateverThePort) {
  const Scope scope = make_scope({}, {"http://a.test:8080/start.html"});
  EXPECT_EQ(excluded(scope, "http://a.test:8080/x"), std::nullopt);
  EXPECT_EQ(excluded(scope, "HTTP://A.TEST:9090/y"), std::nullopt);
  EXPECT_EQ(excluded(scope, "https://a.test/z"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://b.test:8080/x"), "scope");
  EXPECT_EQ(excluded(scope, "http://sub.a.test:8080/x"), "scope");
}

TEST(Scope, AddsTheAllowedHosts) {
  ScopeOptions options;
  options.allow_hosts = {"B.test", "[::1]"};
  const Scope scope = make_scope(options, {"http://a.test/"});
  EXPECT_EQ(excluded(scope, "http://b.test/x"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://[::1]:8080/x"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://c.test/x"), "scope");
}

TEST(Scope, StaysUnderEachSeedsDirectoryWithNoParent) {
  ScopeOptions options;
  options.allow_hosts = {"b.test"};
  options.no_parent = true;
  const Scope scope = make_scope(
      options, {"http://a.test/docs/index.html?x=/y/", "http://a.test/pub/", "http://a.test:81"});
  EXPECT_EQ(excluded(scope, "http://a.test/docs/deep/page.html"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://a.test/docs/"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://a.test/pub/file.iso"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://a.test/docs/../other.html"), "scope");  // dot segments go
  EXPECT_EQ(excluded(scope, "http://a.test/"), "scope");
  EXPECT_EQ(excluded(scope, "http://a.test/docsmore/x"), "scope");
  EXPECT_EQ(excluded(scope, "http://a.test:81/anything"), std::nullopt);  // that seed is "/"
  EXPECT_EQ(excluded(scope, "http://b.test/anything"), std::nullopt);     // taken whole
}

TEST(Scope, FiltersWithAcceptAndReject) {
  ScopeOptions options;
  options.accept = R"(\.(html|iso)$|/$)";
  options.reject = "/private/";
  const Scope scope = make_scope(options, {"http://a.test/"});
  EXPECT_EQ(excluded(scope, "http://a.test/a.html"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://a.test/dir/"), std::nullopt);
  EXPECT_EQ(excluded(scope, "http://a.test/a.png"), "filter");
  EXPECT_EQ(excluded(scope, "http://a.test/private/a.html"), "filter");
  EXPECT_EQ(excluded(scope, "http://other.test/a.html"), "scope");  // the host is checked first
}

TEST(Scope, RefusesARegularExpressionThatDoesNotCompile) {
  ScopeOptions options;
  options.reject = "(unclosed";
  const auto scope = Scope::make(options, keys({"http://a.test/"}));
  ASSERT_FALSE(scope.has_value());
  EXPECT_NE(scope.error().message.find("--reject '(unclosed'"), std::string::npos)
      << scope.error().message;
}

TEST(Scope, NamesTheHostOfAKey) {
  EXPECT_EQ(host_name_of_key("http://user:pw@h.test:8080/a"), "h.test");
  EXPECT_EQ(host_name_of_key("http://[::1]:8080/a"), "[::1]");
  EXPECT_EQ(host_name_of_key("http://[::1]/a"), "[::1]");
  EXPECT_EQ(host_name_of_key("https://h.test/"), "h.test");
}

}  // namespace
}  // namespace dupipe::crawl
