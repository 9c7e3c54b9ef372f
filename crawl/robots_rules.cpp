// RFC 9309 parsing and matching. Paths and patterns are compared as percent-decoded octets: 2.2.2
// has both sides percent-encode non-ASCII and reserved octets and decode escaped unreserved ones,
// which makes every octet equal to its escape, so decoding both sides once is that normalisation.
// Only the pattern's own "*" and final "$" stay operators; "%2A" and "%24" are literal octets.
#include "crawl/robots_rules.hpp"

#include <algorithm>
#include <utility>

#include "common/base/text.hpp"

namespace dupipe::crawl {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kLineEnds = "\r\n";
constexpr std::string_view kBlanks = " \t\v\f";

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

// RFC 9309 2.2.1: a product token is letters, "_" and "-". The token a User-agent value starts
// with is what names a crawler, so "dupipe/1.0 (+url)" names "dupipe" while "dupipe-images" and
// "dupipebot" name other crawlers: the RFC matches whole tokens, never prefixes or substrings.
std::string_view leading_token(std::string_view value) {
  const auto* end = std::find_if_not(value.begin(), value.end(), is_token_char);
  return value.substr(0, static_cast<std::size_t>(end - value.begin()));
}

bool names_every_crawler(std::string_view value) {
  return value.starts_with('*') && (value.size() == 1 || kBlanks.find(value[1]) != kBlanks.npos);
}

// One line of `rest` without its end (LF, CR or CRLF), which is consumed with it.
std::string_view take_line(std::string_view& rest) {
  const auto end = rest.find_first_of(kLineEnds);
  if (end == std::string_view::npos) return std::exchange(rest, {});
  const std::string_view line = rest.substr(0, end);
  const bool is_crlf = rest[end] == '\r' && end + 1 < rest.size() && rest[end + 1] == '\n';
  rest.remove_prefix(end + (is_crlf ? 2 : 1));
  return line;
}

// The part of the file that is parsed: at most kMaxBytes, without a byte order mark. A line that
// the bound cuts is dropped, not parsed as far as it goes, because its end is unknown: a cut
// "Allow: /public/" would read as "Allow: /" and allow the whole site.
std::string_view parsed_part(std::string_view body) {
  if (body.size() > RobotsRules::kMaxBytes) {
    const bool is_cut_at_line_end = kLineEnds.find(body[RobotsRules::kMaxBytes]) != kLineEnds.npos;
    body = body.substr(0, RobotsRules::kMaxBytes);
    if (!is_cut_at_line_end) {
      const auto last_end = body.find_last_of(kLineEnds);
      body = last_end == std::string_view::npos ? std::string_view{} : body.substr(0, last_end + 1);
    }
  }
  if (body.starts_with(kUtf8Bom)) body.remove_prefix(kUtf8Bom.size());
  return body;
}

struct CrawlDelay {
  milliseconds delay{0};
  bool was_capped = false;
};

// The milliseconds in a decimal number of seconds ("10", "1.5", ".5"); nullopt for anything else
// (a sign, a unit, "inf"). Digits past the millisecond are dropped; a huge value saturates at
// kSaturatedSeconds instead of overflowing.
std::optional<long long> decimal_seconds_as_millis(std::string_view value) {
  constexpr long long kSaturatedSeconds = 1'000'000;
  const auto dot = value.find('.');
  const std::string_view whole = value.substr(0, dot);
  const std::string_view fraction = dot == value.npos ? std::string_view{} : value.substr(dot + 1);
  const auto is_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.size() + fraction.size() == 0 || !is_digits(whole) || !is_digits(fraction)) {
    return std::nullopt;
  }
  long long seconds = 0;
  for (const char c : whole) seconds = std::min(seconds * 10 + (c - '0'), kSaturatedSeconds);
  long long millis = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    millis = millis * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  return seconds * 1000 + millis;
}

std::optional<CrawlDelay> parse_crawl_delay(std::string_view value) {
  const auto millis = decimal_seconds_as_millis(value);
  if (!millis) return std::nullopt;
  const milliseconds delay{*millis};
  if (delay > RobotsRules::kMaxCrawlDelay) return CrawlDelay{RobotsRules::kMaxCrawlDelay, true};
  return CrawlDelay{delay, false};
}

}  // namespace

// Reads the file line by line. A group is its User-agent lines and the rules after them; a
// User-agent line after a rule starts the next group. Groups are merged per audience as each ends.
class RobotsRules::Parser {
 public:
  explicit Parser(std::string_view product_token) : product_token_(leading_token(product_token)) {}

  void read_line(std::string_view line);
  RobotsRules finish() &&;
  static Rule compile(bool is_allow, std::string_view pattern);

 private:
  struct Group {
    bool names_us = false;
    bool names_every_crawler = false;
    bool has_rule_lines = false;  // an Allow or Disallow line followed the User-agent lines
    std::vector<Rule> rules;
    std::optional<CrawlDelay> crawl_delay;
  };

  static void merge(const Group& from, Group& into);
  void on_user_agent(std::string_view value);
  void on_rule(bool is_allow, std::string_view value);
  void on_crawl_delay(std::string_view value);
  void close_group();

  std::string_view product_token_;
  std::optional<Group> group_;  // the group being read; none before the first User-agent line
  Group ours_;                  // every group that names the product token, merged
  Group everyones_;             // every "*" group, merged
  std::vector<std::string> sitemaps_;
};

void RobotsRules::Parser::read_line(std::string_view line) {
  line = line.substr(0, line.find('#'));
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view key = trim(line.substr(0, colon), kBlanks);
  const std::string_view value = trim(line.substr(colon + 1), kBlanks);
  if (iequals(key, "user-agent")) {
    on_user_agent(value);
  } else if (iequals(key, "allow") || iequals(key, "disallow")) {
    on_rule(iequals(key, "allow"), value);
  } else if (iequals(key, "crawl-delay")) {
    on_crawl_delay(value);
  } else if (iequals(key, "sitemap") && !value.empty()) {
    sitemaps_.emplace_back(value);
  }
  // RFC 9309 2.2.4: any other record is ignored and, like Sitemap and Crawl-delay, leaves the
  // group structure alone.
}

void RobotsRules::Parser::on_user_agent(std::string_view value) {
  if (group_ && group_->has_rule_lines) close_group();
  if (!group_) group_ = Group{};
  const std::string_view token = leading_token(value);
  group_->names_us |= !product_token_.empty() && iequals(token, product_token_);
  group_->names_every_crawler |= names_every_crawler(value);
}

void RobotsRules::Parser::on_rule(bool is_allow, std::string_view value) {
  if (!group_) return;  // RFC 9309 2.2.2: rules outside any group are ignored
  group_->has_rule_lines = true;
  // An empty value is a rule that matches nothing ("Disallow:" disallows nothing).
  if (!value.empty()) group_->rules.push_back(compile(is_allow, value));
}

void RobotsRules::Parser::on_crawl_delay(std::string_view value) {
  if (!group_ || group_->crawl_delay) return;  // the first valid one of a group counts
  group_->crawl_delay = parse_crawl_delay(value);
}

void RobotsRules::Parser::merge(const Group& from, Group& into) {
  into.names_us |= from.names_us;
  into.names_every_crawler |= from.names_every_crawler;
  into.rules.insert(into.rules.end(), from.rules.begin(), from.rules.end());
  if (!into.crawl_delay) into.crawl_delay = from.crawl_delay;
}

void RobotsRules::Parser::close_group() {
  if (!group_) return;
  if (group_->names_us) merge(*group_, ours_);
  if (group_->names_every_crawler) merge(*group_, everyones_);
  group_.reset();
}

RobotsRules RobotsRules::Parser::finish() && {
  close_group();
  // RFC 9309 2.2.1: a group that names us replaces "*", even an empty one; no group, no rules.
  Group& chosen = ours_.names_us ? ours_ : everyones_;
  RobotsRules rules;
  rules.rules_ = std::move(chosen.rules);
  if (chosen.crawl_delay) {
    rules.crawl_delay_ = chosen.crawl_delay->delay;
    rules.crawl_delay_was_capped_ = chosen.crawl_delay->was_capped;
  }
  rules.sitemaps_ = std::move(sitemaps_);
  return rules;
}

// Decodes the pattern's escapes and splits it at each "*" (a run of them is one); a "$" ends it
// only as its last character, as in Google's parser: elsewhere it is an octet of the path.
RobotsRules::Rule RobotsRules::Parser::compile(bool is_allow, std::string_view pattern) {
  Rule rule{is_allow, {std::string{}}, pattern.ends_with('$'), 0};
  if (rule.is_anchored) pattern.remove_suffix(1);
  bool after_star = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*') {
      if (!after_star) rule.pieces.emplace_back();
      after_star = true;
      continue;
    }
    after_star = false;
    const int octet = escaped_octet_at(pattern, i);
    rule.pieces.back() += octet < 0 ? pattern[i] : static_cast<char>(octet);
    if (octet >= 0) i += 2;
  }
  for (const auto& piece : rule.pieces) rule.length_octets += piece.size();
  rule.length_octets += rule.pieces.size() - 1 + (rule.is_anchored ? 1 : 0);
  return rule;
}

// Glob matching without backtracking: the first piece must start the path, each middle piece is
// taken at its leftmost occurrence after the previous one (any later occurrence leaves less room
// for the rest, so leftmost is never worse), and the last piece must end the path when the rule
// is anchored, else merely occur. Each piece is one std::string_view::find from where the
// previous ended: O(path × pattern) octet comparisons at worst, linear in practice, where a
// backtracking matcher is exponential in the number of stars.
bool RobotsRules::matches(const Rule& rule, std::string_view path) {
  const auto& pieces = rule.pieces;
  if (!path.starts_with(pieces.front())) return false;
  std::size_t position = pieces.front().size();
  if (pieces.size() == 1) return !rule.is_anchored || position == path.size();
  for (std::size_t i = 1; i + 1 < pieces.size(); ++i) {
    const auto found = path.find(pieces[i], position);
    if (found == std::string_view::npos) return false;
    position = found + pieces[i].size();
  }
  const std::string& last = pieces.back();
  if (!rule.is_anchored) return path.find(last, position) != std::string_view::npos;
  return path.size() - position >= last.size() && path.ends_with(last);
}

bool RobotsRules::allows(std::string_view path) const {
  const std::string decoded = path.empty() ? std::string{"/"} : percent_decode(path);
  if (decoded == "/robots.txt") return true;  // RFC 9309 2.2.2: implicitly allowed
  // The longest matching rule wins and Allow wins a tie; 0 means no rule of that kind matched.
  std::size_t longest_allow = 0;
  std::size_t longest_disallow = 0;
  for (const Rule& rule : rules_) {
    std::size_t& longest = rule.is_allow ? longest_allow : longest_disallow;
    if (rule.length_octets > longest && matches(rule, decoded)) longest = rule.length_octets;
  }
  return longest_allow >= longest_disallow;
}

RobotsRules RobotsRules::parse(std::string_view body, std::string_view product_token) {
  Parser parser{product_token};
  for (std::string_view rest = parsed_part(body); !rest.empty();) {
    parser.read_line(take_line(rest));
  }
  return std::move(parser).finish();
}

RobotsRules RobotsRules::for_status(int status, std::string_view body,
                                    std::string_view product_token) {
  if (status >= 200 && status <= 299) return parse(body, product_token);
  // 2.3.1.2-3: too many redirects, or a 4xx, means the file is unavailable: nothing is excluded.
  if (status >= 300 && status <= 499) return allow_all();
  // 2.3.1.4: a 5xx or no answer means the file is undefined: everything is, until it is known.
  // Any other code (1xx as a final status, out of range) is no usable answer either.
  return disallow_all();
}

RobotsRules RobotsRules::allow_all() { return RobotsRules{}; }

RobotsRules RobotsRules::disallow_all() {
  RobotsRules rules;
  rules.rules_.push_back(Parser::compile(false, "*"));
  return rules;
}

}  // namespace dupipe::crawl
