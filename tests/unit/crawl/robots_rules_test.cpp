// robots.txt per RFC 9309: which group applies, which rule wins, how patterns match (without
// backtracking), the encodings, line ends and bounds a parser meets in the wild, what a fetch
// status means, Crawl-delay and Sitemap lines, and the RFC's own examples (section 5).
#include "crawl/robots_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dupipe::crawl {
namespace {

using std::chrono::milliseconds;

RobotsRules robots_for_dupipe(std::string_view body) { return RobotsRules::parse(body, "dupipe"); }

struct RobotsPathCase {
  std::string path;
  bool is_allowed;
};

// Every path of `cases` gets the expected answer from `rules`, each failure naming its path.
void expect_robots_answers(const RobotsRules& rules, const std::vector<RobotsPathCase>& cases) {
  for (const auto& [path, is_allowed] : cases) {
    EXPECT_EQ(rules.allows(path), is_allowed) << "path " << path;
  }
}

TEST(RobotsRules, TheGroupThatNamesTheProductTokenReplacesTheStarGroup) {
  const auto rules = robots_for_dupipe(
      "User-agent: *\nDisallow: /private/\nDisallow: /tmp/\n"
      "User-agent: dupipe\nDisallow: /only-for-us/\n");
  expect_robots_answers(rules, {{"/only-for-us/x", false}, {"/private/x", true}, {"/tmp/", true}});
}

TEST(RobotsRules, TheStarGroupAppliesWhenNoGroupNamesTheToken) {
  const auto rules = robots_for_dupipe(
      "User-agent: otherbot\nDisallow: /\n"
      "User-agent: *\nDisallow: /private/\n");
  expect_robots_answers(rules, {{"/private/x", false}, {"/public", true}});
}

TEST(RobotsRules, NoRulesApplyWithoutAMatchingOrStarGroup) {
  expect_robots_answers(robots_for_dupipe("User-agent: otherbot\nDisallow: /\n"), {{"/", true}});
  expect_robots_answers(robots_for_dupipe(""), {{"/", true}, {"/a", true}});
  expect_robots_answers(robots_for_dupipe("# nothing but a comment\n\n"), {{"/a", true}});
}

TEST(RobotsRules, AnEmptyGroupThatNamesUsStillReplacesTheStarGroup) {
  const auto rules = robots_for_dupipe("User-agent: *\nDisallow: /\n\nUser-agent: dupipe\n");
  expect_robots_answers(rules, {{"/", true}, {"/anything", true}});
}

TEST(RobotsRules, MergesEveryGroupThatNamesTheToken) {
  const auto rules = robots_for_dupipe(
      "User-agent: dupipe\nDisallow: /foo\nDisallow: /bar\n"
      "User-agent: otherbot\nDisallow: /other\n"
      "User-agent: DuPipe\nDisallow: /baz\n");
  expect_robots_answers(rules,
                        {{"/foo", false}, {"/bar", false}, {"/baz", false}, {"/other", true}});
}

TEST(RobotsRules, MergesEveryStarGroup) {
  const auto rules =
      robots_for_dupipe("User-agent: *\nDisallow: /a\nUser-agent: *\nDisallow: /b\n");
  expect_robots_answers(rules, {{"/a", false}, {"/b", false}, {"/c", true}});
}

TEST(RobotsRules, MatchesTheProductTokenCaseInsensitivelyAndAsAWholeToken) {
  // RFC 9309 2.2.1 relaxes only the case: a longer or shorter token names another crawler.
  const std::vector<std::pair<std::string, bool>> agents = {
      {"dupipe", true},
      {"DuPipe", true},
      {"DUPIPE", true},
      {"dupipe/1.0", true},
      {"dupipe/2 (+http://example.com/bot)", true},
      {"dupipe # ours", true},
      {"dupipebot", false},
      {"dupi", false},
      {"dupipe-images", false},
      {"dupipe_x", false},
      {"my-dupipe", false},
      {"Mozilla dupipe", false},
      {"", false},
  };
  for (const auto& [agent, names_us] : agents) {
    const auto rules = robots_for_dupipe("User-agent: " + agent + "\nDisallow: /\n");
    EXPECT_EQ(rules.allows("/page"), !names_us) << "User-agent: " << agent;
  }
}

TEST(RobotsRules, TheCallersTokenMayCarryAVersion) {
  const auto rules = RobotsRules::parse("User-agent: dupipe\nDisallow: /\n", "dupipe/0.1.0");
  EXPECT_FALSE(rules.allows("/page"));
  // An empty token never names a group: only "*" can apply.
  EXPECT_TRUE(RobotsRules::parse("User-agent: /x\nDisallow: /\n", "").allows("/page"));
}

TEST(RobotsRules, ConsecutiveUserAgentLinesShareOneGroup) {
  const auto rules = robots_for_dupipe(
      "User-agent: otherbot\nUser-agent: dupipe\nUser-agent: thirdbot\nDisallow: /shared\n"
      "User-agent: fourthbot\nDisallow: /not-ours\n");
  expect_robots_answers(rules, {{"/shared", false}, {"/not-ours", true}});
}

TEST(RobotsRules, OtherRecordsAndBlankLinesDoNotEndTheUserAgentLines) {
  // RFC 9309 2.2.4: "a Sitemaps record MUST NOT terminate a group"; nor does any other record.
  const auto rules = robots_for_dupipe(
      "User-agent: otherbot\nSitemap: https://h/s.xml\nCrawl-delay: 2\nHost: h\n\n"
      "User-agent: dupipe\nDisallow: /x\n");
  EXPECT_FALSE(rules.allows("/x"));
  EXPECT_EQ(rules.crawl_delay(), milliseconds{2000});
}

TEST(RobotsRules, IgnoresRulesBeforeTheFirstUserAgentLine) {
  const auto rules =
      robots_for_dupipe("Disallow: /\nCrawl-delay: 9\nUser-agent: dupipe\nDisallow: /private\n");
  expect_robots_answers(rules, {{"/", true}, {"/public", true}, {"/private", false}});
  EXPECT_EQ(rules.crawl_delay(), std::nullopt);
}

TEST(RobotsRules, TheLongestMatchingRuleWinsWhateverTheOrder) {
  const auto rules = robots_for_dupipe(
      "User-agent: dupipe\n"
      "Allow: /a/b/c\nDisallow: /a/b\nAllow: /a\nDisallow: /\n"
      "Disallow: /shop/*.pdf\nAllow: /shop/free\n");
  expect_robots_answers(rules, {{"/", false},
                                {"/x", false},
                                {"/a", true},
                                {"/a/x", true},
                                {"/a/b", false},
                                {"/a/b/x", false},
                                {"/a/b/c", true},
                                {"/a/b/cd", true},
                                {"/shop/free/x.pdf", false},  // 11 octets beat 10
                                {"/shop/free/x.html", true}});
}

TEST(RobotsRules, AllowWinsATie) {
  expect_robots_answers(robots_for_dupipe("User-agent: dupipe\nDisallow: /page\nAllow: /page\n"),
                        {{"/page", true}});
  expect_robots_answers(robots_for_dupipe("User-agent: dupipe\nAllow: /page\nDisallow: /page\n"),
                        {{"/page", true}});
  // Equivalent spellings are one rule: the tie holds after percent-decoding.
  expect_robots_answers(robots_for_dupipe("User-agent: dupipe\nDisallow: /%7Ex\nAllow: /~x\n"),
                        {{"/~x", true}});
}

TEST(RobotsRules, StarMatchesAnySequenceIncludingNone) {
  const auto rules = robots_for_dupipe(
      "User-agent: dupipe\nDisallow: /*/private\nDisallow: *.php\nDisallow: /a**b\n");
  expect_robots_answers(rules, {{"/x/private", false},
                                {"/x/y/private/z", false},
                                {"//private", false},
                                {"/private", true},
                                {"/index.php", false},
                                {"/index.php?q=1", false},
                                {"/index.phtml", true},
                                {"/ab", false},
                                {"/a-long-way-b", false},
                                {"/a", true}});
}

TEST(RobotsRules, DollarAnchorsTheEndOnlyAsTheLastCharacter) {
  const auto rules = robots_for_dupipe(
      "User-agent: dupipe\nDisallow: /*.gif$\nDisallow: /exact$\nDisallow: /cost$5\n"
      "Disallow: /end/*$\n");
  expect_robots_answers(rules, {{"/a.gif", false},
                                {"/a.gif?x=1", true},
                                {"/a.gif/", true},
                                {"/exact", false},
                                {"/exact/", true},
                                {"/exactly", true},
                                {"/cost$5", false},  // "$" inside a pattern is an octet
                                {"/cost$50", false},
                                {"/cost", true},
                                {"/end/", false},
                                {"/end/anything", false}});
}

TEST(RobotsRules, RobotsTxtIsAlwaysAllowed) {
  const auto rules = robots_for_dupipe("User-agent: *\nDisallow: /\nDisallow: /robots.txt$\n");
  expect_robots_answers(rules, {{"/robots.txt", true}, {"/robots.txt?x", false}, {"/", false}});
  EXPECT_TRUE(RobotsRules::disallow_all().allows("/robots.txt"));
}

TEST(RobotsRules, AnEmptyDisallowDisallowsNothing) {
  expect_robots_answers(robots_for_dupipe("User-agent: dupipe\nDisallow:\n"),
                        {{"/", true}, {"/a", true}});
  expect_robots_answers(robots_for_dupipe("User-agent: dupipe\nDisallow:   # nothing\n"),
                        {{"/a", true}});
  // It is still a rule: a User-agent line after it starts a new group.
  expect_robots_answers(
      robots_for_dupipe("User-agent: dupipe\nDisallow:\nUser-agent: otherbot\nDisallow: /\n"),
      {{"/a", true}});
}

TEST(RobotsRules, KeysAreCaseInsensitiveAndWhitespaceAndCommentsTolerated) {
  const auto rules = robots_for_dupipe(
      "# a robots.txt\n"
      "  USER-AGENT  :\tDuPiPe   # us\n"
      "disallow:/a\n"
      "\tDISALLOW :  /b  \n"
      "dIsAlLoW\t:\t/c#comment\n"
      "Allow: /c/open # why\n"
      "Disallow /no-colon\n"
      "Noindex: /d\n");
  expect_robots_answers(rules, {{"/a", false},
                                {"/b", false},
                                {"/c", false},
                                {"/c/open", true},
                                {"/no-colon", true},
                                {"/d", true}});
}

TEST(RobotsRules, PathsMatchCaseSensitivelyFromTheirFirstOctet) {
  const auto rules = robots_for_dupipe("User-agent: dupipe\nDisallow: /Private\n");
  expect_robots_answers(rules, {{"/Private", false}, {"/private", true}, {"/x/Private", true}});
}

TEST(RobotsRules, ReadsLfCrAndCrLfLineEnds) {
  for (const char* end : {"\n", "\r", "\r\n"}) {
    const auto rules =
        robots_for_dupipe(std::string{"User-agent: *"} + end + "Disallow: /a" + end +
                          "User-agent: dupipe" + end + "Disallow: /b" + end + "Allow: /b/c");
    expect_robots_answers(rules, {{"/a", true}, {"/b", false}, {"/b/c", true}});
  }
  // Mixed in one file, with blank lines of each kind.
  expect_robots_answers(
      robots_for_dupipe("User-agent: dupipe\r\n\r\n\rDisallow: /a\n\r\nDisallow: /b"),
      {{"/a", false}, {"/b", false}});
}

TEST(RobotsRules, SkipsAByteOrderMark) {
  const auto rules = robots_for_dupipe("\xEF\xBB\xBFUser-agent: dupipe\nDisallow: /a\n");
  EXPECT_FALSE(rules.allows("/a"));
}

TEST(RobotsRules, ComparesPathsAndPatternsAfterPercentNormalisation) {
  // RFC 9309 2.2.2's table and 2.2.3's "%2A" and "%24": each pattern against each spelling.
  struct EncodingCase {
    std::string pattern;
    std::vector<std::string> paths;
  };
  const std::vector<EncodingCase> cases = {
      {"/foo/bar?baz=quz", {"/foo/bar?baz=quz"}},
      {"/foo/bar?baz=https://foo.bar",
       {"/foo/bar?baz=https://foo.bar", "/foo/bar?baz=https%3A%2F%2Ffoo.bar"}},
      {"/foo/bar?baz=https%3A%2F%2Ffoo.bar", {"/foo/bar?baz=https://foo.bar"}},
      {"/foo/bar/\xE3\x83\x84",
       {"/foo/bar/%E3%83%84", "/foo/bar/%e3%83%84", "/foo/bar/\xE3\x83\x84"}},
      {"/foo/bar/%E3%83%84", {"/foo/bar/%E3%83%84", "/foo/bar/\xE3\x83\x84"}},
      {"/foo/bar/%62%61%7A", {"/foo/bar/baz", "/foo/bar/%62%61%7a"}},
      {"/foo/bar/baz", {"/foo/bar/%62%61%7A"}},
      {"/path/file-with-a-%2A.html", {"/path/file-with-a-*.html", "/path/file-with-a-%2a.html"}},
      {"/path/foo-%24", {"/path/foo-$", "/path/foo-%24"}},
      {"/100%", {"/100%", "/100%25"}},  // a stray "%" is itself
      {"/%zz", {"/%zz"}},
  };
  for (const auto& [pattern, paths] : cases) {
    const auto rules = robots_for_dupipe("User-agent: dupipe\nDisallow: " + pattern + "\n");
    for (const auto& path : paths) {
      EXPECT_FALSE(rules.allows(path)) << "pattern " << pattern << " path " << path;
    }
  }
  // An escaped "*" is an octet, not a wildcard.
  expect_robots_answers(robots_for_dupipe("User-agent: dupipe\nDisallow: /a%2Az\n"),
                        {{"/a*z", false}, {"/abz", true}});
}

TEST(RobotsRules, SurvivesLongLinesBinaryBytesAndTruncatedEscapes) {
  std::string body = "User-agent: dupipe\nDisallow: /" + std::string(200'000, 'x') + "\n";
  for (int i = 0; i < 4096; ++i) body += static_cast<char>(i % 256);
  body += "\nDisallow: /\xFF\xFE\x80%\n%\nDisallow: %4\nUser-agent:\nDisallow: /after-binary\n";
  const auto rules = robots_for_dupipe(body);
  expect_robots_answers(rules, {{"/" + std::string(200'000, 'x') + "y", false},
                                {"/\xFF\xFE\x80%", false},
                                {"/", true},
                                {"/after-binary", true}});
  // A path that is nothing but escapes and stray bytes.
  EXPECT_TRUE(rules.allows(std::string{"%%%4%\0\xFF", 7}));
}

TEST(RobotsRules, ParsesOnlyTheFirst500KiB) {
  // A rule at the start, one just before the bound, one cut by it and one wholly after it.
  std::string body = "User-agent: dupipe\nDisallow: /before\n";
  const std::string last_before = "Disallow: /last-before\n";
  const std::size_t straddle_at = RobotsRules::kMaxBytes - 12;
  body += "#" + std::string(straddle_at - body.size() - last_before.size() - 2, 'p') + "\n";
  body += last_before;
  ASSERT_EQ(body.size(), straddle_at);
  body += "Disallow: /straddles\nDisallow: /after\n";
  const auto rules = robots_for_dupipe(body);
  // A line cut at the bound is dropped: parsed as far as it goes it would be "Disallow: /s".
  expect_robots_answers(rules, {{"/before", false},
                                {"/last-before", false},
                                {"/straddles", true},
                                {"/s", true},
                                {"/after", true}});
}

TEST(RobotsRules, KeepsALineThatEndsExactlyAtTheBound) {
  std::string body = "User-agent: dupipe\n";
  const std::string rule = "Disallow: /at-the-bound";
  body += "#" + std::string(RobotsRules::kMaxBytes - body.size() - rule.size() - 2, 'p') + "\n";
  body += rule;
  ASSERT_EQ(body.size(), RobotsRules::kMaxBytes);
  body += "\nDisallow: /after\n";
  expect_robots_answers(robots_for_dupipe(body), {{"/at-the-bound", false}, {"/after", true}});
}

TEST(RobotsRules, MatchesHostilePatternsWithoutBacktracking) {
  // 200 stars against 4,000 octets: a backtracking matcher tries about C(4000, 200) splits
  // before it gives up; this one makes one pass per star. The test timeout is the bound.
  std::string stars;
  for (int i = 0; i < 200; ++i) stars += "*a";
  const std::string path = "/" + std::string(4000, 'a');
  const auto rules = robots_for_dupipe("User-agent: dupipe\nDisallow: /" + stars + "*b\n" +
                                       "Disallow: /" + stars + "b$\n" + "Allow: /" + stars + "\n");
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(rules.allows(path));
    ASSERT_FALSE(rules.allows(path + "b"));
  }
}

TEST(RobotsRules, StatusDecidesWhetherTheBodyIsParsed) {
  const std::string body = "User-agent: *\nDisallow: /private\n";
  struct StatusCase {
    int status;
    bool allows_public;
    bool allows_private;
  };
  const std::vector<StatusCase> cases = {
      {200, true, false},  {203, true, false},  {299, true, false},   // the body's rules
      {310, true, true},   {400, true, true},   {401, true, true},    // unavailable: allow all
      {403, true, true},   {404, true, true},   {429, true, true},    //
      {500, false, false}, {503, false, false}, {599, false, false},  // unreachable: disallow
      {0, false, false},   {100, false, false}, {600, false, false}, {-1, false, false},
  };
  for (const auto& [status, allows_public, allows_private] : cases) {
    const auto rules = RobotsRules::for_status(status, body, "dupipe");
    EXPECT_EQ(rules.allows("/public"), allows_public) << "status " << status;
    EXPECT_EQ(rules.allows("/private"), allows_private) << "status " << status;
    EXPECT_TRUE(rules.allows("/robots.txt")) << "status " << status;
  }
}

TEST(RobotsRules, AllowAllAndDisallowAllAnswerEveryPath) {
  for (const char* path : {"/", "", "/a?b", "*", "/%2F"}) {
    EXPECT_TRUE(RobotsRules::allow_all().allows(path)) << path;
    EXPECT_FALSE(RobotsRules::disallow_all().allows(path)) << path;
  }
  EXPECT_EQ(RobotsRules::allow_all().crawl_delay(), std::nullopt);
  EXPECT_TRUE(RobotsRules::allow_all().sitemaps().empty());
}

TEST(RobotsRules, ReadsCrawlDelayAsDecimalSecondsCappedAt30) {
  struct DelayCase {
    std::string value;
    std::optional<milliseconds> delay;
    bool was_capped;
  };
  const std::vector<DelayCase> cases = {
      {"5", milliseconds{5000}, false},
      {"1.5", milliseconds{1500}, false},
      {"0.25", milliseconds{250}, false},
      {".5", milliseconds{500}, false},
      {"2.", milliseconds{2000}, false},
      {"0.0019", milliseconds{1}, false},
      {"0", milliseconds{0}, false},
      {"30", milliseconds{30'000}, false},
      {"30.001", milliseconds{30'000}, true},
      {"3600", milliseconds{30'000}, true},
      {"99999999999999999999999", milliseconds{30'000}, true},
      {"", std::nullopt, false},
      {"-1", std::nullopt, false},
      {"+1", std::nullopt, false},
      {"1.5s", std::nullopt, false},
      {"1,5", std::nullopt, false},
      {"1.2.3", std::nullopt, false},
      {".", std::nullopt, false},
      {"inf", std::nullopt, false},
      {"nan", std::nullopt, false},
      {"1 2", std::nullopt, false},
  };
  for (const auto& [value, delay, was_capped] : cases) {
    const auto rules = robots_for_dupipe("User-agent: dupipe\nCrawl-delay: " + value + "\n");
    EXPECT_EQ(rules.crawl_delay(), delay) << "Crawl-delay: " << value;
    EXPECT_EQ(rules.crawl_delay_was_capped(), was_capped) << "Crawl-delay: " << value;
  }
}

TEST(RobotsRules, TakesTheCrawlDelayOfTheChosenGroup) {
  const std::string others =
      "User-agent: *\nDisallow: /a\nCrawl-delay: 7\n"
      "User-agent: otherbot\nDisallow: /b\nCrawl-delay: 9\n";
  EXPECT_EQ(robots_for_dupipe(others).crawl_delay(), milliseconds{7000});
  EXPECT_EQ(robots_for_dupipe(others + "User-agent: dupipe\nDisallow: /x\n").crawl_delay(),
            std::nullopt);
  // Crawl-delay is no rule: a User-agent line after it still joins the group (RFC 9309 2.2.4).
  EXPECT_EQ(robots_for_dupipe("User-agent: *\nCrawl-delay: 7\nUser-agent: dupipe\n").crawl_delay(),
            milliseconds{7000});
}

TEST(RobotsRules, MergedGroupsKeepTheFirstValidCrawlDelay) {
  const std::string first = "User-agent: dupipe\nDisallow: /y\nCrawl-delay: soon\nCrawl-delay: 3\n";
  const std::string between = "User-agent: otherbot\nDisallow: /\nCrawl-delay: 1\n";
  const std::string second = "User-agent: dupipe\nDisallow: /x\nCrawl-delay: 5\n";
  EXPECT_EQ(robots_for_dupipe(first + between + second).crawl_delay(), milliseconds{3000});
  const std::string invalid_only = "User-agent: dupipe\nDisallow: /y\nCrawl-delay: soon\n";
  EXPECT_EQ(robots_for_dupipe(invalid_only + between + second).crawl_delay(), milliseconds{5000});
}

TEST(RobotsRules, CollectsSitemapLinesFromAnywhereAsWritten) {
  const auto rules = robots_for_dupipe(
      "Sitemap: https://h/before-groups.xml\n"
      "User-agent: otherbot\nSITEMAP:  http://other.host/s.xml.gz  # a comment\n"
      "Disallow: /\nsitemap:\nUser-agent: dupipe\nSitemap:https://h/a?b=c&d\n");
  EXPECT_EQ(rules.sitemaps(),
            (std::vector<std::string>{"https://h/before-groups.xml", "http://other.host/s.xml.gz",
                                      "https://h/a?b=c&d"}));
  expect_robots_answers(rules, {{"/anything", true}});  // the dupipe group is empty
}

// RFC 9309 section 5.1, asked for each crawler it names and for one it does not.
TEST(RobotsRules, Rfc9309SimpleExample) {
  const std::string body =
      "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\n"
      "User-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\n"
      "User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\n"
      "User-Agent: quxbot\n\nEOF\n";
  expect_robots_answers(RobotsRules::parse(body, "foobot"), {{"/", false},
                                                             {"/example/page.html", true},
                                                             {"/example/allowed.gif", true},
                                                             {"/example/other.gif", false},
                                                             {"/publications/", false}});
  for (const char* token : {"barbot", "bazbot"}) {
    expect_robots_answers(
        RobotsRules::parse(body, token),
        {{"/example/page.html", false}, {"/example/other", true}, {"/a.gif", true}});
  }
  expect_robots_answers(RobotsRules::parse(body, "quxbot"),
                        {{"/", true}, {"/a.gif", true}, {"/example/x", true}});
  expect_robots_answers(RobotsRules::parse(body, "dupipe"), {{"/", true},
                                                             {"/a.gif", false},
                                                             {"/a.gif?v=2", true},
                                                             {"/example/page.html", false},
                                                             {"/publications/x", true}});
}

TEST(RobotsRules, Rfc9309LongestMatchExample) {
  const auto rules = RobotsRules::parse(
      "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
      "foobot");
  expect_robots_answers(rules, {{"/example/page/disallowed.gif", false},
                                {"/example/page/", true},
                                {"/example/page/other.gif", true}});
}

}  // namespace
}  // namespace dupipe::crawl
